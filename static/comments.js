// A coach's comments on a rep's recording (rehearse/store/comments.py), on the rep's page and in the
// meeting after the feedback: click a moment on the timeline, or press C (or the button) while the
// recording plays, and type what you noticed. The comment is kept at that moment of the recording:
// for a click, where the timeline was clicked; for C, the player's currentTime read in the key's own
// handler (shown in the box's data-key-at). Each comment is a numbered mark on the timeline (Draw)
// and a line of the list under it: its moment, its text, Play (from half a second before), Edit and
// Delete. Every change goes to the server (through static/api.js) and the page draws the rep
// again as the server answers.
import { Api } from "./api.js";
import { Draw } from "./draw.js";

export const Comments = (function () {
  const LEAD_S = 0.5;  // play a comment from this long before its moment, to hear what leads up to it
  const KEY = "KeyC";

  const typing = (target) => ["input", "textarea", "select"].includes((target.tagName || "").toLowerCase()) || target.isContentEditable;

  // `box`: the comments' section (macros.html comments_box); `page`: {timeline, audio (the rep's
  // player), ready() (whether a comment may be added now), show(rep) (draw the rep as stored
  // now), fail(error)}. Returns {render(rep)}, to call whenever the page shows a rep.
  function attach(box, page) {
    const list = box.querySelector(".comment-list");
    const form = box.querySelector(".comment-form");
    const field = form.querySelector(".comment-text");
    const when = form.querySelector(".comment-at");
    const problem = form.querySelector(".comment-error");
    const here = box.querySelector(".comment-now");
    let rep = null, editing = null, resume = false;
    page.timeline.classList.add("commentable");

    const length = () => rep.duration_s || (Number.isFinite(page.audio.duration) ? page.audio.duration : Infinity);

    function open(at, comment) {
      editing = comment || null;
      form.dataset.at = String(at);
      when.textContent = `${at.toFixed(1)} s`;
      field.value = comment ? comment.text : "";
      problem.hidden = true;
      form.hidden = false;
      field.focus();
    }

    function close(playOn) {
      form.hidden = true;
      editing = null;
      if (resume && playOn) page.audio.play().catch(() => {});
      resume = false;
    }

    // Stop the player (to type), and play on once the comment is saved if it was playing.
    function hold() {
      resume = !page.audio.paused;
      page.audio.pause();
    }

    // A comment at the moment the player is at: currentTime is read here, as the key goes down.
    function atPlayer() {
      if (!rep || !page.ready()) return false;
      const at = page.audio.currentTime;
      box.dataset.keyAt = String(at);
      hold();
      open(Math.min(at, length()));
      return true;
    }

    function play(at) {
      const from = Math.max(0, at - LEAD_S);
      page.audio.currentTime = from;
      box.dataset.playedFrom = String(from);
      page.audio.play().catch((err) => page.fail(new Error(`The recording could not be played here (${err.message}).`)));
    }

    document.addEventListener("keydown", (event) => {
      if (event.code !== KEY || event.repeat || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      if (atPlayer()) event.preventDefault();
    });
    here.addEventListener("click", atPlayer);
    page.timeline.addEventListener("click", (event) => {
      if (!rep || !page.ready()) return;
      const mark = event.target.closest && event.target.closest(".comment-mark");
      if (mark) { play(Number(mark.dataset.at)); return; }
      const at = Draw.timeAt(page.timeline, event.clientX);
      if (at == null) return;
      hold();
      open(Math.max(0, Math.min(at, length())));
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const url = rep.urls.comments;
      try {
        const stored = editing ? await Api.patch(`${url}/${editing.id}`, { text: field.value })
          : await Api.post(url, { at_s: Number(form.dataset.at), text: field.value });
        close(true);
        here.focus();
        page.show(stored);
      } catch (err) {
        problem.textContent = err.message;  // the text typed stays in the field, to mend
        problem.hidden = false;
        field.focus();
      }
    });
    form.querySelector(".comment-cancel").addEventListener("click", () => close(true));
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); close(true); here.focus(); }
    });

    function button(label, name, action) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "small";
      b.textContent = label;
      b.setAttribute("aria-label", name);
      b.addEventListener("click", action);
      return b;
    }

    function render(shown) {
      if (rep && rep.id !== shown.id) close(false);  // another rep: a comment half typed was for the last
      rep = shown;
      list.innerHTML = "";
      (shown.comments || []).forEach((c, i) => {
        const li = document.createElement("li");
        li.dataset.comment = c.id;
        li.dataset.at = c.at_s;
        const at = document.createElement("span");
        at.className = "comment-time";
        at.textContent = `at ${c.at_s.toFixed(1)} s`;
        const text = document.createElement("bdi");  // isolated: typed text cannot reorder the buttons' words
        text.className = "comment-said";
        text.textContent = c.text;
        const said = `comment ${i + 1}, at ${c.at_s.toFixed(1)} s`;
        const playButton = button("▶ Play", `Play from ${LEAD_S} s before ${said}`, () => play(c.at_s));
        playButton.classList.add("comment-play");
        const edit = button("Edit", `Edit ${said}`, () => { hold(); open(c.at_s, c); });
        const remove = button("Delete", `Delete ${said}`, async () => {
          try { page.show(await Api.remove(`${shown.urls.comments}/${c.id}`)); } catch (err) { page.fail(err); }
        });
        remove.classList.add("comment-delete");
        li.append(at, " ", text, " ", playButton, edit, remove);
        list.append(li);
      });
    }

    return { render };
  }

  return { LEAD_S, attach };
})();
