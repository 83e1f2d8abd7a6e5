// One attempt drawn for a page: its overall verdict, each criterion (the app's verdict, the coach's
// overrule and comment, and — where the page allows — the tools to overrule), and the transcript
// with the question and the named pupil marked. Used by the rehearsal, attempt and compare pages.
window.AttemptView = (function () {
  function verdictBadge(el, attempt) {
    el.className = "verdict " + (attempt.passed === true ? "pass" : attempt.passed === false ? "fail" : "unscored");
    el.textContent = attempt.passed === true ? "All criteria met" : attempt.passed === false ? "Not yet" : "Not scored";
  }

  // `saveMark(criterion, passed, comment)` given: the coach can overrule and comment; else read-only.
  function verdictList(ul, attempt, saveMark) {
    ul.innerHTML = "";
    if (attempt.status !== "scored") {
      const li = document.createElement("li");
      li.className = "unscored";
      li.textContent = attempt.error || "This rep has not been scored.";
      ul.append(li);
    }
    for (const v of attempt.verdicts) ul.append(verdictItem(v, saveMark));
  }

  function verdictItem(v, saveMark) {
    const li = document.createElement("li");
    li.className = (v.passed ? "pass" : "fail") + (saveMark ? "" : " read-only");
    li.dataset.criterion = v.id;
    const icon = document.createElement("span");
    icon.className = "icon";
    icon.textContent = v.passed ? "✓" : "✗";
    icon.setAttribute("aria-label", v.passed ? "met" : "not met");
    const body = document.createElement("div");
    body.className = "body";
    const title = document.createElement("strong");
    title.textContent = v.description;
    const detail = document.createElement("p");
    detail.className = "detail";
    detail.textContent = v.detail;
    body.append(title, detail);
    const overruled = v.coach != null && v.coach !== v.app;
    if (overruled) {
      const note = document.createElement("p");
      note.className = "coach-note";
      note.textContent = `Coach: ${v.coach ? "met" : "not met"} (the app said ${v.app ? "met" : "not met"})`;
      body.append(note);
    }
    li.append(icon, body);
    if (!saveMark) {
      if (v.comment) {
        const comment = document.createElement("p");
        comment.className = "coach-comment";
        comment.textContent = `“${v.comment}”`;
        body.append(comment);
      }
      return li;
    }
    const tools = document.createElement("div");
    tools.className = "coach-tools";
    const flip = document.createElement("button");
    flip.type = "button";
    flip.className = "small";
    flip.textContent = overruled ? "Undo overrule" : (v.app ? "Overrule: not met" : "Overrule: met");
    const comment = document.createElement("input");
    comment.type = "text";
    comment.placeholder = "Coach's comment";
    comment.value = v.comment || "";
    comment.setAttribute("aria-label", `Coach's comment on: ${v.description}`);
    flip.addEventListener("click", () => saveMark(v.id, overruled ? null : !v.app, comment.value));
    comment.addEventListener("change", () => saveMark(v.id, overruled ? v.coach : null, comment.value));
    tools.append(flip, comment);
    li.append(tools);
    return li;
  }

  function transcript(el, attempt) {
    el.innerHTML = "";
    for (const w of attempt.words || []) {
      const span = document.createElement(w.role ? "mark" : "span");
      if (w.role) span.className = w.role;
      span.textContent = w.word;
      el.append(span, document.createTextNode(" "));
    }
    if (!(attempt.words || []).length) el.textContent = attempt.status === "scored" ? "(nothing recognised)" : "";
  }

  // Post a coach's mark; resolve to the attempt as stored now (or throw the server's message).
  async function postMark(attemptId, criterion, passed, comment) {
    const response = await fetch(`/api/attempts/${attemptId}/marks`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ criterion, passed, comment }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error);
    return body;
  }

  // Score a stored attempt again from its recording; resolve to the attempt as stored now (scored,
  // or unscored with the reason), or throw the server's message (e.g. it is still being recorded).
  async function rescore(attemptId) {
    let response;
    try {
      response = await fetch(`/api/attempts/${attemptId}/score`, { method: "POST" });
    } catch (err) {
      throw new Error("The server did not answer: is rehearse still running? Start it again, then retry.");
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `The server could not score this rep (${response.status}); reload the page and try again.`);
    return body;
  }

  // The whole attempt into a page's parts {badge, verdicts, transcript, timeline}; `span` puts
  // several timelines on one time scale.
  function render(parts, attempt, band, saveMark, span) {
    verdictBadge(parts.badge, attempt);
    verdictList(parts.verdicts, attempt, saveMark);
    transcript(parts.transcript, attempt);
    if (attempt.metrics) Draw.timeline(parts.timeline, attempt, band, span); else parts.timeline.innerHTML = "";
  }

  return { verdictBadge, verdictList, transcript, render, postMark, rescore };
})();
