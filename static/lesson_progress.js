// A lesson's analysis on its page while it runs (templates/lesson_progress.html): the part done and
// the time left, asked of /api/lessons/<id> every two seconds — all server state, so a reload or a
// page opened later shows the same; Cancel; once "done", the page reloads into the findings. A failure
// shows its one line and Analyse again; a cancelled analysis says so, with Analyse again.
import { Api } from "./api.js";
import { appData } from "./app_data.js";

(function () {
  const urls = appData.lesson_progress;  // web/lessons.py progress_urls, in the lesson page's island
  if (!urls || !document.getElementById("lesson-progress")) return;
  const $ = (id) => document.getElementById(id);
  const bar = $("lesson-progress-bar"), text = $("lesson-progress-text"), error = $("lesson-progress-error");
  const cancel = $("lesson-cancel"), again = $("lesson-analyse"), title = $("lesson-progress-title");
  const POLL_MS = 2000;
  let timer = null;

  const left = (s) => (s == null ? "" : s < 60 ? `about ${Math.max(1, Math.round(s))} s left`
    : `about ${Math.round(s / 60)} min left`);

  function show(lesson) {
    const running = ["recording", "queued", "analysing"].includes(lesson.status);
    cancel.hidden = !["queued", "analysing"].includes(lesson.status);
    again.hidden = !["failed", "cancelled"].includes(lesson.status) || !lesson.has_audio;
    error.hidden = lesson.status !== "failed";
    bar.value = lesson.progress || 0;
    if (lesson.status === "done") {
      text.textContent = "Done. Opening the findings…";
      location.reload();
      return false;
    }
    if (lesson.status === "failed") {
      title.textContent = "The analysis failed";
      error.textContent = lesson.error || "The analysis failed.";
      text.textContent = lesson.has_audio ? "The recording is kept: analyse it again, or upload another recording." : "";
    } else if (lesson.status === "cancelled") {
      title.textContent = "Analysis cancelled";
      text.textContent = "The analysis was cancelled. The recording is kept: analyse it again when you like.";
    } else if (lesson.status === "recording") {
      title.textContent = "Being recorded";
      text.textContent = "This lesson is still being recorded; its analysis starts when the recording stops.";
    } else {
      title.textContent = "Analysing the lesson";
      const pct = `${Math.round((lesson.progress || 0) * 100)}% done`;
      text.textContent = [lesson.status === "queued" ? "Waiting its turn" : lesson.stage, pct, left(lesson.eta_s)]
        .filter(Boolean).join(" · ");
    }
    return running;
  }

  async function poll() {
    clearTimeout(timer);
    let lesson;
    try {
      lesson = await Api.get(urls.status);
    } catch (err) {
      text.textContent = `${err.message} Trying again…`;
      timer = setTimeout(poll, POLL_MS * 2);
      return;
    }
    if (show(lesson)) timer = setTimeout(poll, POLL_MS);
  }

  async function act(url, button) {
    button.disabled = true;
    try {
      show(await Api.post(url, {}));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
      poll();
    }
  }

  cancel.addEventListener("click", () => act(urls.cancel, cancel));
  again.addEventListener("click", () => act(urls.analyse, again));
  poll();
})();
