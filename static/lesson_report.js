// An observed lesson's saved report (rehearse/web/lesson_report.py): written into the report's one
// file with the modules it imports (rehearse/web/report_script.py), so the report draws the lesson's
// timeline with the page's own code (lesson_timeline.js), from the report's JSON island.
import { appData as data } from "./app_data.js";
import { LessonTimeline } from "./lesson_timeline.js";

const place = document.getElementById("lesson-timeline");
if (place && data.drawing) LessonTimeline.draw(place, data.drawing, data.goal_s);
