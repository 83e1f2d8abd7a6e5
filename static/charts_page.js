// The review pages' charts (draw.js), each drawn where its page has a place for it: the calibration
// page's scatter, a progress page's two charts, a session summary's wait per rep.
import { appData as data } from "./app_data.js";
import { Draw } from "./draw.js";

const $ = (id) => document.getElementById(id);

if ($("calibration-chart")) Draw.calibrationChart($("calibration-chart"), data.rows, data.band, data.tolerance);
if ($("progress-chart")) Draw.progressChart($("progress-chart"), data.progress, data.metric);
if ($("pass-rate-chart")) Draw.passRateChart($("pass-rate-chart"), data.progress.sessions);
if ($("wait-chart")) Draw.waitChart($("wait-chart"), data.progress, data.step && data.step.wait_band);
