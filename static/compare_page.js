// Two reps side by side (templates/compare.html), on one time scale, read-only.
import { AttemptView } from "./attempt.js";

const sides = JSON.parse(document.getElementById("compare-data").textContent);
const span = Math.max(...sides.map((side) => side.attempt.duration_s || 0));  // one time scale for both
sides.forEach((side, i) => {
  const root = document.getElementById(`side-${i + 1}`);
  const parts = { badge: root.querySelector(".verdict"), verdicts: root.querySelector(".verdicts"),
                  transcript: root.querySelector(".transcript"), timeline: root.querySelector(".timeline") };
  AttemptView.render(parts, side.attempt, side.step && side.step.wait_band, null, span);
});
