// Tap along to a stored rep as it plays back (the rep page): "Play and tap along" plays the
// recording through Web Audio; Q and N (or the buttons) tap; when it ends, or is stopped, the pass is
// saved and the page shows how it agrees with the app. The timeline's playhead follows what is heard.
import { Draw } from "./draw.js";
import { Taps } from "./taps.js";

export const TapAlong = {
  // `page`: {timeline, audio (the page's own player, paused meanwhile), show(rep), fail(error)}.
  attach(root, rep, page) {
    const play = root.querySelector("#tap-play");
    const status = root.querySelector("#tap-status");
    const position = root.querySelector("#tap-position");
    const buttons = [...root.querySelectorAll("button[data-mark]")];
    const player = new Taps.Player(rep.audio_url);
    let pass = null, frame = null;

    function follow() {
      const heard = player.heard();
      Draw.playhead(page.timeline, heard);
      position.textContent = heard == null ? "" : `${heard.toFixed(1)} s`;
      position.dataset.heard = heard == null ? "" : heard.toFixed(3);
      if (player.playing) frame = requestAnimationFrame(follow);
    }

    const said = (taps) => taps.list().map((t) => Taps.SAID[t.mark]).join(" and ");

    async function finish() {
      cancelAnimationFrame(frame);
      Draw.playhead(page.timeline, null);
      position.textContent = "";
      position.dataset.heard = "";
      play.textContent = "▶ Play and tap along";
      buttons.forEach((b) => { b.disabled = true; });
      const done = pass;
      pass = null;
      if (!done || !done.size) {
        status.textContent = "No taps this time: press Q or N while the rep plays.";
        return;
      }
      status.textContent = "Saving your taps…";
      try {
        page.show(await Taps.save(rep, "playback", done));
        status.textContent = `Saved: ${said(done)}.`;
      } catch (err) {
        status.textContent = "";
        page.fail(err);
      }
    }

    play.addEventListener("click", async () => {
      if (player.playing) { player.stop(); finish(); return; }
      page.audio.pause();
      pass = new Taps.Pass();
      status.textContent = "Loading the recording…";
      try {
        await player.play(0, finish);
      } catch (err) {
        pass = null;
        status.textContent = "";
        page.fail(new Error(`The rep could not be played here (${err.message}); use the player above instead.`));
        return;
      }
      play.textContent = "■ Stop";
      buttons.forEach((b) => { b.disabled = false; });
      status.textContent = "Playing: tap Q the moment the question ends, N the moment the name is said.";
      follow();
    });

    Taps.listen(root, (mark, event) => {
      if (!pass || !player.playing) return false;
      pass.add(mark, player.reading(event));
      status.textContent = `Tapped: ${said(pass)}.`;
      return true;
    });
  },
};
