// Start page: show the chosen action step, and fill the roster with its class list
// (unless the coach has already typed one).
(function () {
  const select = document.getElementById("scenario");
  const roster = document.getElementById("roster");
  let edited = roster.value.trim() !== "";
  roster.addEventListener("input", () => { edited = roster.value.trim() !== ""; });
  function show() {
    let defaults = "";
    document.querySelectorAll(".step-details").forEach((el) => {
      const on = el.dataset.scenario === select.value;
      el.hidden = !on;
      if (on) defaults = el.querySelector("template.default-roster").content.textContent.trim();
    });
    if (!edited) roster.value = defaults;
  }
  select.addEventListener("change", show);
  show();
})();
