// The "Observe a lesson" page: who, which step, the class; then the lesson recorded here (the same
// capture as a rep, capture.js, over /ws/lessons/record: each block on disk as it arrives) or a
// recording uploaded. Either way the page goes on to the lesson's own page, which follows the analysis.
import { Api } from "./api.js";
import { appData as data } from "./app_data.js";
import { RepRecorder } from "./capture.js";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("observe-form"), select = $("step"), roster = $("roster"), teacher = $("teacher");
  const record = $("record"), label = $("record-label"), timer = $("timer"), status = $("record-status");
  const upload = $("upload-form"), uploadButton = $("upload"), uploadStatus = $("upload-status");
  const error = $("observe-error");

  // The class list: the chosen step's, until the coach types their own (as the start page).
  let edited = false;
  roster.addEventListener("input", () => { edited = roster.value.trim() !== ""; });
  select.addEventListener("change", () => {
    if (edited) return;
    const own = [...document.querySelectorAll("template.default-roster")].find((t) => t.dataset.step === select.value);
    roster.value = own ? own.content.textContent.trim() : "";
  });

  function fail(message, lessonUrl) {
    error.replaceChildren(document.createTextNode(message));
    if (lessonUrl) {
      const a = document.createElement("a");
      a.href = lessonUrl;
      a.textContent = " Open the lesson";
      error.append(a);
    }
    error.hidden = false;
  }

  function fields() {
    if (!teacher.value.trim()) { teacher.focus(); throw new Error("Whose lesson is it? Type the teacher's name first."); }
    return { teacher: teacher.value, step: select.value, roster: roster.value };
  }

  const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  let recorder = null, lessonUrl = null, ticking = null;

  function stopped() {
    clearInterval(ticking);
    record.classList.remove("on");
    record.setAttribute("aria-pressed", "false");
    label.textContent = "Record the lesson";
    record.disabled = false;
    recorder = null;
  }

  async function start() {
    error.hidden = true;
    let asked;
    try { asked = fields(); } catch (err) { fail(err.message); return; }
    lessonUrl = null;
    recorder = new RepRecorder(data.record + "?" + new URLSearchParams(asked), {
      started(msg) {
        lessonUrl = msg.url;
        status.textContent = "Recording. Press Stop at the end of the lesson.";
      },
      cue() {},
      limit(message) { status.textContent = message; },
      result(lesson) { status.textContent = "Saved. Opening the lesson…"; location.href = lesson.url; },
      failed(message, lesson) {
        const url = (lesson && lesson.url) || lessonUrl;
        stopped();
        status.textContent = "";
        fail(url ? (message.startsWith("The connection") ? "The connection to rehearse was lost while recording. Everything recorded up to then is kept and is being analysed." : message) : message, url);
      },
    });
    record.disabled = true;
    try {
      await recorder.start();
    } catch (err) {
      stopped();
      fail(err.message);
      return;
    }
    record.disabled = false;
    record.classList.add("on");
    record.setAttribute("aria-pressed", "true");
    label.textContent = "Stop";
    timer.hidden = false;
    timer.textContent = clock(0);
    ticking = setInterval(() => { if (recorder) timer.textContent = clock(recorder.recordedS || 0); }, 500);
  }

  function stop() {
    if (!recorder) return;
    clearInterval(ticking);
    record.disabled = true;
    label.textContent = "Saving…";
    status.textContent = "Saving the recording…";
    recorder.stop();
  }

  record.addEventListener("click", () => (recorder && recorder.recording ? stop() : start()));
  record.disabled = false;

  upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    let asked;
    try { asked = fields(); } catch (err) { fail(err.message); return; }
    const file = $("recording").files[0];
    if (!file) { fail("Choose the lesson's recording to upload."); return; }
    if (file.size > data.max_upload_mb * 1024 * 1024) {
      fail(`That file is over ${data.max_upload_mb} MB, the most a lesson's recording may be; upload a compressed copy (M4A or MP3).`);
      return;
    }
    const body = new FormData();
    Object.entries(asked).forEach(([k, v]) => body.append(k, v));
    body.append("recording", file);
    uploadButton.disabled = true;
    uploadStatus.textContent = "Uploading… (a long recording takes a while)";
    try {
      const answer = await Api.postForm(data.upload, body);
      uploadStatus.textContent = "Uploaded. Opening the lesson…";
      location.href = answer.url;
    } catch (err) {
      uploadStatus.textContent = "";
      fail(err.message);
      uploadButton.disabled = false;
    }
  });
  uploadButton.disabled = false;
  form.addEventListener("submit", (event) => event.preventDefault());
})();
