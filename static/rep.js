// One rep drawn for a page: its overall verdict, each criterion (the app's verdict, the coach's
// overrule and comment, and — where the page allows — the tools to overrule), the transcript with
// the question and the named pupil marked, the timeline, buttons that play it from the app's marks,
// and how the coach's taps along it agree with the app's timing. Used by the rehearsal, rep and
// compare pages.
import { Api } from "./api.js";
import { Dates, Seconds } from "./dates.js";
import { Draw } from "./draw.js";

export const RepView = (function () {
  function verdictBadge(el, rep) {
    el.className = "verdict " + (rep.passed === true ? "pass" : rep.passed === false ? "fail" : "unscored");
    el.textContent = rep.passed === true ? "All criteria met" : rep.passed === false ? "Not yet" : "Not scored";
  }

  // `saveMark(criterion, passed, comment)` given: the coach can overrule and comment; else read-only.
  function verdictList(ul, rep, saveMark) {
    ul.innerHTML = "";
    if (rep.status !== "scored") {
      const li = document.createElement("li");
      li.className = "unscored";
      li.textContent = rep.error || "This rep has not been scored.";
      ul.append(li);
    }
    for (const v of rep.verdicts) ul.append(verdictItem(v, saveMark));
  }

  function verdictItem(v, saveMark) {
    const li = document.createElement("li");
    li.className = (v.passed ? "pass" : "fail") + (saveMark ? "" : " read-only");
    li.dataset.criterion = v.id;
    const icon = document.createElement("span");
    icon.className = "icon";
    icon.innerHTML = `<span aria-hidden="true">${v.passed ? "✓" : "✗"}</span><span class="visually-hidden">${v.passed ? "Met:" : "Not met:"}</span>`;
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
        const said = document.createElement("bdi");  // isolated: an override in it ends at the quote
        said.textContent = v.comment;
        comment.append("“", said, "”");
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
    flip.setAttribute("aria-label", `${flip.textContent}: ${v.description}`);
    const comment = document.createElement("input");
    comment.type = "text";
    comment.placeholder = "Coach's comment";
    comment.value = v.comment || "";
    comment.setAttribute("aria-label", `Coach's comment on: ${v.description}`);
    flip.addEventListener("click", () => saveMark(v.id, overruled ? null : !v.app, comment.value));
    // A comment keeps the pupil the coach chose (names_pupil): without it the choice would be undone.
    comment.addEventListener("change", () => saveMark(v.id, overruled ? v.coach : null, comment.value, v.pupil));
    tools.append(flip, comment);
    li.append(tools);
    return li;
  }

  function transcript(el, rep) {
    el.innerHTML = "";
    for (const w of rep.words || []) {
      const span = document.createElement(w.role ? "mark" : "span");
      if (w.role) span.className = w.role;
      span.textContent = w.word;
      el.append(span, document.createTextNode(" "));
    }
    if (!(rep.words || []).length) el.textContent = rep.status === "scored" ? "(nothing recognised)" : "";
  }

  // Post a coach's mark; resolve to the rep as stored now (or throw the server's message).
  // `pupil` (on names_pupil): who the coach says was named, where the app did not hear whom.
  function postMark(rep, criterion, passed, comment, pupil) {
    return Api.post(rep.urls.marks, pupil ? { criterion, passed, comment, pupil } : { criterion, passed, comment });
  }

  // Score a stored rep again from its recording; resolve to the rep as stored now (scored,
  // or unscored with the reason), or throw the server's message (e.g. it is still being recorded).
  function rescore(rep) {
    return Api.post(rep.urls.score);
  }

  const LEAD_S = 0.5;  // replay from this long before a mark, to hear what leads up to it

  // Buttons that play the recording in `audio` from just before the app's question end and name,
  // so a coach can check a disputed verdict by ear.
  function replay(container, rep, audio) {
    container.innerHTML = "";
    const m = rep.metrics || {};
    for (const [t, what] of [[m.question_end_s, "the question ends"], [m.name_start_s, "the name"]]) {
      if (t == null) continue;
      const from = Math.max(0, t - LEAD_S);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small replay";
      button.dataset.from = from.toFixed(2);
      button.textContent = `▶ ${LEAD_S} s before ${what} (${t.toFixed(1)} s)`;
      button.addEventListener("click", () => { audio.currentTime = from; audio.play(); });
      container.append(button);
    }
  }

  const signed = Draw.signed;

  // How the coach's latest taps along this rep compare with the app's timing, in words.
  function agreement(container, rep) {
    container.innerHTML = "";
    const a = rep.agreement;
    if (!a) return;
    const line = (text, className) => {
      const p = document.createElement("p");
      if (className) p.className = className;
      p.textContent = text;
      container.append(p);
      return p;
    };
    const how = (a.source === "live" ? "Tapped live" : "Tapped on playback") + (a.passes > 1 ? ` (the latest of ${a.passes} passes)` : "");
    const ms = (s) => (Math.round(s * 1000) === 0 ? "0 ms" : `${s > 0 ? "+" : "−"}${Math.abs(Math.round(s * 1000))} ms`);
    if (a.coach.wait_s != null && a.app && a.app.wait_s != null) {
      line(`${how}, the coach's wait is ${Seconds.text(a.coach.wait_s)}; the app measured ${Seconds.text(a.app.wait_s)}: ` +
        `a difference of ${signed(a.difference_s)} (${ms(a.difference_s)})` +
        `${a.within_tolerance ? ", within the precision of tapping by hand." : "."}`, "agreement-main");
    } else if (a.coach.wait_s != null) {
      line(`${how}, the coach's wait is ${Seconds.text(a.coach.wait_s)}; the app timed no wait ` +
        "(it heard no pupil named after the question).", "agreement-main");
    } else {
      line(`${how}: only ${a.coach.question_end_s != null ? "the question's end" : "the name"} was tapped, ` +
        "so there is no wait to compare.", "agreement-main");
    }
    const lags = [];
    if (a.question_offset_s != null) lags.push(`${signed(a.question_offset_s)} from the app's question end`);
    if (a.name_offset_s != null) lags.push(`${signed(a.name_offset_s)} from its name`);
    if (lags.length) {
      line(`Each tap: ${lags.join(", ")}. A person's tap comes 0.2–0.3 s after the sound, so taps late by about ` +
        "that much are the tapping, not the app.", "muted small");
    }
    if (a.verdicts_agree != null) {
      const word = (v) => (v ? "met" : "not met");
      const band = a.band ? ` (${a.band.min_s}${a.band.max_s != null ? "–" + a.band.max_s : "+"} s)` : "";
      line(a.verdicts_agree
        ? `Against the target${band} both say: ${word(a.app_verdict)}.`
        : `Against the target${band} they differ: the app says ${word(a.app_verdict)}, the coach's taps say ` +
          `${word(a.coach_verdict)}. Play it from the marks to check by ear.`, a.verdicts_agree ? "verdicts-agree" : "verdicts-differ");
    }
    if (a.repeat_spread_s != null) line(`Tapped more than once: the coach's waits for this rep differ by ${a.repeat_spread_s.toFixed(2)} s.`, "muted small");
  }

  // The passes of taps kept for this rep, each with a button to forget it (`remove(tapId)`).
  function tapPasses(list, rep, remove) {
    list.innerHTML = "";
    for (const t of rep.taps || []) {
      const li = document.createElement("li");
      const q = t.question_end_s == null ? "—" : `${t.question_end_s.toFixed(2)} s`;
      const n = t.name_s == null ? "—" : `${t.name_s.toFixed(2)} s`;
      li.append(`${t.source === "live" ? "Live" : "On playback"}, `, Dates.element(t.tapped_at, "datetime"),
        `: question ended ${q}, name ${n} `);
      if (remove) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "small";
        button.textContent = "Remove";
        button.setAttribute("aria-label", `Remove the taps of ${Dates.dateTime(t.tapped_at)}`);
        button.addEventListener("click", () => remove(t.id));
        li.append(button);
      }
      list.append(li);
    }
  }

  // Who was named is one tap (on the session page and a rep's page): "heard 'Need' — was it Niamh or Tom?"
  // (and "Someone else…" for the rest of the class); when no pupil was heard after the wait, the class
  // to pick from; when the app named one, a quiet "Not Xavier? Who was named…" that opens the class.
  // The choice keeps the wait (progress.py) and teaches the app how this teacher says the name: the
  // line under the choices says what was learnt. `saveMark(criterion, passed, comment, pupil)` stores
  // it and shows the rep again; the focus stays on the button pressed.
  const or = (names) => (names.length === 1 ? names[0] : names.slice(0, -1).join(", ") + " or " + names.at(-1));
  function nameFix(box, rep, pupils, saveMark) {
    const focused = box.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    box.innerHTML = "";
    box.hidden = true;
    const m = rep.metrics;
    const verdict = (rep.verdicts || []).find((v) => v.id === "names_pupil");
    if (rep.status !== "scored" || !m || !verdict || m.named_before_question || m.question_end_s == null) return;
    const chosen = verdict.pupil;
    const unclear = m.name_unclear_likely && m.name_unclear_likely.length ? m.name_unclear_likely : null;
    const everyone = pupils || [];
    const appNamed = !chosen && !unclear ? m.named_pupil : null;  // the app heard whom
    // The pupils offered at once, and the rest of the class behind a quiet button.
    const first = chosen ? [...new Set([...(unclear || []), chosen])] : unclear || (appNamed ? [] : everyone);
    const rest = everyone.filter((name) => !first.includes(name) && name !== appNamed);
    if (!first.length && !rest.length) return;
    const heard = m.name_heard ? `Heard “${m.name_heard.trim()}”` : "No pupil was heard named after the wait";
    const group = (names, labelledBy) => {
      const choices = document.createElement("div");
      choices.className = "choices";
      choices.setAttribute("role", "group");
      choices.setAttribute("aria-labelledby", labelledBy);
      for (const name of names) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "small" + (name === chosen ? " chosen" : "");
        button.textContent = name;
        button.dataset.pupil = button.dataset.key = name;
        button.setAttribute("aria-pressed", String(name === chosen));
        button.setAttribute("aria-label", `${name} was named`);
        button.addEventListener("click", () => saveMark("names_pupil", true, verdict.comment, name));
        choices.append(button);
      }
      return choices;
    };
    box.classList.toggle("quiet", !!appNamed);
    if (!appNamed) {
      const ask = document.createElement("p");
      ask.id = "name-fix-question";
      ask.textContent = chosen ? `${heard}: the coach says it was ${chosen}.`
        : unclear ? `${heard} — was it ${or(first)}?` : `${heard}. If one was named, who?`;
      box.append(ask, group(first, ask.id));
    }
    if (rest.length) {
      const more = document.createElement("button");
      more.type = "button";
      more.className = "small link more";
      more.dataset.key = "more";
      more.textContent = appNamed ? `Not ${appNamed}? Who was named…` : "Someone else…";
      more.id = "name-fix-more-button";
      more.setAttribute("aria-expanded", "false");
      more.setAttribute("aria-controls", "name-fix-more");
      const others = group(rest, more.id);
      others.id = "name-fix-more";
      others.hidden = true;
      more.addEventListener("click", () => {
        others.hidden = !others.hidden;
        more.setAttribute("aria-expanded", String(!others.hidden));
        box.classList.toggle("quiet", !!appNamed && others.hidden);
        if (!others.hidden) others.querySelector("button").focus();
      });
      (box.querySelector(".choices") || box).append(more);
      box.append(others);
    }
    if (chosen) {
      const undo = document.createElement("button");
      undo.type = "button";
      undo.className = "small";
      undo.dataset.key = "undo";
      undo.textContent = "Undo: no pupil chosen";
      undo.addEventListener("click", () => saveMark("names_pupil", null, verdict.comment, null));
      box.querySelector(".choices").append(undo);
    }
    const taught = rep.taught && chosen ? rep.taught : null;
    if (taught || rep.learn_note) {
      const line = document.createElement("p");
      line.className = "learnt-line";
      line.id = "name-fix-learnt";
      line.textContent = !taught ? rep.learn_note : taught.heard
        ? `Learnt how ${taught.teacher} says ${taught.pupil}: heard “${taught.heard.trim()}”`
        : `Learnt how ${taught.teacher} says ${taught.pupil}, from this rep's recording.`;
      box.append(line);
      box.querySelectorAll("button.chosen").forEach((b) => b.setAttribute("aria-describedby", line.id));
    }
    box.hidden = false;
    if (focused != null) {
      const again = [...box.querySelectorAll("button")].find((b) => b.dataset.key === focused);
      (again && !again.closest("[hidden]") ? again : box.querySelector("button")).focus();
    }
  }

  // The whole rep into a page's parts {badge, verdicts, transcript, timeline, and optionally
  // agreement, replay with audio}; `span` puts several timelines on one time scale.
  function render(parts, rep, band, saveMark, span) {
    verdictBadge(parts.badge, rep);
    verdictList(parts.verdicts, rep, saveMark);
    transcript(parts.transcript, rep);
    if (rep.metrics) Draw.timeline(parts.timeline, rep, band, span); else parts.timeline.innerHTML = "";
    if (parts.agreement) agreement(parts.agreement, rep);
    if (parts.replay && parts.audio) replay(parts.replay, rep, parts.audio);
  }

  return { verdictBadge, verdictList, transcript, agreement, replay, tapPasses, nameFix, render, postMark, rescore };
})();
