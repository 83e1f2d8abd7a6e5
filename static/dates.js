// Dates and seconds as a person reads them, in one style on every page (a module base.html loads on
// every page; draw.js and rep.js import it). A date is written in the browser's own locale by Intl.DateTimeFormat:
// "date" is dateStyle "medium" (en-GB "3 Nov 2026", de-DE "03.11.2026", en-US "Nov 3, 2026"),
// "datetime" adds timeStyle "short" ("3 Nov 2026, 09:00"), "time" is timeStyle "short" alone.
// The server writes each date as <time datetime="…Z" data-format="…">fallback</time> (and a list
// box's entry as <option data-datetime data-format data-label="Rep 3 · {date} · …">; see
// rehearse/web/figures.py); this rewrites them once the page is read. The charts (draw.js) and the
// tap times (rep.js) call the same functions. A wait is read to a tenth of a second (Seconds).
export const Dates = (function () {
  const STYLES = {
    date: { dateStyle: "medium" },
    datetime: { dateStyle: "medium", timeStyle: "short" },
    time: { timeStyle: "short" },
  };
  const formatters = {};

  // `iso` (a stored time, UTC) in the browser's locale and time zone; "" for none or a bad one.
  function format(iso, style) {
    const at = iso ? new Date(iso) : null;
    if (!at || Number.isNaN(at.getTime())) return "";
    const key = STYLES[style] ? style : "date";
    formatters[key] = formatters[key] || new Intl.DateTimeFormat(undefined, STYLES[key]);
    return formatters[key].format(at);
  }

  const date = (iso) => format(iso, "date");
  const dateTime = (iso) => format(iso, "datetime");
  const time = (iso) => format(iso, "time");

  // A <time> element for a page built by script (e.g. a pass of taps), as the server writes one.
  function element(iso, style) {
    const node = document.createElement("time");
    node.dateTime = new Date(iso).toISOString();
    node.dataset.format = style || "date";
    node.textContent = format(iso, style);
    return node;
  }

  // Every date the server wrote under `root`, rewritten in the browser's locale.
  function apply(root) {
    const scope = root || document;
    for (const node of scope.querySelectorAll("time[datetime][data-format]")) {
      const text = format(node.getAttribute("datetime"), node.dataset.format);
      if (text) node.textContent = text;
    }
    for (const option of scope.querySelectorAll("option[data-datetime][data-label]")) {
      const text = format(option.dataset.datetime, option.dataset.format);
      if (text) option.textContent = option.dataset.label.replace("{date}", text);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => apply());
  else apply();

  return { format, date, dateTime, time, element, apply, STYLES };
})();

// A wait (or any span a person reads) to a tenth of a second: "4.1 s"; "—" for none. Exports keep
// every decimal; the server's twin is the `seconds` filter (rehearse/web/figures.py).
export const Seconds = {
  text(value) { return value == null ? "—" : `${Number(value).toFixed(1)} s`; },
};
