// The saved report's script (rehearse/web/report.py): written into the report's one file with the
// modules it imports (rehearse/web/report_script.py), so the report draws with the pages' own code.
// It draws each rep's timeline and a session's wait per rep (draw.js) from the report's JSON island,
// and plays a rep's recording from the moment a button names (data-audio, data-from).
import { appData as data } from "./app_data.js";
import { Draw } from "./draw.js";

for (const rep of data.reps || []) {
  const place = document.getElementById(`timeline-${rep.id}`);
  if (place) Draw.timeline(place, rep, data.band);
}
const chart = document.getElementById("wait-chart");
if (chart && data.progress) Draw.waitChart(chart, data.progress, data.band);

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-from]");
  if (!button) return;
  const audio = document.getElementById(button.dataset.audio);
  audio.currentTime = Number(button.dataset.from);
  audio.play();
});
