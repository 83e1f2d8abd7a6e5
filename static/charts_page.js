// The review pages' charts (draw.js), each drawn where its page has a place for it: the calibration
// page's scatter, a progress page's two charts, a session summary's wait per rep.
import { Draw } from "./draw.js";

const $ = (id) => document.getElementById(id);
const read = (id) => ($(id) ? JSON.parse($(id).textContent) : null);

const calibration = read("calibration-data");
if (calibration && $("calibration-chart")) Draw.calibrationChart($("calibration-chart"), calibration.rows, calibration.band, calibration.tolerance);

const progress = read("progress-data");
if (progress) {
  Draw.progressChart($("progress-chart"), progress.progress, progress.metric);
  Draw.passRateChart($("pass-rate-chart"), progress.progress.sessions);
}

const session = read("session-data");
if (session && $("wait-chart")) Draw.waitChart($("wait-chart"), session.progress, session.step && session.step.wait_band);
