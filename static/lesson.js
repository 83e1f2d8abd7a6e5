// An observed lesson's page (templates/lesson.html): the timeline drawn (lesson_timeline.js), each
// question played from half a second before it, the coach's overrules of a question's verdicts
// (POST to the lesson's marks; the answer is the lesson as stored now, and the question's verdicts
// are drawn again from it) and the coach's comments on the lesson's timeline (comments.js, as on a rep).
import { appData as data } from "./app_data.js";
import { Api } from "./api.js";
import { Comments } from "./comments.js";
import { Draw } from "./draw.js";
import { LessonTimeline } from "./lesson_timeline.js";

const $ = (id) => document.getElementById(id);
const audio = $("playback");
const timeline = $("lesson-timeline");
const fail = (err) => { $("error").textContent = err.message; $("error").hidden = false; };

function show(lesson) {
  $("error").hidden = true;
  LessonTimeline.draw(timeline, Object.assign({}, lesson.drawing, { comments: lesson.comments }), data.goal_s);
  comments.render(lesson);
}

// A question's verdicts as stored now (the coach's marks applied), in place of the ones shown.
function showVerdicts(row) {
  const list = document.querySelector(`.verdicts[data-question="${row.index}"]`);
  if (!list) return;
  for (const v of row.verdicts) {
    const li = list.querySelector(`li[data-criterion="${CSS.escape(v.id)}"]`);
    if (!li) continue;
    const overruled = v.coach != null && v.coach !== v.app;
    li.className = `${v.passed ? "pass" : "fail"} read-only`;
    li.querySelector(".icon [aria-hidden]").textContent = v.passed ? "✓" : "✗";
    li.querySelector(".icon .visually-hidden").textContent = v.passed ? "Met:" : "Not met:";
    let note = li.querySelector(".coach-note");
    if (overruled && !note) {
      note = document.createElement("span");
      note.className = "coach-note";
      li.querySelector(".overrule").before(note);
    }
    if (note) note.textContent = overruled ? `Coach: ${v.coach ? "met" : "not met"} (the app said ${v.app ? "met" : "not met"})` : "";
    if (note && !overruled) note.remove();
    const button = li.querySelector(".overrule");
    button.dataset.passed = overruled ? "null" : String(!v.app);
    button.textContent = overruled ? "Undo overrule" : (v.app ? "Overrule: not met" : "Overrule: met");
  }
}

function play(from) {
  audio.currentTime = from;
  audio.dataset.playedFrom = String(from);
  audio.play().catch((err) => fail(new Error(`The recording could not be played here (${err.message}).`)));
}

document.addEventListener("click", async (event) => {
  const playButton = event.target.closest("button.question-play");
  if (playButton) {
    if (!data.lesson.audio) { fail(new Error("The recording of this lesson has been deleted: there is nothing to play.")); return; }
    play(Number(playButton.dataset.from));
    return;
  }
  const overrule = event.target.closest("button.overrule");
  if (!overrule) return;
  const question = Number(overrule.dataset.question);
  const passed = JSON.parse(overrule.dataset.passed);
  overrule.disabled = true;
  try {
    const lesson = await Api.post(data.lesson.urls.marks, { question, criterion: overrule.dataset.criterion, passed });
    data.lesson = lesson;
    showVerdicts(question === -1 ? { index: -1, verdicts: lesson.whole } : lesson.questions.find((q) => q.index === question));
  } catch (err) {
    fail(err);
  } finally {
    overrule.disabled = false;
  }
});

if (data.lesson.audio) {
  audio.addEventListener("timeupdate", () => Draw.playhead(timeline, audio.currentTime));
}
const comments = Comments.attach($("comments"), { timeline, audio, ready: () => true, show, fail });
show(data.lesson);
