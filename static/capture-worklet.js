// AudioWorklet processor: hands the microphone's samples to the page as 16 kHz float32 blocks.
// The AudioContext is asked for 16 kHz; where a browser runs it at another rate, the samples are
// averaged down to 16 kHz here (good enough for speech, and pauses keep their timing). Before the
// first block it tells the page the audio clock's time of the recording's first sample, so that a
// coach's tap can be placed on the recording (static/taps.js).
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.carry = 0;        // fractional input position carried between blocks
    this.acc = 0; this.n = 0;
    this.out = new Float32Array(1600); // 100 ms
    this.filled = 0;
    this.started = false;
  }
  push(value) {
    this.out[this.filled++] = value;
    if (this.filled === this.out.length) {
      this.port.postMessage(this.out.slice(0));
      this.filled = 0;
    }
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    if (!this.started) {
      this.started = true;
      this.port.postMessage({ firstSampleTime: currentTime });
    }
    if (this.ratio === 1) {
      for (let i = 0; i < channel.length; i++) this.push(channel[i]);
      return true;
    }
    for (let i = 0; i < channel.length; i++) {
      this.acc += channel[i]; this.n++;
      this.carry += 1;
      if (this.carry >= this.ratio) {
        this.carry -= this.ratio;
        this.push(this.acc / this.n);
        this.acc = 0; this.n = 0;
      }
    }
    return true;
  }
}
registerProcessor("capture-processor", CaptureProcessor);
