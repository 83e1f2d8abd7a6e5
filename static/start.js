// Start page: show the chosen action step, and fill the roster with its class list
// (unless the coach has already typed one); under it, the names the app has learnt how this teacher
// says and those it may mishear, each with a quiet "How is it said?" (templates/class_names.html).
import { Api } from "./api.js";
import { appData } from "./app_data.js";

(function () {
  const select = document.getElementById("step");
  const roster = document.getElementById("roster");
  const teacher = document.getElementById("teacher");
  const notes = document.getElementById("class-names");
  let edited = roster.value.trim() !== "";
  roster.addEventListener("input", () => { edited = roster.value.trim() !== ""; });

  // The names' notes, asked for again as the class list or the teacher changes (a moment after the
  // typing stops); the answer to an older question is dropped. The page came with the notes on the
  // list it shows first.
  const asking = () => `${teacher.value}\u0000${roster.value}`;
  let shownFor = null, asked = 0, waiting = null;
  function namesLater() {
    clearTimeout(waiting);
    waiting = setTimeout(askNames, 400);
  }
  async function askNames() {
    if (asking() === shownFor) return;
    const mine = ++asked, question = asking();
    const form = new FormData();
    form.append("teacher", teacher.value);
    form.append("roster", roster.value);
    let html = null, problem = null;
    try {
      html = await Api.postForm(appData.class_names, form, "text");
    } catch (err) {
      problem = err.message;
    }
    if (mine !== asked) return;
    if (problem) {
      const p = document.createElement("p");
      p.className = "muted small";
      p.textContent = `Could not check the class's names: ${problem} The list is used as typed.`;
      notes.replaceChildren(p);
      return;
    }
    shownFor = question;
    if (notes.innerHTML.trim() !== html.trim()) notes.innerHTML = html;
  }

  function show() {
    let defaults = "";
    document.querySelectorAll(".step-details").forEach((el) => {
      const on = el.dataset.step === select.value;
      el.hidden = !on;
      if (on) defaults = el.querySelector("template.default-roster").content.textContent.trim();
    });
    if (!edited) roster.value = defaults;
    namesLater();
  }
  select.addEventListener("change", show);
  show();
  shownFor = asking();

  // A teacher whose last meeting agreed a next step: typing (or picking) their name selects that
  // step, until the coach chooses a step by hand.
  const hint = document.getElementById("agreed-hint");
  const agreed = {};
  // One teacher whatever the case, the accents' form or invisible characters (as typed_text.name_key).
  const key = (name) => name.normalize("NFC")
    .replace(/[\p{Cf}\p{Cc}\u034f\u115f\u1160\u3164\uffa0]/gu, (c) => (/\s/.test(c) ? " " : ""))
    .split(/\s+/).filter(Boolean).join(" ").toLowerCase().normalize("NFC");
  Object.entries(appData.agreed)
    .forEach(([name, step]) => { agreed[key(name)] = step; });
  let picked = appData.picked;
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
  roster.addEventListener("input", namesLater);
  teacher.addEventListener("input", namesLater);
  teacher.addEventListener("change", namesLater);

  // "How is it said?": "Zofia" becomes "Zofia ()" in the box, the cursor between the brackets.
  notes.addEventListener("click", (event) => {
    const button = event.target.closest("button.say-how");
    if (!button) return;
    const name = button.dataset.pupil;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const found = new RegExp(`(^|[\\n,;])([ \\t]*)(${escaped})([ \\t]*\\([^()\\n,;]*\\))?(?=[ \\t]*(?:$|[\\n,;]))`, "im")
      .exec(roster.value);
    let caret;
    if (found && found[4]) {  // brackets there already: into them
      caret = found.index + found[0].length - 1;
    } else if (found) {
      const at = found.index + found[0].length;
      roster.value = `${roster.value.slice(0, at)} ()${roster.value.slice(at)}`;
      caret = at + 2;
    } else {
      roster.value = `${roster.value.replace(/\s*$/, "")}\n${name} ()`;
      caret = roster.value.length - 1;
    }
    edited = true;
    roster.focus();
    roster.setSelectionRange(caret, caret);
  });
})();
