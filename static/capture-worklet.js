// AudioWorklet processor: hands the microphone's samples to the page as 16 kHz float32 blocks.
// The AudioContext is asked for 16 kHz; where a browser runs it at another rate, the samples are
// averaged down to 16 kHz here (good enough for speech, and pauses keep their timing). Each block
// comes with the audio clock's time just after its last sample, so that the page can tell where in
// the recording any moment falls — a coach's tap (static/taps.js) — even if audio was lost earlier.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.carry = 0;        // fractional input position carried between blocks
    this.acc = 0; this.n = 0;
    this.out = new Float32Array(1600); // 100 ms
    this.filled = 0;
  }
  // `after`: the audio clock's time just after this sample.
  push(value, after) {
    this.out[this.filled++] = value;
    if (this.filled === this.out.length) {
      this.port.postMessage({ samples: this.out.slice(0), endTime: after });
      this.filled = 0;
    }
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      const after = currentTime + (i + 1) / sampleRate;
      if (this.ratio === 1) { this.push(channel[i], after); continue; }
      this.acc += channel[i]; this.n++;
      this.carry += 1;
      if (this.carry >= this.ratio) {
        this.carry -= this.ratio;
        this.push(this.acc / this.n, after);
        this.acc = 0; this.n = 0;
      }
    }
    return true;
  }
}
registerProcessor("capture-processor", CaptureProcessor);
