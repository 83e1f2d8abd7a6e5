// Recording one rep (or a step's model): the microphone through an AudioWorklet, 16 kHz 16-bit PCM
// over a WebSocket at `path` (/ws/sessions/<id> or /ws/steps/<id>/<kind>). The server writes each
// block to disk as it arrives, sends the pause cue back while recording, and the verdict after "stop".
import { Taps } from "./taps.js";

export class RepRecorder {
  constructor(path, handlers) {
    this.path = path;
    this.on = handlers; // {started, cue, result, failed, limit (optional)}
    this.ws = null; this.context = null; this.stream = null; this.node = null;
    this.recording = false; this.stopping = false;
  }

  async openMicrophone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("This browser cannot record here. Open rehearse at http://127.0.0.1:5000 in Chrome, Edge or Firefox, or upload a recording below.");
    }
    try {
      // Echo cancellation, noise suppression and automatic gain change the levels that pauses are
      // measured from: ask for the plain signal.
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      });
    } catch (err) {
      if (err && (err.name === "NotAllowedError" || err.name === "SecurityError")) {
        throw new Error("The browser did not allow the microphone. Allow it for this page (the icon by the address bar), then press Record again — or upload a recording below.");
      }
      if (err && err.name === "NotFoundError") {
        throw new Error("No microphone was found. Plug one in (or choose one in the system settings), then press Record again.");
      }
      throw new Error("The microphone could not be opened (" + (err && err.message || err) + "). Close other apps using it, then try again.");
    }
    try {
      this.context = new AudioContext({ sampleRate: 16000 });
    } catch (err) {
      this.context = new AudioContext(); // the worklet resamples to 16 kHz
    }
    await this.context.audioWorklet.addModule(new URL("./capture-worklet.js", import.meta.url));
  }

  async start() {
    // The microphone first, so the teacher can start at once: blocks recorded before the server
    // has opened the rep wait in `queue` and go out, in order, as soon as it has.
    await this.openMicrophone();
    this.queue = [];
    this.opened = false;
    const source = this.context.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.context, "capture-processor");
    this.recordedS = 0;      // seconds of audio handed on for the recording so far...
    this.recordedAt = null;  // ...and the audio clock's time just after the last of them
    this.node.port.onmessage = (event) => this.send(event.data.samples, event.data.endTime);
    source.connect(this.node);
    this.recording = true;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    this.ws = new WebSocket(scheme + location.host + this.path);
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (event) => this.message(JSON.parse(event.data));
    this.ws.onclose = () => {
      if (this.recording || this.stopping) {
        const wasRecording = this.recording;
        this.release();
        this.on.failed(wasRecording
          ? "The connection to rehearse was lost while recording. The rep is kept up to that moment: check that rehearse is still running, then score it from the list of reps or record it again."
          : "The connection to rehearse was lost before the verdict arrived. The rep is kept: reload the page to see it.", null);
      }
    };
    await new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = () => reject(new Error("rehearse is not answering. Check that it is still running (make run), then try again."));
    });
    this.ws.send(JSON.stringify({ type: "start" }));
  }

  // The clock readings for a coach's tap at `event` while recording (static/taps.js): how far into
  // the recording the page had got at that moment — the audio handed on so far, plus the audio clock's
  // time since (counting samples, not time since the start, keeps the tap on the recording even if
  // audio was lost on the way) — and the microphone's own latency (a sound reaches the page that much
  // after it is made). Null before the first block (100 ms) or once stopped.
  tapReading(event) {
    if (!this.recording || !this.context || this.recordedAt == null) return null;
    const track = this.stream && this.stream.getAudioTracks()[0];
    const settings = track && track.getSettings ? track.getSettings() : {};
    return {
      captured_s: this.recordedS + (this.context.currentTime - Taps.age(event) - this.recordedAt),
      input_latency_s: typeof settings.latency === "number" ? settings.latency : null,
    };
  }

  send(block, endTime) {
    if (!this.recording) return;
    this.recordedS += block.length / 16000;
    this.recordedAt = endTime;
    const pcm = new Int16Array(block.length);
    for (let i = 0; i < block.length; i++) {
      const s = Math.max(-1, Math.min(1, block[i]));
      pcm[i] = s < 0 ? s * 32768 : s * 32767;
    }
    if (this.opened && this.ws.readyState === WebSocket.OPEN) this.ws.send(pcm.buffer);
    else this.queue.push(pcm.buffer);
  }

  flush() {
    this.opened = true;
    for (const buffer of this.queue) this.ws.send(buffer);
    this.queue = [];
  }

  message(msg) {
    if (msg.type === "started") { this.flush(); this.on.started(msg); }
    else if (msg.type === "cue") this.on.cue(msg);
    else if (msg.type === "limit") { this.stop(); if (this.on.limit) this.on.limit(msg.message); }
    else if (msg.type === "result") { this.stopping = false; this.release(); this.on.result(msg.attempt); }
    else if (msg.type === "error") { this.stopping = false; this.release(); this.on.failed(msg.message, msg.attempt || null); }
  }

  stop() {
    if (!this.recording) return;
    this.recording = false;
    this.stopping = true;
    if (this.node) this.node.port.onmessage = null;
    this.stopTracks();
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      if (!this.opened) this.flush();
      this.ws.send(JSON.stringify({ type: "stop" }));
    }
  }

  stopTracks() {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    if (this.context) this.context.close();
    this.stream = null; this.context = null;
  }

  release() {
    this.recording = false;
    this.stopTracks();
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.close();
  }
}
