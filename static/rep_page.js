// A stored rep's page (templates/rep.html): the rep drawn (rep.js), the coach's overrules,
// who was named, comments on its recording (comments.js), tapping along on playback (tap_along.js)
// and scoring it again.
import { appData as data } from "./app_data.js";
import { RepView } from "./rep.js";
import { Comments } from "./comments.js";
import { TapAlong } from "./tap_along.js";
import { Taps } from "./taps.js";

const band = data.step && data.step.wait_band;
const $ = (id) => document.getElementById(id);
const parts = { badge: $("rep-verdict"), verdicts: $("verdicts"), transcript: $("transcript"), timeline: $("timeline"),
                agreement: $("agreement"), replay: $("replay"), audio: $("playback") };
const fail = (err) => { $("error").textContent = err.message; $("error").hidden = false; };
function show(rep) {
  $("error").hidden = true;
  $("rescore").hidden = rep.status === "scored";
  const saveMark = async (criterion, passed, comment, pupil) => {
    try { show(await RepView.postMark(rep, criterion, passed, comment, pupil)); }
    catch (err) { fail(err); }
  };
  RepView.render(parts, rep, band, saveMark);
  comments.render(rep);
  RepView.nameFix($("name-fix"), rep, data.pupils, saveMark);
  if ($("tap-passes")) RepView.tapPasses($("tap-passes"), rep, async (tapId) => {
    try { show(await Taps.remove(rep, tapId)); } catch (err) { fail(err); }
  });
}
const comments = Comments.attach($("comments"), { timeline: $("timeline"), audio: $("playback"), ready: () => true, show, fail });
if ($("tap-along")) TapAlong.attach($("tap-along"), data.rep, { timeline: $("timeline"), audio: $("playback"), show, fail });
$("rescore").addEventListener("click", async () => {
  $("rescore").disabled = true;
  $("rescore").textContent = "Scoring this rep again…";
  try { show(await RepView.rescore(data.rep)); }
  catch (err) { fail(err); }
  finally { $("rescore").disabled = false; $("rescore").textContent = "Score this rep again"; }
});
show(data.rep);
