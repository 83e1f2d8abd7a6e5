// A stored rep's page (templates/attempt.html): the rep drawn (attempt.js), the coach's overrules,
// who was named, comments on its recording (comments.js), tapping along on playback (tap_along.js)
// and scoring it again.
import { appData as data } from "./app_data.js";
import { AttemptView } from "./attempt.js";
import { Comments } from "./comments.js";
import { TapAlong } from "./tap_along.js";
import { Taps } from "./taps.js";

const band = data.step && data.step.wait_band;
const $ = (id) => document.getElementById(id);
const parts = { badge: $("attempt-verdict"), verdicts: $("verdicts"), transcript: $("transcript"), timeline: $("timeline"),
                agreement: $("agreement"), replay: $("replay"), audio: $("playback") };
const fail = (err) => { $("error").textContent = err.message; $("error").hidden = false; };
function show(attempt) {
  $("error").hidden = true;
  $("rescore").hidden = attempt.status === "scored";
  const saveMark = async (criterion, passed, comment, pupil) => {
    try { show(await AttemptView.postMark(attempt, criterion, passed, comment, pupil)); }
    catch (err) { fail(err); }
  };
  AttemptView.render(parts, attempt, band, saveMark);
  comments.render(attempt);
  AttemptView.nameFix($("name-fix"), attempt, data.pupils, saveMark);
  if ($("tap-passes")) AttemptView.tapPasses($("tap-passes"), attempt, async (tapId) => {
    try { show(await Taps.remove(attempt, tapId)); } catch (err) { fail(err); }
  });
}
const comments = Comments.attach($("comments"), { timeline: $("timeline"), audio: $("playback"), ready: () => true, show, fail });
if ($("tap-along")) TapAlong.attach($("tap-along"), data.attempt, { timeline: $("timeline"), audio: $("playback"), show, fail });
$("rescore").addEventListener("click", async () => {
  $("rescore").disabled = true;
  $("rescore").textContent = "Scoring this rep again…";
  try { show(await AttemptView.rescore(data.attempt)); }
  catch (err) { fail(err); }
  finally { $("rescore").disabled = false; $("rescore").textContent = "Score this rep again"; }
});
show(data.attempt);
