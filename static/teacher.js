// The teacher's page: ▶ plays a learnt name's piece of recording here (without the script, the link
// opens it); pressed again while it plays, it stops. If it cannot be played, the page says why.
(function () {
  const list = document.querySelector(".learnt-list");
  const error = document.getElementById("names-error");
  if (!list) return;
  const player = new Audio();
  let playing = null;
  function stopped() {
    if (playing) { playing.classList.remove("on"); playing.setAttribute("aria-pressed", "false"); }
    playing = null;
  }
  player.addEventListener("ended", stopped);
  player.addEventListener("error", () => {
    const what = playing ? playing.closest("li").dataset.pupil : "the name";
    stopped();
    error.textContent = `Could not play ${what}: the server did not send the recording (reload the page; it may have been forgotten).`;
    error.hidden = false;
  });
  list.querySelectorAll("a.play-piece").forEach((link) => link.setAttribute("aria-pressed", "false"));
  list.addEventListener("click", (event) => {
    const link = event.target.closest("a.play-piece");
    if (!link) return;
    event.preventDefault();
    error.hidden = true;
    const again = playing === link;
    player.pause();
    stopped();
    if (again) return;
    playing = link;
    link.classList.add("on");
    link.setAttribute("aria-pressed", "true");
    player.src = link.href;
    player.play().catch((err) => {
      if (err.name === "AbortError") return;  // another ▶ was pressed first
      stopped();
      error.textContent = `Could not play it: ${err.message}`;
      error.hidden = false;
    });
  });
})();
