// The rehearsal page: record a rep (button or Space), show the live pause cue, then the verdict in one
// line beside the record button and the full feedback; the coach can tap along while it is recorded
// (Q, N: calibration), overrule any verdict, say in one tap which pupil was named when the app did
// not hear whom, and comment on the rep's recording (comments.js); the progress strip shows accuracy, the streak toward fluency, and wait times.
import { Api } from "./api.js";
import { appData as data } from "./app_data.js";
import { RepView } from "./rep.js";
import { RepRecorder } from "./capture.js";
import { Comments } from "./comments.js";
import { Seconds } from "./dates.js";
import { Draw } from "./draw.js";
import { Taps } from "./taps.js";

(function () {
  const session = data.session, step = data.step;
  if (!step) return;
  const band = step.wait_band;
  const $ = (id) => document.getElementById(id);
  const ui = {
    record: $("record"), label: $("record-label"), status: $("status"), error: $("error"),
    cue: $("cue"), ring: $("ring-front"), seconds: $("cue-seconds"), target: $("cue-target"),
    feedback: $("feedback"), title: $("feedback-title"), verdict: $("feedback-verdict"),
    latency: $("feedback-latency"), verdicts: $("verdicts"), transcript: $("transcript"),
    timeline: $("timeline"), playback: $("playback"), again: $("again"), rescore: $("rescore"),
    counter: $("rep-counter"), accurate: $("accurate-badge"), fluent: $("fluent-badge"),
    progressText: $("progress-text"), chart: $("wait-chart"), reps: $("reps"),
    uploadForm: $("upload-form"), uploadFile: $("upload-file"),
    tapAlong: $("tap-along"), tapStatus: $("tap-status"), agreement: $("agreement"), replay: $("replay"),
    verdictLine: $("verdict-line"), streak: $("streak"), nameFix: $("name-fix"),
  };
  let reps = data.reps, progress = data.progress, shown = null, pass = null;
  let recorder = null, busy = false, stoppedAt = 0, recordStart = 0, clock = null, recordingId = null;
  let scoringClock = null, streakNote = "";
  const comments = Comments.attach($("comments"), { timeline: ui.timeline, audio: ui.playback, fail: (err) => setError(err.message),
    ready: () => !ui.feedback.hidden && !(recorder && recorder.recording),
    show: (stored) => { reps = reps.map((a) => (a.id === stored.id ? stored : a)); showFeedback(stored, false); } });

  function nextRep() { return (reps.length ? Math.max(...reps.map((a) => a.rep)) : 0) + 1; }

  function setError(message) {
    ui.error.hidden = !message;
    ui.error.textContent = message || "";
  }

  function readyToRecord() {
    const rep = nextRep();
    ui.record.classList.remove("on");
    ui.record.setAttribute("aria-pressed", "false");
    ui.label.textContent = `Record rep ${rep}`;
    ui.counter.textContent = `Rep ${rep} of ${session.reps_target}`;
    ui.record.disabled = false;
    busy = false;
  }

  // Recording ------------------------------------------------------------------------------

  // The next rep: the last one's feedback and verdict go (as Again does), and recording starts.
  function nextRepNow() {
    if (busy || ui.record.disabled) return;
    ui.feedback.hidden = true;
    ui.verdictLine.hidden = true;
    ui.nameFix.hidden = true;
    streakNote = "";
    drawStreak();
    startRecording();
  }

  async function startRecording() {
    if (busy) return;
    busy = true;
    setError("");
    ui.record.disabled = true;
    ui.status.textContent = "Opening the microphone…";
    recorder = new RepRecorder(data.urls.record, {
      started: (msg) => {
        recordingId = msg.attempt;
        pass = new Taps.Pass();
        if (ui.tapAlong) { ui.tapAlong.hidden = false; ui.tapStatus.textContent = ""; }
        ui.counter.textContent = `Rep ${msg.rep} of ${session.reps_target}`;
        ui.label.textContent = "Stop";
        ui.record.classList.add("on");
        ui.record.setAttribute("aria-pressed", "true");
        ui.record.disabled = false;
        recordStart = performance.now();
        clock = setInterval(() => {
          ui.status.textContent = `Recording rep ${msg.rep} · ${((performance.now() - recordStart) / 1000).toFixed(0)} s`;
        }, 250);
        ui.status.textContent = `Recording rep ${msg.rep} — ask your question`;
      },
      cue: showCue,
      limit: (message) => { clearInterval(clock); ui.record.disabled = true; ui.status.textContent = message; },
      result: (rep) => { finishRecording(); addRep(rep, true); saveTaps(rep); },
      failed: async (message, rep) => {
        finishRecording();
        setError(message);
        if (rep) { addRep(rep, true); saveTaps(rep); return; }
        // The connection went before the verdict came: the server may have scored the rep anyway.
        await refresh();
        const found = reps.find((a) => a.id === recordingId);
        if (found) saveTaps(found);
        if (found && found.status !== "recording") {
          setError(found.status === "scored" ? "" : found.error || message);
          showFeedback(found, true);
        }
      },
    });
    try {
      await recorder.start();
    } catch (err) {
      recorder.release();
      finishRecording();
      setError(err.message);
    }
  }

  function stopRecording() {
    if (!recorder || !recorder.recording) return;
    stoppedAt = performance.now();
    clearInterval(clock);
    ui.record.disabled = true;
    if (ui.cue.classList.contains("done") || !ui.cue.hidden) ui.target.textContent = "";  // the verdict will say
    // Say what is happening and for how long so far; the seconds are not read out at every tick.
    ui.status.innerHTML = 'Scoring the rep… <span aria-hidden="true" id="scoring-seconds">0.0 s</span>';
    clearInterval(scoringClock);
    scoringClock = setInterval(() => {
      const el = document.getElementById("scoring-seconds");
      if (el) el.textContent = `${((performance.now() - stoppedAt) / 1000).toFixed(1)} s`;
    }, 100);
    recorder.stop();
  }

  function finishRecording() {
    clearInterval(clock);
    clearInterval(scoringClock);
    ui.status.textContent = "";
    if (ui.tapAlong) ui.tapAlong.hidden = true;
    readyToRecord();
  }

  // Tapping along (the coach, to check the timing by ear): Q or N while a rep is recorded; the pass
  // is kept with the rep once it has ended.
  if (ui.tapAlong) {
    Taps.listen(ui.tapAlong, (mark, event) => {
      const clock = pass && recorder && recorder.tapReading(event);
      if (!clock) return false;
      pass.add(mark, clock);
      const at = (t) => (t.clock.captured_s + (t.clock.input_latency_s || 0)).toFixed(1);
      ui.tapStatus.textContent = "Tapped: " + pass.list().map((t) => `${Taps.SAID[t.mark]} at ${at(t)} s`).join(", ");
      return true;
    });
  }

  async function saveTaps(rep) {
    const done = pass;
    pass = null;
    if (!done || !done.size) return;
    try {
      const stored = await Taps.save(rep, "live", done);
      reps = reps.map((a) => (a.id === stored.id ? stored : a));
      if (shown && shown.id === stored.id) showFeedback(stored, false);
    } catch (err) {
      setError(err.message);
    }
  }

  // The cue: hidden until a pause after speech; it grows towards the target and freezes when the
  // teacher speaks again.
  function showCue(msg) {
    if (msg.state === "listening") { ui.cue.hidden = true; return; }
    ui.cue.hidden = false;
    ui.cue.classList.toggle("reached", !!msg.reached);
    ui.cue.classList.toggle("done", msg.state === "done");
    ui.seconds.textContent = msg.wait_s.toFixed(1);
    // Only time: the cue cannot know whether a name came first, so it never says the target was met.
    ui.target.textContent = band ? (msg.reached ? `past ${band.min_s} s` : `target ${band.min_s} s`) : "";
    Draw.ring(ui.ring, band ? msg.wait_s / band.min_s : 1);
  }

  ui.record.addEventListener("click", () => (recorder && recorder.recording ? stopRecording() : nextRepNow()));
  // Space starts and stops a rep wherever the focus is, except where it types or plays: a focused
  // button (a rep's chip, an overrule) is not also clicked by it. Enter after the feedback is Again.
  const typing = (target) => ["input", "textarea", "select", "audio"].includes((target.tagName || "").toLowerCase())
    || target.isContentEditable;
  const interactive = (target) => target !== document.body && target.closest && target.closest("button, a, summary, [tabindex]");
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.code === "Space") {
      event.preventDefault();
      if (event.repeat) return;
      if (recorder && recorder.recording) stopRecording(); else nextRepNow();
    } else if (event.key === "Enter" && !event.repeat && !ui.feedback.hidden && !interactive(event.target)
               && !(recorder && recorder.recording)) {
      event.preventDefault();
      nextRepNow();
    }
  });
  document.addEventListener("keyup", (event) => {  // a button is clicked by Space on its way up: not here
    if (event.code === "Space" && !typing(event.target)) event.preventDefault();
  });
  ui.again.addEventListener("click", nextRepNow);
  const skip = document.querySelector("a.skip");
  if (skip) skip.addEventListener("click", (event) => { event.preventDefault(); ui.record.focus(); });

  // Feedback -------------------------------------------------------------------------------

  function addRep(rep, fresh) {
    reps = reps.filter((a) => a.id !== rep.id).concat([rep]).sort((a, b) => a.rep - b.rep);
    showFeedback(rep, fresh);
    return refresh();
  }

  function showFeedback(rep, fresh) {
    const sameRep = shown && shown.id === rep.id;  // the same rep, updated: keep its latency line
    shown = rep;
    ui.cue.hidden = true;
    ui.feedback.hidden = false;
    ui.title.textContent = `Rep ${rep.rep}`;
    const mark = (criterion, passed, comment, pupil) => saveMark(rep, criterion, passed, comment, pupil);
    RepView.render({ badge: ui.verdict, verdicts: ui.verdicts, transcript: ui.transcript, timeline: ui.timeline,
                         agreement: ui.agreement, replay: ui.replay, audio: ui.playback }, rep, band, mark);
    if (fresh && stoppedAt) {
      const seconds = (performance.now() - stoppedAt) / 1000;
      ui.latency.textContent = `feedback in ${seconds.toFixed(1)} s`;
      ui.latency.dataset.seconds = seconds.toFixed(3);  // read by the browser tests
      stoppedAt = 0;
    } else if (!sameRep) {
      ui.latency.textContent = rep.source === "upload" ? "uploaded" : "";
    }
    ui.rescore.hidden = rep.status === "scored";
    if (!ui.playback.src.endsWith(rep.audio_url)) ui.playback.src = rep.audio_url;
    comments.render(rep);
    showVerdictLine(rep);
    RepView.nameFix(ui.nameFix, rep, session.pupils, mark);
    if (fresh) {
      // The verdict where the eyes are (beside the record button); the full feedback follows it.
      ui.verdictLine.scrollIntoView({ block: "nearest" });
      const box = ui.feedback.getBoundingClientRect();
      if (box.top > window.innerHeight) {  // one column (a phone): bring the feedback's top up, verdict kept in view
        const line = ui.verdictLine.getBoundingClientRect();
        window.scrollBy({ top: Math.max(0, Math.min(line.top - 8, box.top - window.innerHeight * 0.6)) });
      }
    }
  }

  // The pupil heard, in words: the coach's choice, the app's, unclear, early, or none.
  function pupilHeard(m) {
    if (m.name_chosen_by_coach) return `${m.named_pupil} (the coach's choice)`;
    if (m.named_pupil) return m.named_pupil;
    if (m.name_unclear_likely && m.name_unclear_likely.length) return "a pupil (unclear who)";
    if (m.named_before_question) return `${m.named_before_question}, before the question`;
    return "no pupil";
  }

  // One compact line: each criterion ✓/✗ (in words for a screen reader), the wait, the pupil heard.
  function showVerdictLine(rep) {
    const line = ui.verdictLine;
    line.innerHTML = "";
    line.hidden = false;
    line.className = "verdict-line " + (rep.passed === true ? "pass" : rep.passed === false ? "fail" : "unscored");
    const head = document.createElement("p");
    head.className = "vl-head";
    head.textContent = `Rep ${rep.rep}: ` + (rep.passed === true ? "all criteria met" : rep.passed === false ? "not yet" : "not scored");
    line.append(head);
    if (rep.status !== "scored") {
      const why = document.createElement("p");
      why.className = "vl-facts";
      why.textContent = rep.error || "This rep has not been scored.";
      line.append(why);
      return;
    }
    const list = document.createElement("ul");
    for (const v of rep.verdicts) {
      const li = document.createElement("li");
      li.className = v.passed ? "pass" : "fail";
      li.dataset.criterion = v.id;
      const mark = document.createElement("span");
      mark.className = "mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = v.passed ? "✓ " : "✗ ";
      const words = document.createElement("span");
      words.textContent = v.label || v.description;
      words.title = v.description;
      const said = document.createElement("span");
      said.className = "visually-hidden";
      said.textContent = v.passed ? ": passed" : ": not met";
      li.append(mark, words, said);
      list.append(li);
    }
    line.append(list);
    const m = rep.metrics || {};
    const facts = document.createElement("p");
    facts.className = "vl-facts";
    const wait = m.wait_time_s != null ? `Waited ${Seconds.text(m.wait_time_s)}`
      : m.pause_after_question_s != null ? `Paused ${Seconds.text(m.pause_after_question_s)}` : "No wait timed";
    facts.textContent = `${wait} · pupil heard: ${pupilHeard(m)}`;
    line.append(facts);
  }

  async function saveMark(rep, criterion, passed, comment, pupil) {
    const before = progress.streak || 0;
    try {
      await addRep(await RepView.postMark(rep, criterion, passed, comment, pupil), false);
    } catch (err) {
      setError(err.message);
      return;
    }
    const after = progress.streak || 0;
    streakNote = after < before && progress.fluent_at == null
      ? `This overrule resets the streak toward fluency (it was ${Math.min(before, progress.fluent_after)} of ${progress.fluent_after} in a row).` : "";
    drawStreak();
  }

  // The streak toward fluency: "2 of 3 in a row".
  function drawStreak() {
    const scored = progress.scored || 0;
    const n = progress.fluent_after, streak = progress.streak || 0;
    const text = !scored ? ""
      : progress.fluent_at != null ? `Fluent at rep ${progress.fluent_at}: ${streak} in a row now.`
        : `Toward fluency: ${Math.min(streak, n)} of ${n} in a row.`;
    ui.streak.textContent = [text, streakNote].filter(Boolean).join(" ");
    ui.streak.classList.toggle("reset", !!streakNote);
  }

  ui.rescore.addEventListener("click", async () => {
    if (!shown) return;
    ui.rescore.disabled = true;
    ui.status.textContent = `Scoring rep ${shown.rep} again…`;
    let body;
    try {
      body = await RepView.rescore(shown);
    } catch (err) {
      setError(err.message);
      return;
    } finally {
      ui.rescore.disabled = false;
      ui.status.textContent = "";
    }
    setError(body.status === "scored" ? "" : body.error);
    addRep(body, false);
  });

  // Upload -----------------------------------------------------------------------------------

  ui.uploadForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!ui.uploadFile.files.length) { setError("Choose a recording to upload first."); return; }
    const form = new FormData();
    form.append("recording", ui.uploadFile.files[0]);
    setError("");
    ui.status.textContent = "Uploading and scoring…";
    let body;
    try {
      body = await Api.postForm(data.urls.uploads, form);
    } catch (err) {
      setError(err.message);
      return;
    } finally {
      ui.status.textContent = "";
    }
    if (body.status !== "scored") setError(body.error);
    ui.uploadFile.value = "";
    addRep(body, false);
  });

  // Progress ---------------------------------------------------------------------------------

  async function refresh() {
    let fresh;
    try {
      fresh = await Api.get(data.urls.session);
    } catch (err) {
      return;  // the page keeps what it shows; the next rep or reload brings it up to date
    }
    reps = fresh.reps;
    progress = fresh.progress;
    drawProgress();
    readyToRecord();
  }

  function drawProgress() {
    ui.accurate.hidden = progress.accurate_at == null;
    ui.accurate.textContent = `Accurate at rep ${progress.accurate_at}`;
    ui.fluent.hidden = progress.fluent_at == null;
    ui.fluent.textContent = `Fluent at rep ${progress.fluent_at}`;
    const next = progress.accurate_at == null
      ? "Aim first for accuracy: every criterion met."
      : progress.fluent_at == null
        ? `Accurate. Now fluency: ${progress.fluent_after} reps in a row, steady wait, no hesitation.`
        : "Accurate and fluent: the step is secure.";
    ui.progressText.textContent = reps.length
      ? `${progress.scored} scored ${progress.scored === 1 ? "rep" : "reps"}, ${progress.passed} met every criterion. ${next}`
      : "No reps yet.";
    drawStreak();
    Draw.waitChart(ui.chart, progress, band);
    ui.reps.innerHTML = "";
    for (const a of reps) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "rep " + (a.passed === true ? "pass" : a.passed === false ? "fail" : "unscored");
      const wait = a.metrics && a.metrics.wait_time_s != null ? ` · ${Seconds.text(a.metrics.wait_time_s)}` : "";
      button.textContent = `Rep ${a.rep} ${a.passed === true ? "✓" : a.passed === false ? "✗" : "?"}${wait}${a.overruled ? " · coach" : ""}`;
      button.setAttribute("aria-label", `Rep ${a.rep}, ${a.passed === true ? "all criteria met" : a.passed === false ? "not yet" : "not scored"}${wait ? ", waited" + wait.replace(" · ", " ") : ""}${a.overruled ? ", overruled by the coach" : ""}: show its feedback`);
      button.addEventListener("click", () => showFeedback(a, false));
      li.append(button);
      ui.reps.append(li);
    }
  }

  drawProgress();
  readyToRecord();
  if (reps.length) showFeedback(reps[reps.length - 1], false);
})();
