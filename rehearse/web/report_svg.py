"""The report's drawings as inline SVG made on the server, so the saved file needs no script to show
them: a rep's timeline (static/draw.js `timeline`, with the coach's comments marked) and a
session's wait per rep (draw.js `waitChart`). Same layout and CSS classes as the pages' drawings.
Every text is escaped (markupsafe): comments and names are user text."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

W, H, LEFT, RIGHT, TOP, BAR = 900, 150, 10, 10, 34, 26  # the timeline (draw.js TL), a row taller for comments
NO_WAIT = "no wait timed"  # a rep whose wait could not be timed, as the charts say it (draw.js NO_WAIT)


def _tag(name: str, attrs: dict[str, Any], text: str | None = None, inner: Markup | None = None) -> Markup:
    rendered = Markup("").join(Markup(' {}="{}"').format(k, _num(v)) for k, v in attrs.items())
    if text is None and inner is None:
        return Markup("<{}{}/>").format(Markup(name), rendered)
    body = inner if inner is not None else text
    return Markup("<{}{}>{}</{}>").format(Markup(name), rendered, body, Markup(name))


def _num(v: Any) -> Any:
    return f"{v:.1f}" if isinstance(v, float) else v


def _svg(width: int, height: int, label: str, parts: list[Markup], css: str = "drawing") -> Markup:
    return _tag("svg", {"viewBox": f"0 0 {width} {height}", "role": "img", "aria-label": label, "class": css}, inner=Markup("").join(parts))


def _unmeasured(at: float, top: float, bottom: float, label: str, title: str) -> Markup:
    """A rep with no value to draw (no wait timed) is no point on the scale — a dot at 0 would read
    as a wait of 0 s — but a dashed line across the chart at its place, saying so along it
    (draw.js `unmeasured`)."""
    middle = (top + bottom) / 2
    return _tag("g", {"class": "unmeasured"}, inner=Markup("").join([
        _tag("line", {"x1": at, "x2": at, "y1": top, "y2": bottom}),
        _tag("text", {"x": at, "y": middle - 4, "text-anchor": "middle", "transform": f"rotate(-90 {at:.1f} {middle:.1f})"},
             label),
        _tag("title", {}, title)]))


def _broken_line(points: list[tuple[float, float | None]]) -> str:
    """An SVG path through the points, broken where a value is missing (None) (draw.js `brokenLine`)."""
    d, gap = [], True
    for at, value in points:
        if value is None:
            gap = True
            continue
        d.append(f"{'M' if gap else 'L'}{at:.1f} {value:.1f}")
        gap = False
    return " ".join(d)


def timeline_svg(rep: dict[str, Any], band: dict[str, Any] | None, comments: list[dict[str, Any]]) -> Markup:
    """Speech as bars on a time axis, the question and the name marked, the wait bracketed against
    the target band, the coach's taps, and each comment as a numbered flag at its moment."""
    m = rep.get("metrics") or {}
    utterances = rep.get("utterances") or []
    last_end = max((u["end"] for u in utterances), default=0)
    total = max(rep.get("duration_s") or 0, last_end, 1, *(c["at_s"] for c in comments))
    x = lambda t: LEFT + (t / total) * (W - LEFT - RIGHT)  # noqa: E731
    parts: list[Markup] = []
    first_end = utterances[0]["end"] if utterances else 0
    start = m["question_end_s"] if m.get("question_end_s") is not None else first_end
    if band:
        a = x(min(start + band["min_s"], total))
        b = x(min(start + band["max_s"], total)) if band.get("max_s") is not None else x(total)
        parts.append(_tag("rect", {"x": a, "y": TOP - 8, "width": max(b - a, 2), "height": BAR + 16, "class": "band"}))
        upper = f"–{band['max_s']:g}" if band.get("max_s") is not None else "+"
        near_end = a > W * 0.7
        parts.append(_tag("text", {"x": W - RIGHT if near_end else a + 4, "y": TOP + BAR + 30, "class": "band-label",
                                   "text-anchor": "end" if near_end else "start"},
                          f"name due here ({band['min_s']:g}{upper} s after the question)"))
    q0, q1, name_at = m.get("question_start_s"), m.get("question_end_s"), m.get("name_start_s")
    for u in utterances:
        css = "speech"
        if q0 is not None and q1 is not None and u["start"] >= q0 - 0.01 and u["end"] <= q1 + 0.01:
            css += " question"
        if name_at is not None and u["start"] <= name_at + 0.01 and u["end"] >= name_at - 0.01:
            css += " name"
        parts.append(_tag("rect", {"x": x(u["start"]), "y": TOP, "width": max(x(u["end"]) - x(u["start"]), 2),
                                   "height": BAR, "rx": 4, "class": css}))
    if m.get("named_before_question") and q0 is not None:
        span = m.get("named_early_span_s")
        early = ({"start": span[0], "end": span[1]} if span
                 else next((u for u in utterances if u["start"] >= q0 - 0.01), None))
        if early:
            parts.append(_tag("rect", {"x": x(early["start"]), "y": TOP + BAR + 2, "height": 5, "class": "speech early",
                                       "width": max(x(early["end"]) - x(early["start"]), 2)}))
        parts.append(_tag("text", {"x": x(early["start"] if early else q0), "y": TOP - 12, "class": "early-label"},
                          f"{m['named_before_question']} named early"))
    wait = m.get("wait_time_s")
    if wait is not None and q1 is not None:
        a, b = x(q1), x(q1 + wait)
        ok = not band or (wait >= band["min_s"] and (band.get("max_s") is None or wait <= band["max_s"]))
        css = "wait " + ("ok" if ok else "short")
        parts += [_tag("line", {"x1": a, "x2": b, "y1": 16, "y2": 16, "class": css}),
                  _tag("line", {"x1": a, "x2": a, "y1": 10, "y2": 22, "class": css}),
                  _tag("line", {"x1": b, "x2": b, "y1": 10, "y2": 22, "class": css}),
                  _tag("text", {"x": (a + b) / 2, "y": 12, "text-anchor": "middle", "class": "wait-label"},
                       f"waited {wait:.1f} s")]
    for t, label in ((q1, "question ends"), (name_at, "name")):
        if t is not None:
            parts.append(_tag("line", {"x1": x(t), "x2": x(t), "y1": TOP - 4, "y2": TOP + BAR + 4, "class": "app-mark"},
                              inner=_tag("title", {}, f"the app: {label} at {t:.2f} s")))
    coach = (rep.get("agreement") or {}).get("coach") or {}
    for t, label in ((coach.get("question_end_s"), "Q"), (coach.get("name_s"), "N")):
        if t is not None:
            parts.append(_tag("g", {"class": "tap-mark"}, inner=Markup("").join([
                _tag("line", {"x1": x(t), "x2": x(t), "y1": TOP + 2, "y2": TOP + BAR + 8}),
                _tag("text", {"x": x(t) + 7, "y": TOP + BAR + 15}, f"{label} tap")])))
    for number, c in enumerate(comments, 1):
        at = x(c["at_s"])
        parts.append(_tag("g", {"class": "comment-mark", "data-at": f"{c['at_s']:.2f}"}, inner=Markup("").join([
            _tag("line", {"x1": at, "x2": at, "y1": TOP - 6, "y2": TOP + BAR + 22}),
            _tag("circle", {"cx": at, "cy": TOP + BAR + 30, "r": 8}),
            _tag("text", {"x": at, "y": TOP + BAR + 34, "text-anchor": "middle"}, str(number)),
            _tag("title", {}, f"comment {number} at {c['at_s']:.1f} s: {c['text']}")])))
    tick = 5 if total > 20 else 1
    for t in range(0, int(total) + 1, tick):
        parts.append(_tag("text", {"x": x(t), "y": H - 2, "text-anchor": "middle", "class": "tick"}, f"{t}s"))
    return _svg(W, H, "timeline of speech and pauses", parts)


def wait_chart_svg(progress: dict[str, Any], band: dict[str, Any] | None) -> Markup:
    """Wait per rep (filled dot: met every criterion) against the target band, with the reps where
    the session became accurate and fluent; empty when no rep was scored."""
    reps = [r for r in progress["reps"] if r.get("wait_time_s") is not None or r.get("passed") is not None]
    if not reps:
        return Markup("")
    w, h, left, right, top, bottom = 900, 200, 36, 12, 12, 26
    n = max(progress["reps"][-1]["rep"], 5)
    band_top = (band.get("max_s") or band["min_s"] * 1.6) if band else 5
    y_max = int(-(-max([r.get("wait_time_s") or 0 for r in reps] + [band_top, 1]) // 1))
    x = lambda rep: left + ((rep - 0.5) / n) * (w - left - right)  # noqa: E731
    y = lambda v: top + (1 - v / y_max) * (h - top - bottom)  # noqa: E731
    parts: list[Markup] = []
    if band:
        hi = min(band["max_s"], y_max) if band.get("max_s") is not None else y_max
        parts.append(_tag("rect", {"x": left, "y": y(hi), "width": w - left - right, "height": y(band["min_s"]) - y(hi),
                                   "class": "band"}))
    for v in range(0, y_max + 1, 5 if y_max > 10 else 1):
        parts.append(_tag("text", {"x": left - 6, "y": y(v) + 4, "text-anchor": "end", "class": "tick"}, f"{v}s"))
    for rep, label in ((progress.get("accurate_at"), "accurate"), (progress.get("fluent_at"), "fluent")):
        if rep is not None:
            parts += [_tag("line", {"x1": x(rep), "x2": x(rep), "y1": top, "y2": h - bottom, "class": f"marker {label}"}),
                      _tag("text", {"x": x(rep) + 4, "y": top + 10, "class": "marker-label"}, label)]
    path = _broken_line([(x(r["rep"]), None if r.get("wait_time_s") is None else y(r["wait_time_s"])) for r in reps])
    if path:
        parts.append(_tag("path", {"d": path, "class": "trend"}))
    for r in progress["reps"]:
        parts.append(_tag("text", {"x": x(r["rep"]), "y": h - 6, "text-anchor": "middle", "class": "tick"}, str(r["rep"])))
        if r.get("passed") is None:
            continue
        wait, verdict = r.get("wait_time_s"), "all criteria met" if r["passed"] else "not yet"
        if wait is None:
            parts.append(_unmeasured(x(r["rep"]), top, h - bottom, NO_WAIT, f"Rep {r['rep']}: {NO_WAIT}, {verdict}"))
            continue
        parts.append(_tag("circle", {"cx": x(r["rep"]), "cy": y(wait), "r": 6, "class": "pass" if r["passed"] else "fail"},
                          inner=_tag("title", {}, f"Rep {r['rep']}: {wait:.1f} s, {verdict}")))
    return _svg(w, h, "wait time per rep against the target", parts)
