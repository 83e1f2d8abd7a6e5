// Tapping along to a rep, to check the app's timing by ear (calibration): Q the moment the question
// ends, N the moment the pupil's name is said — live while a rep is recorded, or while a stored rep
// plays back. The page only reads its clocks at each tap; the server turns the readings into seconds
// on the recording's clock (rehearse/calibration.py), so that arithmetic is in one tested place.
import { Api } from "./api.js";

export const Taps = (function () {
  const KEYS = { KeyQ: "question_end", KeyN: "name" };
  const SAID = { question_end: "question ended", name: "name said" };

  // Seconds since an input event happened: a handler can run late on a busy laptop, and the tap
  // is the moment of the key press, not of the handler.
  function age(event) {
    return event && event.timeStamp ? Math.max(0, (performance.now() - event.timeStamp) / 1000) : 0;
  }

  // One pass of tapping: the last tap of each mark.
  class Pass {
    constructor() { this.taps = {}; }
    add(mark, clock) { this.taps[mark] = { mark, clock }; }
    get size() { return Object.keys(this.taps).length; }
    list() { return Object.values(this.taps); }
  }

  // Call `tap(mark, event)` for the Q and N keys (not while typing in a field) and for presses of the
  // buttons with a data-mark inside `root`. A button counts on the press, not the release (the tap is
  // the moment the finger goes down), and takes no focus, so Space still starts and stops a rep; a
  // keyboard user's Enter on a focused button counts too. `tap` returns false when it is not taking
  // taps now (the key then does what it would otherwise do).
  function listen(root, tap) {
    document.addEventListener("keydown", (event) => {
      const mark = KEYS[event.code];
      if (!mark || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
      const tag = (event.target.tagName || "").toLowerCase();
      if (["input", "textarea", "select"].includes(tag)) return;
      if (tap(mark, event) !== false) event.preventDefault();
    });
    for (const button of root.querySelectorAll("button[data-mark]")) {
      button.addEventListener("pointerdown", (event) => { event.preventDefault(); tap(button.dataset.mark, event); });
      button.addEventListener("click", (event) => { if (event.detail === 0) tap(button.dataset.mark, event); });
    }
  }

  // Keep a pass of taps with the rep; resolve to the rep as stored now, with its agreement.
  function save(rep, source, pass) {
    return Api.post(rep.urls.taps, { source, taps: pass.list() });
  }

  function remove(rep, tapId) {
    return Api.remove(`${rep.urls.taps}/${tapId}`);
  }

  // A stored rep played through Web Audio, so that each tap can be placed on the recording by the
  // audio clock: what is being played (`rendered_s`) and how far that runs ahead of what the coach
  // hears from the speaker (`output_latency_s`: the delay between the page and the sound).
  class Player {
    constructor(url) { this.url = url; this.context = null; this.buffer = null; this.source = null; }

    async load() {
      if (this.buffer) return;
      let bytes;
      try {
        bytes = await Api.get(this.url, "bytes");
      } catch (err) {
        throw err.status ? new Error("The recording of this rep could not be loaded; it may have been deleted.") : err;
      }
      this.context = new AudioContext();
      this.buffer = await this.context.decodeAudioData(bytes);
    }

    get playing() { return this.source !== null; }

    // Play from `from` seconds; `ended` is called when it reaches the end or is stopped.
    async play(from, ended) {
      await this.load();
      await this.context.resume();
      this.stop();
      const source = this.context.createBufferSource();
      source.buffer = this.buffer;
      source.connect(this.context.destination);
      this.from = Math.max(0, Math.min(from || 0, this.buffer.duration));
      this.startAt = this.context.currentTime + 0.1;  // scheduled: its start on the audio clock is exact
      source.onended = () => { if (this.source === source) { this.source = null; ended(); } };
      source.start(this.startAt, this.from);
      this.source = source;
    }

    stop() {
      const source = this.source;
      this.source = null;
      if (source) { source.onended = null; source.stop(); }
    }

    // How far the audio clock runs ahead of the sound at the speaker, in seconds.
    outputLatency() {
      const ts = this.context.getOutputTimestamp ? this.context.getOutputTimestamp() : null;
      if (ts && ts.contextTime > 0 && ts.performanceTime > 0) {
        const heardNow = ts.contextTime + (performance.now() - ts.performanceTime) / 1000;
        return Math.max(0, this.context.currentTime - heardNow);
      }
      return (this.context.outputLatency || 0) + (this.context.baseLatency || 0);
    }

    // The clock readings at an input event (or now).
    reading(event) {
      return { rendered_s: this.context.currentTime - age(event) - this.startAt + this.from,
               output_latency_s: this.outputLatency() };
    }

    // Where in the recording the sound at the speaker is now (for the page's playhead).
    heard() {
      if (!this.playing) return null;
      const r = this.reading();
      return Math.max(0, r.rendered_s - r.output_latency_s);
    }
  }

  return { SAID, age, Pass, listen, save, remove, Player };
})();
