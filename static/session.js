// The rehearsal page: record a rep (button or Space), show the live pause cue, then the feedback;
// the coach can tap along while it is recorded (Q, N: calibration) and overrule any verdict; the
// progress strip shows accuracy, fluency and wait times.
(function () {
  const data = JSON.parse(document.getElementById("session-data").textContent);
  const session = data.session, scenario = data.scenario;
  if (!scenario) return;
  const band = scenario.wait_band;
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
  };
  let attempts = data.attempts, progress = data.progress, shown = null, pass = null;
  let recorder = null, busy = false, stoppedAt = 0, recordStart = 0, clock = null, recordingId = null;

  function nextRep() { return (attempts.length ? Math.max(...attempts.map((a) => a.rep)) : 0) + 1; }

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

  async function startRecording() {
    if (busy) return;
    busy = true;
    setError("");
    ui.record.disabled = true;
    ui.status.textContent = "Opening the microphone…";
    recorder = new RepRecorder("/ws/sessions/" + session.id, {
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
      result: (attempt) => { finishRecording(); addAttempt(attempt, true); saveTaps(attempt.id); },
      failed: async (message, attempt) => {
        finishRecording();
        setError(message);
        if (attempt) { addAttempt(attempt, true); saveTaps(attempt.id); return; }
        // The connection went before the verdict came: the server may have scored the rep anyway.
        await refresh();
        const rep = attempts.find((a) => a.id === recordingId);
        if (rep) saveTaps(rep.id);
        if (rep && rep.status !== "recording") {
          setError(rep.status === "scored" ? "" : rep.error || message);
          showFeedback(rep, true);
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
    ui.status.textContent = "Scoring…";
    recorder.stop();
  }

  function finishRecording() {
    clearInterval(clock);
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

  async function saveTaps(attemptId) {
    const done = pass;
    pass = null;
    if (!done || !done.size) return;
    try {
      const stored = await Taps.save(attemptId, "live", done);
      attempts = attempts.map((a) => (a.id === stored.id ? stored : a));
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
    ui.target.textContent = band ? (msg.reached ? "target reached" : `target ${band.min_s} s`) : "";
    Draw.ring(ui.ring, band ? msg.wait_s / band.min_s : 1);
  }

  ui.record.addEventListener("click", () => (recorder && recorder.recording ? stopRecording() : startRecording()));
  document.addEventListener("keydown", (event) => {
    if (event.code !== "Space" || event.repeat) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select", "button", "audio"].includes(tag) && event.target !== ui.record) return;
    event.preventDefault();
    if (recorder && recorder.recording) stopRecording(); else if (!ui.record.disabled) startRecording();
  });
  ui.again.addEventListener("click", () => { ui.feedback.hidden = true; startRecording(); });

  // Feedback -------------------------------------------------------------------------------

  function addAttempt(attempt, fresh) {
    attempts = attempts.filter((a) => a.id !== attempt.id).concat([attempt]).sort((a, b) => a.rep - b.rep);
    showFeedback(attempt, fresh);
    refresh();
  }

  function showFeedback(attempt, fresh) {
    const sameRep = shown && shown.id === attempt.id;  // the same rep, updated: keep its latency line
    shown = attempt;
    ui.cue.hidden = true;
    ui.feedback.hidden = false;
    ui.title.textContent = `Rep ${attempt.rep}`;
    AttemptView.render({ badge: ui.verdict, verdicts: ui.verdicts, transcript: ui.transcript, timeline: ui.timeline,
                         agreement: ui.agreement, replay: ui.replay, audio: ui.playback },
      attempt, band, (criterion, passed, comment) => saveMark(attempt, criterion, passed, comment));
    if (fresh && stoppedAt) {
      const seconds = (performance.now() - stoppedAt) / 1000;
      ui.latency.textContent = `feedback in ${seconds.toFixed(1)} s`;
      window.rehearseLastLatency = seconds;
      stoppedAt = 0;
    } else if (!sameRep) {
      ui.latency.textContent = attempt.source === "upload" ? "uploaded" : "";
    }
    ui.rescore.hidden = attempt.status === "scored";
    if (!ui.playback.src.endsWith(attempt.audio_url)) ui.playback.src = attempt.audio_url;
    data.shownAttempt = attempt.id;
  }

  async function saveMark(attempt, criterion, passed, comment) {
    try {
      addAttempt(await AttemptView.postMark(attempt.id, criterion, passed, comment), false);
    } catch (err) {
      setError(err.message);
    }
  }

  ui.rescore.addEventListener("click", async () => {
    if (!shown) return;
    ui.rescore.disabled = true;
    ui.status.textContent = `Scoring rep ${shown.rep} again…`;
    const response = await fetch(`/api/attempts/${shown.id}/score`, { method: "POST" });
    const body = await response.json();
    ui.rescore.disabled = false;
    ui.status.textContent = "";
    if (!response.ok) { setError(body.error); return; }
    setError(body.status === "scored" ? "" : body.error);
    addAttempt(body, false);
  });

  // Upload -----------------------------------------------------------------------------------

  ui.uploadForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!ui.uploadFile.files.length) { setError("Choose a recording to upload first."); return; }
    const form = new FormData();
    form.append("recording", ui.uploadFile.files[0]);
    setError("");
    ui.status.textContent = "Uploading and scoring…";
    const response = await fetch(`/api/sessions/${session.id}/uploads`, { method: "POST", body: form });
    const body = await response.json();
    ui.status.textContent = "";
    if (!response.ok) { setError(body.error); return; }
    if (body.status !== "scored") setError(body.error);
    ui.uploadFile.value = "";
    addAttempt(body, false);
  });

  // Progress ---------------------------------------------------------------------------------

  async function refresh() {
    const response = await fetch(`/api/sessions/${session.id}`);
    if (!response.ok) return;
    const fresh = await response.json();
    attempts = fresh.attempts;
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
    ui.progressText.textContent = attempts.length
      ? `${progress.scored} scored ${progress.scored === 1 ? "rep" : "reps"}, ${progress.passed} met every criterion. ${next}`
      : "No reps yet.";
    Draw.waitChart(ui.chart, progress, band);
    ui.reps.innerHTML = "";
    for (const a of attempts) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "rep " + (a.passed === true ? "pass" : a.passed === false ? "fail" : "unscored");
      const wait = a.metrics && a.metrics.wait_time_s != null ? ` · ${a.metrics.wait_time_s.toFixed(1)} s` : "";
      button.textContent = `Rep ${a.rep} ${a.passed === true ? "✓" : a.passed === false ? "✗" : "?"}${wait}${a.overruled ? " · coach" : ""}`;
      button.addEventListener("click", () => showFeedback(a, false));
      li.append(button);
      ui.reps.append(li);
    }
  }

  drawProgress();
  readyToRecord();
  if (attempts.length) showFeedback(attempts[attempts.length - 1], false);
})();
