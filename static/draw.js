// Drawing, in plain SVG (no chart library, nothing from a CDN): an attempt's timeline of speech and
// pauses against the target, and the wait time of each rep against the target band.
window.Draw = (function () {
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(width, height, label) {
    return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "drawing" });
  }

  // Speech as bars on a time axis; the wait (question end -> name) bracketed and measured;
  // the target band shaded from the end of the question.
  function timeline(container, attempt, band) {
    container.innerHTML = "";
    const W = 900, H = 120, left = 10, right = 10, top = 34, bar = 26;
    const lastEnd = (attempt.utterances || []).reduce((end, u) => Math.max(end, u.end), 0);
    const total = Math.max(attempt.duration_s || 0, lastEnd, 1);
    const x = (t) => left + (t / total) * (W - left - right);
    const s = svg(W, H, "timeline of speech and pauses");
    const m = attempt.metrics || {};
    if (band && m.question_end_s != null) {
      const a = x(m.question_end_s + band.min_s);
      const b = band.max_s != null ? x(Math.min(m.question_end_s + band.max_s, total)) : x(total);
      s.append(el("rect", { x: a, y: top - 8, width: Math.max(b - a, 2), height: bar + 16, class: "band" }));
      const nearEnd = a > W * 0.7;
      s.append(el("text", { x: nearEnd ? W - right : a + 4, y: top + bar + 24, class: "band-label",
        "text-anchor": nearEnd ? "end" : "start" },
        `name due here (${band.min_s}${band.max_s != null ? "–" + band.max_s : "+"} s after the question)`));
    }
    for (const u of attempt.utterances || []) {
      const isQuestion = m.question_start_s != null && u.start >= m.question_start_s - 0.01 && u.end <= m.question_end_s + 0.01;
      const isName = m.name_start_s != null && u.start <= m.name_start_s + 0.01 && u.end >= m.name_start_s - 0.01;
      s.append(el("rect", { x: x(u.start), y: top, width: Math.max(x(u.end) - x(u.start), 2), height: bar, rx: 4,
        class: "speech" + (isQuestion ? " question" : "") + (isName ? " name" : "") }, undefined));
    }
    if (m.wait_time_s != null && m.question_end_s != null && m.name_start_s != null) {
      const a = x(m.question_end_s), b = x(m.question_end_s + m.wait_time_s);
      const ok = band ? m.wait_time_s >= band.min_s && (band.max_s == null || m.wait_time_s <= band.max_s) : true;
      s.append(el("line", { x1: a, x2: b, y1: 16, y2: 16, class: "wait " + (ok ? "ok" : "short") }));
      s.append(el("line", { x1: a, x2: a, y1: 10, y2: 22, class: "wait " + (ok ? "ok" : "short") }));
      s.append(el("line", { x1: b, x2: b, y1: 10, y2: 22, class: "wait " + (ok ? "ok" : "short") }));
      s.append(el("text", { x: (a + b) / 2, y: 12, "text-anchor": "middle", class: "wait-label" },
        `waited ${m.wait_time_s.toFixed(1)} s`));
    }
    for (let t = 0; t <= total; t += total > 20 ? 5 : 1) {
      s.append(el("text", { x: x(t), y: H - 2, "text-anchor": "middle", class: "tick" }, `${t}s`));
    }
    container.append(s);
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
    let path = "";
    for (const r of reps) {
      if (r.wait_time_s == null) continue;
      path += (path ? " L" : "M") + x(r.rep) + " " + y(r.wait_time_s);
    }
    if (path) s.append(el("path", { d: path, class: "trend" }));
    for (const r of progress.reps) {
      s.append(el("text", { x: x(r.rep), y: H - 6, "text-anchor": "middle", class: "tick" }, `${r.rep}`));
      if (r.passed == null) continue;
      const v = r.wait_time_s == null ? 0 : r.wait_time_s;
      const dot = el("circle", { cx: x(r.rep), cy: y(v), r: 6, class: r.passed ? "pass" : "fail" });
      dot.append(el("title", {}, `Rep ${r.rep}: ${r.wait_time_s == null ? "no wait measured" : r.wait_time_s.toFixed(1) + " s"}, ${r.passed ? "all criteria met" : "not yet"}`));
      s.append(dot);
    }
    container.append(s);
  }

  // The live cue's ring: the share of the target waited so far.
  function ring(circle, fraction) {
    const length = 2 * Math.PI * Number(circle.getAttribute("r"));
    circle.style.strokeDasharray = `${length}`;
    circle.style.strokeDashoffset = `${length * (1 - Math.max(0, Math.min(1, fraction)))}`;
  }

  return { timeline, waitChart, ring };
})();
