// An observed lesson's timeline (rehearse/web/lesson_view.py drawing_data), in plain SVG with draw.js's
// helpers: the teacher's speech and other voices as bars over silence, each question posed to the class
// marked and numbered (as in the list) with its wait bracketed (long enough or too short against the
// step's wait), where a pupil was named, a call-out as "!", procedural questions as small grey marks
// below the bar, and the coach's comments as numbered circles (comments.js). It keeps draw.js's layout (Draw.TL) and
// container.dataset.total, so Draw.timeAt (a click) and Draw.playhead work on it as on a rep's.
// The lesson's page (lesson.js) and its saved report (lesson_report.js) draw with it.
import { Draw } from "./draw.js";
import { Seconds } from "./dates.js";

export const LessonTimeline = (function () {
  const { el, svg, TL } = Draw;
  const H = 150, TOP = 44, BAR = 28, COMMENT_Y = 118;

  // "12:05" for 725 s.
  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;

  function tickStep(total) {
    for (const step of [10, 30, 60, 120, 300, 600]) if (total / step <= 12) return step;
    return 900;
  }

  // `drawing`: {duration_s, timeline: [{start, end, who}], questions: [...], comments: [...]};
  // `goal_s`: the step's wait (its band's least).
  function draw(container, drawing, goal_s) {
    container.innerHTML = "";
    const total = Math.max(drawing.duration_s || 0, 1);
    container.dataset.total = total;
    const x = (t) => TL.left + (Math.max(0, Math.min(t, total)) / total) * (TL.W - TL.left - TL.right);
    const s = svg(TL.W, H, "timeline of the lesson: the teacher's speech, other voices, silence and the questions");
    s.append(el("rect", { x: x(0), y: TOP, width: x(total) - x(0), height: BAR, class: "lesson-silence" }));
    for (const part of drawing.timeline || []) {
      s.append(el("rect", { x: x(part.start), y: TOP, width: Math.max(x(part.end) - x(part.start), 1), height: BAR,
        class: part.who === "teacher" ? "lesson-teacher" : "lesson-other" }));
    }
    let number = 0, lastLabel = null;
    for (const q of drawing.questions || []) {
      const what = `${clock(q.start)}: wait ${q.wait_s == null ? "not measured" : Seconds.text(q.wait_s)}, ${q.pupil}${q.call_out ? ", a call-out" : ""}`;
      if (q.kind !== "posed") {
        const mark = el("rect", { x: x(q.start), y: TOP + BAR + 3, width: Math.max(x(q.end) - x(q.start), 2), height: 5,
          class: "procedural", "data-question": q.index });
        mark.append(el("title", {}, `procedural question at ${what}`));
        s.append(mark);
        continue;
      }
      number += 1;
      const g = el("g", { class: "lesson-question-mark", "data-question": q.index });
      g.append(el("rect", { x: x(q.start), y: TOP - 4, width: Math.max(x(q.end) - x(q.start), 2), height: 4, class: "question" }));
      // A number too near the last one drawn goes on the row above it, so close questions stay readable.
      const crowded = lastLabel && lastLabel.row === 0 && x(q.start) - lastLabel.at < 16;
      lastLabel = { at: x(q.start), row: crowded ? 1 : 0 };
      g.append(el("text", { x: x(q.start), y: TOP - 22 - 12 * lastLabel.row, "text-anchor": "middle", class: "question-number" }, `${number}`));
      if (q.wait_s != null) {
        const judged = goal_s == null ? "" : (q.wait_s >= goal_s ? " ok" : " short");  // a step with no wait: not judged
        const a = x(q.end), b = Math.max(x(q.end + q.wait_s), a + 2);
        g.append(el("line", { x1: a, x2: b, y1: TOP - 12, y2: TOP - 12, class: "wait" + judged }));
      }
      if (q.name_at != null) {  // where the teacher named a pupil (or said a name not clearly one of the class)
        g.append(el("line", { x1: x(q.name_at), x2: x(q.name_at), y1: TOP - 6, y2: TOP + BAR + 6, class: "name-mark" }));
      }
      if (q.call_out) {
        g.append(el("text", { x: x(q.call_out_at != null ? q.call_out_at : q.end), y: TOP + BAR - 8,
          "text-anchor": "middle", class: "call-out-sign" }, "!"));
      }
      g.append(el("title", {}, `question ${number} at ${what}`));
      s.append(g);
    }
    Draw.commentMarks(s, drawing.comments, x, TOP - 6, COMMENT_Y, clock);
    const step = tickStep(total);
    for (let t = 0; t <= total; t += step) {
      const anchor = t === 0 ? "start" : (t + step > total && x(total) - x(t) < 20 ? "end" : "middle");
      s.append(el("text", { x: x(t), y: H - 2, "text-anchor": anchor, class: "tick" }, clock(t)));
    }
    s.append(el("line", { x1: x(0), x2: x(0), y1: TOP - 10, y2: TOP + BAR + 10, class: "playhead", visibility: "hidden" }));
    container.append(s);
  }

  return { draw, clock };
})();
