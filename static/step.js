// An action step's page: score a shipped model the first time it is shown, and record a model or
// non-example over the same WebSocket protocol as a rep. The page reloads to show the verdicts.
import { Api } from "./api.js";
import { appData } from "./app_data.js";
import { RepRecorder } from "./capture.js";

(function () {
  document.querySelectorAll(".example").forEach((box) => {
    const status = box.querySelector(".status");
    const button = box.querySelector(".record-example");
    const label = button.textContent;
    const urls = appData.examples[box.id];
    let recorder = null, clock = null;

    if (urls.score) {
      status.textContent = "Scoring it against the criteria…";
      Api.post(urls.score)
        .then(() => location.reload())
        .catch((err) => { status.textContent = err.message; });
    }

    function done() {
      clearInterval(clock);
      recorder = null;
      button.textContent = label;
      button.classList.remove("on");
    }

    button.addEventListener("click", async () => {
      if (recorder) {
        recorder.stop();
        button.disabled = true;
        status.textContent = "Scoring…";
        return;
      }
      recorder = new RepRecorder(urls.record, {
        started: () => {
          const begun = performance.now();
          button.textContent = "Stop";
          button.classList.add("on");
          delete box.dataset.cue;
          clock = setInterval(() => { // until the pause cue takes over the line
            if (!box.dataset.cue) status.textContent = `Recording · ${((performance.now() - begun) / 1000).toFixed(0)} s`;
          }, 250);
        },
        cue: (msg) => { // the pause after the question, as on the rehearsal page
          box.dataset.cue = msg.state;
          if (msg.state === "waiting") status.textContent = `Pausing · ${msg.wait_s.toFixed(1)} s`;
          if (msg.state === "done") status.textContent = `You waited ${msg.wait_s.toFixed(1)} s — stop when you have finished`;
        },
        limit: (message) => { clearInterval(clock); button.disabled = true; status.textContent = message; },
        result: () => { done(); location.reload(); },
        failed: (message) => { done(); button.disabled = false; status.textContent = message; },
      });
      try {
        await recorder.start();
      } catch (err) {
        done();
        status.textContent = err.message;
      }
    });
  });
})();
