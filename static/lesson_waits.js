// The teacher's page: for each action step observed in a lesson, the median wait of each rehearsal
// session (●) and of each observed lesson (◆) by date, against the step's target wait
// (rehearse/web/lesson_teacher.py), drawn with draw.js's helpers like the other charts. Each point
// is a link to its session or lesson; its tooltip says the date and the wait.
import { appData as data } from "./app_data.js";
import { Dates, Seconds } from "./dates.js";
import { Draw } from "./draw.js";

const { el, svg } = Draw;

function chart(container, c) {
  container.innerHTML = "";
  const W = 900, H = 220, left = 40, right = 16, top = 12, bottom = 30;
  const points = [...c.sessions.map((p) => ({ ...p, kind: "session" })), ...c.lessons.map((p) => ({ ...p, kind: "lesson" }))];
  if (!points.length) return;
  const times = points.map((p) => new Date(p.at).getTime());
  const first = Math.min(...times), last = Math.max(...times);
  const span = Math.max(last - first, 24 * 3600 * 1000);
  const yMax = Math.ceil(Math.max(...points.map((p) => p.median_wait_s), c.band ? (c.band.max_s || c.band.min_s * 1.6) : 5, 1));
  const x = (iso) => left + 10 + ((new Date(iso).getTime() - first) / span) * (W - left - right - 20);
  const y = (v) => top + (1 - v / yMax) * (H - top - bottom);
  const s = svg(W, H, `median wait by date: ${c.words}`);
  if (c.band) {
    const hi = c.band.max_s != null ? Math.min(c.band.max_s, yMax) : yMax;
    s.append(el("rect", { x: left, y: y(hi), width: W - left - right, height: y(c.band.min_s) - y(hi), class: "band" }));
  }
  for (let v = 0; v <= yMax; v += yMax > 10 ? 5 : 1) {
    s.append(el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, `${v}s`));
  }
  for (const p of points) {
    const link = el("a", { href: p.url, class: p.kind === "lesson" ? "lesson-point" : "session-point" });
    const cx = x(p.at), cy = y(p.median_wait_s);
    link.append(p.kind === "lesson"
      ? el("path", { d: `M${cx} ${cy - 8} L${cx + 8} ${cy} L${cx} ${cy + 8} L${cx - 8} ${cy} Z`, class: "lesson-dot" })
      : el("circle", { cx, cy, r: 6, class: "session-dot" }));
    link.append(el("title", {}, `${p.kind === "lesson" ? "observed lesson" : "rehearsal session"}, ${Dates.date(p.at)}: median wait ${Seconds.text(p.median_wait_s)}`));
    s.append(link);
  }
  for (const iso of [points.find((p) => new Date(p.at).getTime() === first).at, points.find((p) => new Date(p.at).getTime() === last).at]) {
    s.append(el("text", { x: x(iso), y: H - 8, "text-anchor": "middle", class: "tick", "data-datetime": iso, "data-format": "date" }, Dates.date(iso)));
  }
  container.append(s);
}

(data.lesson_charts || []).forEach((c, i) => {
  const place = document.querySelector(`.lesson-waits[data-chart="${i}"]`);
  if (place) chart(place, c);
});
