// Two reps side by side (templates/compare.html), on one time scale, read-only.
import { appData } from "./app_data.js";
import { RepView } from "./rep.js";

const sides = appData.sides;
const span = Math.max(...sides.map((side) => side.rep.duration_s || 0));  // one time scale for both
sides.forEach((side, i) => {
  const root = document.getElementById(`side-${i + 1}`);
  const parts = { badge: root.querySelector(".verdict"), verdicts: root.querySelector(".verdicts"),
                  transcript: root.querySelector(".transcript"), timeline: root.querySelector(".timeline") };
  RepView.render(parts, side.rep, side.step && side.step.wait_band, null, span);
});
