// Start page: show the chosen action step, and fill the roster with its class list
// (unless the coach has already typed one).
(function () {
  const select = document.getElementById("step");
  const roster = document.getElementById("roster");
  let edited = roster.value.trim() !== "";
  roster.addEventListener("input", () => { edited = roster.value.trim() !== ""; });
  function show() {
    let defaults = "";
    document.querySelectorAll(".step-details").forEach((el) => {
      const on = el.dataset.step === select.value;
      el.hidden = !on;
      if (on) defaults = el.querySelector("template.default-roster").content.textContent.trim();
    });
    if (!edited) roster.value = defaults;
  }
  select.addEventListener("change", show);
  show();

  // A teacher whose last meeting agreed a next step: typing (or picking) their name selects that
  // step, until the coach chooses a step by hand.
  const teacher = document.getElementById("teacher");
  const hint = document.getElementById("agreed-hint");
  const agreed = {};
  const key = (name) => name.split(/\s+/).filter(Boolean).join(" ").toLowerCase();
  Object.entries(JSON.parse(document.getElementById("agreed-steps").textContent))
    .forEach(([name, step]) => { agreed[key(name)] = step; });
  let picked = select.hasAttribute("data-picked");
  // What to go back to for a teacher with no agreed step: the step asked for, else the first one.
  const initial = hint.hidden ? select.value : (select.options[0] || {}).value;
  select.addEventListener("change", () => { picked = true; hint.hidden = true; });
  function preselect() {
    const step = agreed[key(teacher.value)];
    if (picked) return;
    const found = step && [...select.options].some((o) => o.value === step);
    if (select.value !== (found ? step : initial)) {
      select.value = found ? step : initial;
      show();
    }
    hint.hidden = !found;
  }
  teacher.addEventListener("input", preselect);
  teacher.addEventListener("change", preselect);
})();
