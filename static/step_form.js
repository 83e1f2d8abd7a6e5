// The action-step editor: as the coach types, ask the server (the same code that saves the file)
// for the criteria as the teacher will read them, the field errors, the warnings and the hint.
import { Api } from "./api.js";
import { appData } from "./app_data.js";

(function () {
  const form = document.getElementById("step-form");
  const preview = document.getElementById("preview");
  const warnings = document.getElementById("warnings");
  const hint = document.getElementById("strategy-hint");
  let timer = null, asked = 0;

  function paragraph(cls, text) {
    const p = document.createElement("p");
    p.className = cls; p.textContent = text;
    return p;
  }

  async function check() {
    const mine = ++asked;
    let body;
    try {
      body = await Api.postForm(appData.check, new FormData(form));
    } catch (err) {
      return; // the preview waits; saving still works and says what is wrong
    }
    if (mine !== asked) return; // a later check is on its way
    preview.replaceChildren(...body.criteria.map((text) => {
      const li = document.createElement("li"); li.textContent = text; return li;
    }));
    warnings.replaceChildren(...body.warnings.map((w) => paragraph("warning", w)));
    hint.hidden = !body.hint;
    hint.textContent = body.hint || "";
    document.querySelectorAll(".rule").forEach((li) => {
      const old = li.querySelector(".live-error");
      if (old) old.remove();
      const ticked = li.querySelector("input[name=rule]").checked;
      li.classList.toggle("on", ticked);
      const message = body.errors[li.dataset.rule];
      if (ticked && message && !li.querySelector(".field-error")) li.append(paragraph("field-error live-error", message));
    });
  }

  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(check, 50); });
  check();
})();
