// Drawing, in plain SVG (no chart library, nothing from a CDN): an attempt's timeline of speech and
// pauses against the target, and the wait time of each rep against the target band. The pages draw with
// it, and so does the saved report, in which it is inlined (rehearse/web/report_script.py).
import { Dates, Seconds } from "./dates.js";

export const Draw = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const NO_WAIT = "no wait timed";  // a rep whose wait could not be timed, as the charts say it

  // An SVG element; an attribute whose value is null or undefined is left out (a comment made for a
  // saved report has no id).
  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // About how wide a label of the charts' 12px text is, in the drawing's units (it is not on the page yet).
  const textWidth = (text) => text.length * 6.6;

  // A difference in seconds with its sign: "+0.25 s", "−0.10 s", "0.00 s".
  function signed(seconds) {
    return Math.abs(seconds) < 0.005 ? "0.00 s" : `${seconds > 0 ? "+" : "−"}${Math.abs(seconds).toFixed(2)} s`;
  }

  // A date on a chart, in the one style of every page (dates.js), keeping the moment it stands for.
  function dateText(attrs, iso) {
    return el("text", Object.assign({}, attrs, { "data-datetime": iso, "data-format": "date" }), Dates.date(iso));
  }

  // A rep with no value to draw (no wait timed: no question heard, or no pupil named after it) is no
  // point on the scale, so not a dot at 0, which reads as "waited 0 s": a dashed line across the
  // chart at its place, saying so along it; its tooltip (`title`, a <title>) gives the verdict. The saved
  // report draws with this same code (static/report_page.js).
  function unmeasured(at, top, bottom, label, title) {
    const g = el("g", { class: "unmeasured" });
    const middle = (top + bottom) / 2;
    g.append(el("line", { x1: at, x2: at, y1: top, y2: bottom }));
    g.append(el("text", { x: at, y: middle - 4, "text-anchor": "middle", transform: `rotate(-90 ${at} ${middle})` }, label));
    g.append(title);
    return g;
  }

  // The line through the values drawn, broken where a value is missing (null).
  function brokenLine(points) {
    let d = "", gap = true;
    for (const [at, value] of points) {
      if (value == null) { gap = true; continue; }
      d += `${d ? " " : ""}${gap ? "M" : "L"}${at} ${value}`;
      gap = false;
    }
    return d;
  }

  function svg(width, height, label) {
    return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "drawing" });
  }

  // The timeline's layout, shared with the playhead drawn over it.
  const TL = { W: 900, H: 132, left: 10, right: 10, top: 34, bar: 26 };
  const COMMENT_Y = 106;  // the comments' marks: below the band's label, above the ticks

  // Speech as bars on a time axis; the wait (question end -> name) bracketed and measured;
  // the target band shaded from the end of the question; the app's two edges (question end, name)
  // marked, the coach's taps along the rep (calibration) below them, and the coach's comments.
  // `span` (seconds) puts several timelines on one scale, e.g. two reps side by side.
  function timeline(container, attempt, band, span) {
    container.innerHTML = "";
    const { W, H, left, right, top, bar } = TL;
    const lastEnd = (attempt.utterances || []).reduce((end, u) => Math.max(end, u.end), 0);
    const total = Math.max(attempt.duration_s || 0, lastEnd, span || 0, 1);
    container.dataset.total = total;
    const x = (t) => left + (t / total) * (W - left - right);
    const s = svg(W, H, "timeline of speech and pauses");
    const m = attempt.metrics || {};
    // The target band, always: from the end of the question, or (no question found) of the first speech.
    const firstEnd = (attempt.utterances || []).length ? attempt.utterances[0].end : 0;
    const from = m.question_end_s != null ? m.question_end_s : firstEnd;
    if (band) {
      const a = x(Math.min(from + band.min_s, total));
      const b = band.max_s != null ? x(Math.min(from + band.max_s, total)) : x(total);
      s.append(el("rect", { x: a, y: top - 8, width: Math.max(b - a, 2), height: bar + 16, class: "band" }));
      const nearEnd = a > W * 0.7;
      s.append(el("text", { x: nearEnd ? W - right : a + 4, y: top + bar + 30, class: "band-label",
        "text-anchor": nearEnd ? "end" : "start" },
        `name due here (${band.min_s}${band.max_s != null ? "–" + band.max_s : "+"} s after the question)`));
    }
    for (const u of attempt.utterances || []) {
      const isQuestion = m.question_start_s != null && u.start >= m.question_start_s - 0.01 && u.end <= m.question_end_s + 0.01;
      const isName = m.name_start_s != null && u.start <= m.name_start_s + 0.01 && u.end >= m.name_start_s - 0.01;
      s.append(el("rect", { x: x(u.start), y: top, width: Math.max(x(u.end) - x(u.start), 2), height: bar, rx: 4,
        class: "speech" + (isQuestion ? " question" : "") + (isName ? " name" : "") }, undefined));
    }
    if (m.named_before_question && m.question_start_s != null) {
      // A pupil named before (or inside) the question: marked where the name was said (reps
      // scored before that was kept: on the question's first utterance), in words.
      const q = m.named_early_span_s ? { start: m.named_early_span_s[0], end: m.named_early_span_s[1] }
        : (attempt.utterances || []).find((u) => u.start >= m.question_start_s - 0.01);
      if (q) s.append(el("rect", { x: x(q.start), y: top + bar + 2, width: Math.max(x(q.end) - x(q.start), 2), height: 5, class: "speech early" }));
      s.append(el("text", { x: x(q ? q.start : m.question_start_s), y: top - 12, class: "early-label" }, `${m.named_before_question} named early`));
    }
    if (m.wait_time_s != null && m.question_end_s != null) {
      const a = x(m.question_end_s), b = x(m.question_end_s + m.wait_time_s);
      const ok = band ? m.wait_time_s >= band.min_s && (band.max_s == null || m.wait_time_s <= band.max_s) : true;
      s.append(el("line", { x1: a, x2: b, y1: 16, y2: 16, class: "wait " + (ok ? "ok" : "short") }));
      s.append(el("line", { x1: a, x2: a, y1: 10, y2: 22, class: "wait " + (ok ? "ok" : "short") }));
      s.append(el("line", { x1: b, x2: b, y1: 10, y2: 22, class: "wait " + (ok ? "ok" : "short") }));
      s.append(el("text", { x: (a + b) / 2, y: 12, "text-anchor": "middle", class: "wait-label" },
        `waited ${Seconds.text(m.wait_time_s)}`));
    }
    for (const [t, label] of [[m.question_end_s, "question ends"], [m.name_start_s, "name"]]) {
      if (t == null) continue;
      const mark = el("line", { x1: x(t), x2: x(t), y1: top - 4, y2: top + bar + 4, class: "app-mark" });
      mark.append(el("title", {}, `the app: ${label} at ${t.toFixed(2)} s`));
      s.append(mark);
    }
    const coach = attempt.agreement && attempt.agreement.coach;
    for (const [t, label] of coach ? [[coach.question_end_s, "Q"], [coach.name_s, "N"]] : []) {
      if (t == null) continue;
      const tap = el("g", { class: "tap-mark" });
      tap.append(el("line", { x1: x(t), x2: x(t), y1: top + 2, y2: top + bar + 8 }));
      tap.append(el("path", { d: `M${x(t) - 5} ${top + bar + 14} L${x(t) + 5} ${top + bar + 14} L${x(t)} ${top + bar + 7} Z` }));
      tap.append(el("text", { x: x(t) + 7, y: top + bar + 15 }, `${label} tap`));
      tap.append(el("title", {}, `the coach tapped ${label === "Q" ? "the question's end" : "the name"} at ${t.toFixed(2)} s`));
      s.append(tap);
    }
    // The coach's comments (comments.js): a numbered mark at each one's moment, below the bar.
    commentMarks(s, attempt.comments, x, top - 6, COMMENT_Y, (t) => `${t.toFixed(1)} s`);
    for (let t = 0; t <= total; t += total > 20 ? 5 : 1) {
      s.append(el("text", { x: x(t), y: H - 2, "text-anchor": "middle", class: "tick" }, `${t}s`));
    }
    s.append(el("line", { x1: x(0), x2: x(0), y1: top - 10, y2: top + bar + 10, class: "playhead", visibility: "hidden" }));
    container.append(s);
  }

  // The coach's comments on a drawn timeline `s` (a rep's, a lesson's): a numbered mark at each one's
  // moment (`x`: seconds to the drawing's units), a line from `fromY` down to a circle at `atY`;
  // its tooltip says the moment (`said`: seconds in words) and the comment.
  function commentMarks(s, comments, x, fromY, atY, said) {
    (comments || []).forEach((c, i) => {
      const mark = el("g", { class: "comment-mark", "data-comment": c.id, "data-at": c.at_s });
      mark.append(el("line", { x1: x(c.at_s), x2: x(c.at_s), y1: fromY, y2: atY - 8 }));
      mark.append(el("circle", { cx: x(c.at_s), cy: atY, r: 8 }));
      mark.append(el("text", { x: x(c.at_s), y: atY + 4, "text-anchor": "middle" }, `${i + 1}`));
      mark.append(el("title", {}, `comment ${i + 1} at ${said(c.at_s)}: ${c.text}`));
      s.append(mark);
    });
  }

  // Move the playhead of a drawn timeline to `t` seconds (null hides it): where playback is heard.
  function playhead(container, t) {
    const line = container.querySelector(".playhead");
    if (!line) return;
    const total = Number(container.dataset.total) || 1;
    const at = TL.left + (Math.max(0, Math.min(t || 0, total)) / total) * (TL.W - TL.left - TL.right);
    line.setAttribute("x1", at);
    line.setAttribute("x2", at);
    line.setAttribute("visibility", t == null ? "hidden" : "visible");
  }

  // The moment of a drawn timeline under a point of the screen (a click): seconds, not clamped.
  function timeAt(container, clientX) {
    const svgEl = container.querySelector("svg");
    if (!svgEl || !svgEl.getScreenCTM()) return null;
    const point = svgEl.createSVGPoint();
    point.x = clientX;
    point.y = 0;
    const at = point.matrixTransform(svgEl.getScreenCTM().inverse()).x;
    return ((at - TL.left) / (TL.W - TL.left - TL.right)) * (Number(container.dataset.total) || 1);
  }

  // Wait time per rep: points (filled = met every criterion) against the target band, with markers
  // where the step became accurate and fluent.
  function waitChart(container, progress, band) {
    container.innerHTML = "";
    const reps = progress.reps.filter((r) => r.wait_time_s != null || r.passed != null);
    if (!reps.length) return;
    const W = 900, H = 200, left = 36, right = 12, top = 12, bottom = 26;
    const n = Math.max(progress.reps.at(-1).rep, 5);
    const waits = reps.map((r) => r.wait_time_s || 0);
    const yMax = Math.ceil(Math.max(...waits, band ? (band.max_s || band.min_s * 1.6) : 5, 1));
    const x = (rep) => left + ((rep - 0.5) / n) * (W - left - right);
    const y = (v) => top + (1 - v / yMax) * (H - top - bottom);
    const s = svg(W, H, "wait time per rep against the target");
    if (band) {
      const hi = band.max_s != null ? Math.min(band.max_s, yMax) : yMax;
      s.append(el("rect", { x: left, y: y(hi), width: W - left - right, height: y(band.min_s) - y(hi), class: "band" }));
    }
    for (let v = 0; v <= yMax; v += yMax > 10 ? 5 : 1) {
      s.append(el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${v}s`));
    }
    for (const [rep, label] of [[progress.accurate_at, "accurate"], [progress.fluent_at, "fluent"]]) {
      if (rep == null) continue;
      s.append(el("line", { x1: x(rep), x2: x(rep), y1: top, y2: H - bottom, class: "marker " + label }));
      s.append(el("text", { x: x(rep) + 4, y: top + 10, class: "marker-label" }, label));
    }
    const path = brokenLine(reps.map((r) => [x(r.rep), r.wait_time_s == null ? null : y(r.wait_time_s)]));
    if (path) s.append(el("path", { d: path, class: "trend" }));
    for (const r of progress.reps) {
      s.append(el("text", { x: x(r.rep), y: H - 6, "text-anchor": "middle", class: "tick" }, `${r.rep}`));
      if (r.passed == null) continue;
      const verdict = r.passed ? "all criteria met" : "not yet";
      if (r.wait_time_s == null) {
        s.append(unmeasured(x(r.rep), top, H - bottom, NO_WAIT, el("title", {}, `Rep ${r.rep}: ${NO_WAIT}, ${verdict}`)));
        continue;
      }
      const dot = el("circle", { cx: x(r.rep), cy: y(r.wait_time_s), r: 6, class: r.passed ? "pass" : "fail" });
      dot.append(el("title", {}, `Rep ${r.rep}: ${Seconds.text(r.wait_time_s)}, ${verdict}`));
      s.append(dot);
    }
    container.append(s);
  }

  // A teacher's action step across sessions: the key metric of every rep (a link to the attempt),
  // the target band, a line between sessions, and where the step became accurate and fluent.
  function progressChart(container, progress, metric) {
    container.innerHTML = "";
    const points = progress.points;
    if (!points.length) return;
    const W = 900, H = 240, left = 44, right = 12, top = 30, bottom = 22;
    const values = points.map((p) => p.value || 0);
    const yMax = Math.max(Math.ceil(Math.max(...values, metric.max || 0, (metric.min || 0) * 1.5, 1)), 1);
    const x = (i) => left + ((i + 0.5) / Math.max(points.length, 5)) * (W - left - right);
    const y = (v) => top + (1 - v / yMax) * (H - top - bottom);
    const s = svg(W, H, `${metric.label} per rep, across sessions, against the target`);
    if (metric.min != null || metric.max != null) {
      const lo = metric.min != null ? metric.min : 0, hi = metric.max != null ? Math.min(metric.max, yMax) : yMax;
      s.append(el("rect", { x: left, y: y(hi), width: W - left - right, height: Math.max(y(lo) - y(hi), 1), class: "band" }));
    }
    const step = yMax > 20 ? Math.ceil(yMax / 5) : yMax > 10 ? 5 : 1;
    for (let v = 0; v <= yMax; v += step) {
      s.append(el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${v}${metric.unit === "s" ? "s" : ""}`));
    }
    let lastSession = null, labelRight = -Infinity;
    points.forEach((p, i) => {
      if (p.session_id === lastSession) return;
      lastSession = p.session_id;
      const at = x(i) - (W - left - right) / Math.max(points.length, 5) / 2;
      s.append(el("line", { x1: at, x2: at, y1: top - 4, y2: H - bottom, class: "session-line" }));
      if (at > labelRight) {  // skip a label that would overlap the one before
        const label = dateText({ x: at + 3, y: H - 6, class: "tick" }, p.at);
        s.append(label);
        labelRight = at + 3 + textWidth(label.textContent) + 6;
      }
    });
    for (const [milestone, label] of [[progress.accurate, "accurate"], [progress.fluent, "fluent"]]) {
      if (!milestone) continue;
      const i = points.findIndex((p) => p.attempt_id === milestone.attempt_id);
      s.append(el("line", { x1: x(i), x2: x(i), y1: top - 6, y2: H - bottom, class: "marker " + label }));
      const text = el("text", { x: x(i) + 4, y: label === "accurate" ? top - 16 : top - 4, class: "marker-label " + label }, `${label} (`);
      text.append(el("tspan", { "data-datetime": milestone.at, "data-format": "date" }, Dates.date(milestone.at)), ")");
      s.append(text);
    }
    const path = brokenLine(points.map((p, i) => [x(i), p.value == null ? null : y(p.value)]));
    if (path) s.append(el("path", { d: path, class: "trend" }));
    const missing = metric.id === "wait_time_s" ? NO_WAIT : `no ${metric.label.toLowerCase()} measured`;
    points.forEach((p, i) => {
      if (p.passed == null) return;
      const link = el("a", { href: `/attempts/${p.attempt_id}`, class: "point" });
      const value = p.value == null ? missing : `${metric.label.toLowerCase()} ${metric.unit === "s" ? Seconds.text(p.value) : `${p.value.toFixed(0)} ${metric.unit}`}`;
      const title = el("title", { "data-datetime": p.at }, `${Dates.date(p.at)}, rep ${p.rep}: ${value}, ${p.passed ? "all criteria met" : "not yet"}`);
      if (p.value == null) {
        link.append(unmeasured(x(i), top, H - bottom, missing, title));
      } else {
        const dot = el("circle", { cx: x(i), cy: y(p.value), r: points.length > 60 ? 4 : 6, class: p.passed ? "pass" : "fail" });
        dot.append(title);
        link.append(dot);
      }
      s.append(link);
    });
    container.append(s);
  }

  // The share of reps that met every criterion, session by session.
  function passRateChart(container, sessions) {
    container.innerHTML = "";
    if (!sessions.length) return;
    const W = 900, H = 150, left = 44, right = 12, top = 10, bottom = 22;
    const n = Math.max(sessions.length, 5), slot = (W - left - right) / n;
    const widest = Math.max(...sessions.map((session) => textWidth(Dates.date(session.started_at))));
    const every = Math.max(1, Math.ceil((widest + 8) / slot));
    const y = (v) => top + (1 - v) * (H - top - bottom);
    const s = svg(W, H, "share of reps that met every criterion, per session");
    for (const v of [0, 0.5, 1]) {
      s.append(el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${v * 100}%`));
      s.append(el("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }));
    }
    sessions.forEach((session, i) => {
      const rate = session.pass_rate || 0, x0 = left + i * slot + slot * 0.2;
      const bar = el("rect", { x: x0, y: y(rate), width: slot * 0.6, height: Math.max(y(0) - y(rate), 1),
        class: "rate" + (session.fluent_at ? " fluent" : session.accurate_at ? " accurate" : "") });
      bar.append(el("title", { "data-datetime": session.started_at }, `${Dates.date(session.started_at)}: ${session.passed} of ${session.scored} scored reps met every criterion`));
      s.append(bar);
      if (i % every === 0) {  // as many dates as fit side by side
        s.append(dateText({ x: x0 + slot * 0.3, y: H - 6, "text-anchor": "middle", class: "tick" }, session.started_at));
      }
    });
    container.append(s);
  }

  // Calibration: each tapped rep's wait as the app measured it (x) against the coach's taps (y), on
  // one scale, with the diagonal where they agree and a corridor of the precision of tapping by hand.
  // With one target band, its strips show where each verdict is "met": a dot outside the crossing of
  // the two strips but inside one of them is a rep on which the two disagree. `tolerance`: the
  // seconds within which the two count as agreeing (calibration.AGREE_WITHIN_S).
  function calibrationChart(container, rows, band, tolerance) {
    container.innerHTML = "";
    const points = rows.filter((r) => r.agreement.app && r.agreement.app.wait_s != null && r.agreement.coach.wait_s != null);
    if (!points.length) return;
    const S = 460, left = 52, bottom = 44, top = 12, right = 12;
    const values = points.flatMap((r) => [r.agreement.app.wait_s, r.agreement.coach.wait_s]);
    const high = Math.ceil(Math.max(...values, band ? (band.max_s || band.min_s * 1.6) : 1) + 0.5);
    const x = (v) => left + (v / high) * (S - left - right);
    const y = (v) => S - bottom - (v / high) * (S - top - bottom);
    const s = svg(S, S, "the app's wait against the coach's tapped wait, one dot per rep");
    if (band) {
      const hi = band.max_s != null ? Math.min(band.max_s, high) : high;
      s.append(el("rect", { x: x(band.min_s), y: y(high), width: x(hi) - x(band.min_s), height: y(0) - y(high), class: "band faint" }));
      s.append(el("rect", { x: x(0), y: y(hi), width: x(high) - x(0), height: y(band.min_s) - y(hi), class: "band faint" }));
    }
    const step = high > 12 ? 2 : 1;
    for (let v = 0; v <= high; v += step) {
      s.append(el("line", { x1: x(v), x2: x(v), y1: y(0), y2: y(high), class: "grid" }));
      s.append(el("line", { x1: x(0), x2: x(high), y1: y(v), y2: y(v), class: "grid" }));
      s.append(el("text", { x: x(v), y: y(0) + 16, "text-anchor": "middle", class: "tick" }, `${v}`));
      s.append(el("text", { x: x(0) - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${v}`));
    }
    s.append(el("path", { d: `M${x(0)} ${y(tolerance)} L${x(high - tolerance)} ${y(high)} L${x(high)} ${y(high)} L${x(high)} ${y(high - tolerance)} L${x(tolerance)} ${y(0)} L${x(0)} ${y(0)} Z`, class: "corridor" }));
    s.append(el("line", { x1: x(0), y1: y(0), x2: x(high), y2: y(high), class: "diagonal" }));
    s.append(el("text", { x: x(high) - 4, y: y(high) + 14, "text-anchor": "end", class: "tick" }, `agree (±${tolerance} s)`));
    s.append(el("text", { x: (x(0) + x(high)) / 2, y: S - 6, "text-anchor": "middle", class: "axis-label" }, "the app's wait (s)"));
    s.append(el("text", { x: 14, y: (y(0) + y(high)) / 2, "text-anchor": "middle", class: "axis-label",
      transform: `rotate(-90 14 ${(y(0) + y(high)) / 2})` }, "the coach's tapped wait (s)"));
    for (const r of points) {
      const a = r.agreement;
      const link = el("a", { href: `/attempts/${r.attempt_id}`, class: "point" });
      const dot = el("circle", { cx: x(a.app.wait_s), cy: y(a.coach.wait_s), r: points.length > 60 ? 4 : 6,
        class: a.verdicts_agree === false ? "fail" : "pass" });
      dot.append(el("title", {}, `${r.teacher}, rep ${r.rep}: the app ${Seconds.text(a.app.wait_s)}, the coach ${Seconds.text(a.coach.wait_s)} (${signed(a.difference_s)})${a.verdicts_agree === false ? ", different verdicts" : ""}`));
      link.append(dot);
      s.append(link);
    }
    container.append(s);
  }

  // The live cue's ring: the share of the target waited so far.
  function ring(circle, fraction) {
    const length = 2 * Math.PI * Number(circle.getAttribute("r"));
    circle.style.strokeDasharray = `${length}`;
    circle.style.strokeDashoffset = `${length * (1 - Math.max(0, Math.min(1, fraction)))}`;
  }

  return { timeline, playhead, timeAt, waitChart, progressChart, passRateChart, calibrationChart, ring, signed,
           el, svg, commentMarks, TL };  // el, svg, commentMarks, TL: for the lesson's drawings (lesson_timeline.js)
})();
