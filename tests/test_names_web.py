"""Names learnt the way each teacher says them (issue 28), on the pages, through Flask's test client
over a real store of real scored reps (tests/seed.py) and the real model: the coach's one tap
teaches the session's teacher and undoing it forgets; the teacher's page lists what was learnt,
plays its piece (a WAV, under the recordings' rules) and forgets it; the start page notes the names
learnt and those the app may mishear, and the session page lists the class with its hints."""

from __future__ import annotations

import html
import io
import re
import wave

from rehearse.reps import open_store
from rehearse.store import learnt, passcode
from rehearse.reps.scoring import mark_named
from rehearse.web import create_app

from .page_client import page_client
from .test_learnt import niamh_rep, teacher_id  # noqa: F401 - niamh_rep is a fixture
from .test_review_web import app, client, store  # noqa: F401 - fixtures: the app over the seeded store

# A name the model's tokenizer cuts into many pieces, with no said-as spelling: the app may mishear it.
HARD = "Oluwadamilare"


def mark(client, attempt_id, **body):
    response = client.post(f"/api/attempts/{attempt_id}/marks", json={"criterion": "names_pupil", "comment": ""} | body)
    assert response.status_code == 200, response.text
    return response.json


def test_the_one_tap_teaches_the_sessions_teacher_and_undoing_it_forgets(client, store, niamh_rep):  # noqa: F811
    okafor, byrne = teacher_id(store, "Ms Okafor"), teacher_id(store, "Mr Byrne")
    before = store.rep(niamh_rep).result.stored

    # The app named a pupil; the coach says it was another ("Not Niamh? Who was named…").
    chosen = mark(client, niamh_rep, pupil="Priya")

    assert chosen["metrics"]["named_pupil"] == "Priya" and chosen["metrics"]["name_chosen_by_coach"]
    (sound,) = learnt.learnt_for(store, okafor)["Priya"]
    assert chosen["learnt"] == chosen["taught"] == {"id": chosen["taught"]["id"], "pupil": "Priya",
                                                    "heard": sound.heard, "teacher": "Ms Okafor"}
    assert chosen["learn_note"] is None
    assert learnt.learnt_for(store, byrne) == {}  # the session's teacher's, no one else's
    assert store.rep(niamh_rep).result.stored == before  # the rep's own result is as it was
    session = client.get(f"/api/sessions/{store.rep(niamh_rep).session_id}").json
    assert [a["taught"] for a in session["reps"] if a["id"] == niamh_rep] == [chosen["taught"]]

    # A comment that carries the pupil keeps what was learnt; a choice changed replaces it.
    assert mark(client, niamh_rep, pupil="Priya", comment="Said it softly")["taught"]["pupil"] == "Priya"
    assert mark(client, niamh_rep, pupil="Niamh")["taught"]["pupil"] == "Niamh"
    assert list(learnt.learnt_for(store, okafor)) == ["Niamh"]

    undone = mark(client, niamh_rep, passed=None)  # "Undo: no pupil chosen"
    assert undone["taught"] is None and undone["learnt"] is None
    assert "names_pupil" not in store.rep(niamh_rep).marks and learnt.learnt_for(store, okafor) == {}

    mark(client, niamh_rep, pupil="Priya")
    overruled = mark(client, niamh_rep, passed=False)  # "not met", no pupil: the coach's word on who is gone
    assert overruled["taught"] is None and learnt.learnt_for(store, okafor) == {}
    assert store.rep(niamh_rep).marks["names_pupil"].passed is False

    wrong = client.post(f"/api/attempts/{niamh_rep}/marks", json={"criterion": "names_pupil", "pupil": "Caoimhe"})
    assert wrong.status_code == 400 and "Priya" in wrong.json["error"] and learnt.learnt_for(store, okafor) == {}


def test_a_tap_on_a_rep_whose_recording_is_gone_is_kept_and_says_nothing_was_learnt(client, store, niamh_rep):  # noqa: F811
    store.audio_file(store.rep(niamh_rep)).unlink()
    chosen = mark(client, niamh_rep, pupil="Priya")
    assert chosen["metrics"]["named_pupil"] == "Priya" and chosen["taught"] is None
    note = chosen["learn_note"]
    assert note.startswith("Nothing learnt from this rep: ") and "\n" not in note and "recordings" not in note
    assert store.rep(niamh_rep).marks["names_pupil"].pupil == "Priya"


def test_the_teachers_page_lists_what_was_learnt_plays_it_and_forgets_it(client, store, niamh_rep, history_instance):  # noqa: F811
    okafor, byrne = teacher_id(store, "Ms Okafor"), teacher_id(store, "Mr Byrne")
    assert "Nothing learnt yet" in client.get(f"/teachers/{okafor}").text
    taught = mark(client, niamh_rep, pupil="Priya")["taught"]
    page = client.get(f"/teachers/{okafor}").text

    section = " ".join(html.unescape(without_bdi(re.search(r'<section class="card learnt-names".*?</section>', page, re.S).group(0))).split())
    assert "How Ms Okafor says the class's names" in section
    assert "a second or two of Ms Okafor's voice" in section and "deleted with Ms Okafor's data" in section
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.search(r"<li data-learnt.*?</li>", section, re.S).group(0)))
    assert re.search(rf"Priya — “{re.escape(taught['heard'])}”, learnt from rep 2 on \d+ \w+ \d{{4}}", row), row
    assert f'href="/attempts/{niamh_rep}"' in section
    assert 'aria-label="Play how Ms Okafor says Priya' in section and 'aria-label="Forget how Ms Okafor says Priya' in section
    assert "names learnt from how they say them" in page  # the privacy section says they go with her
    assert "every name learnt from how they say it" in client.get(f"/teachers/{okafor}/delete").text

    # The piece plays as a WAV of her voice, with the recordings' headers.
    piece = client.get(f"/teachers/{okafor}/names/{taught['id']}/audio")
    assert piece.status_code == 200 and piece.mimetype == "audio/wav"
    with wave.open(io.BytesIO(piece.data)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.readframes(wav.getnframes()) == learnt.learnt_for(store, okafor)["Priya"][0].pcm
    assert piece.headers["Cache-Control"] == "no-store"
    assert piece.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert piece.headers["X-Content-Type-Options"] == "nosniff"
    # Another teacher's address, or a number nothing has, is not found.
    assert client.get(f"/teachers/{byrne}/names/{taught['id']}/audio").status_code == 404
    assert client.get(f"/teachers/{okafor}/names/999/audio").status_code == 404
    assert client.get(f"/teachers/999/names/{taught['id']}/audio").status_code == 404

    # Forget: only from the app's own page (its token), only her own, then it is gone.
    forget = f"/teachers/{okafor}/names/{taught['id']}/forget"
    assert client.post(forget, csrf=False).status_code == 403
    assert client.post(f"/teachers/{byrne}/names/{taught['id']}/forget").status_code == 404
    assert client.post(f"/teachers/{okafor}/names/999/forget").status_code == 404
    assert list(learnt.learnt_for(store, okafor)) == ["Priya"]
    done = client.post(forget)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/teachers/{okafor}?forgot=1#names")
    assert learnt.learnt_for(store, okafor) == {}
    after = client.get(f"/teachers/{okafor}?forgot=1").text
    assert "Forgot 1 learnt name: its piece of recording deleted." in after and "Nothing learnt yet" in after
    assert client.get(f"/teachers/{okafor}/names/{taught['id']}/audio").status_code == 404
    assert client.post(forget).status_code == 404
    assert "names_pupil" in store.rep(niamh_rep).marks  # the coach's mark stays: only the learning goes

    # Forget all.
    mark(client, niamh_rep, pupil="Priya")
    mark(client, history_instance[1]["sessions"][1]["attempts"][0], pupil="Tomasz")
    assert sorted(learnt.learnt_for(store, okafor)) == ["Priya", "Tomasz"]
    assert client.post(f"/teachers/{okafor}/names/forget", csrf=False).status_code == 403
    done = client.post(f"/teachers/{okafor}/names/forget")
    assert done.headers["Location"].endswith("?forgot=2#names") and learnt.learnt_for(store, okafor) == {}
    assert "Forgot 2 learnt names" in client.get(done.headers["Location"]).text


def test_deleting_a_teacher_says_how_many_learnt_names_went_with_her(client, store, niamh_rep):  # noqa: F811
    okafor = teacher_id(store, "Ms Okafor")
    mark(client, niamh_rep, pupil="Priya")
    done = client.post(f"/teachers/{okafor}/delete", data={"confirm": "Ms Okafor"}, follow_redirects=True)
    assert "Deleted the teacher&#39;s data: 2 sessions, 6 recordings and 1 learnt name." in done.text
    assert learnt.learnt_for(store, okafor) == {}


def test_a_learnt_names_piece_needs_the_sign_in_as_a_recording_does(history_instance, niamh_rep):  # noqa: F811
    app = create_app({"INSTANCE": history_instance[0], "WARM_UP": False, "REQUIRE_PASSCODE": True})
    passcode.set_passcode(app.instance_path, "correct horse battery")
    store = open_store(history_instance[0])
    okafor = teacher_id(store, "Ms Okafor")
    taught = mark_named(store, niamh_rep, "Priya")
    client = page_client(app)
    for path in (f"/teachers/{okafor}/names/{taught['id']}/audio", f"/attempts/{niamh_rep}/audio"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"], path
    assert client.post(f"/teachers/{okafor}/names/forget", csrf=False).status_code == 401
    assert client.post("/class-names", csrf=False, data={"roster": "Priya"}).status_code == 401
    assert list(learnt.learnt_for(store, okafor)) == ["Priya"]


def notes_of(html: str) -> str:
    """The start page's notes on the class list, without the <bdi> that isolates each typed name."""
    return without_bdi(re.search(r'<div id="class-names".*?</div>', html, re.S).group(0))


def without_bdi(html: str) -> str:
    return html.replace("<bdi>", "").replace("</bdi>", "")


def test_the_start_page_notes_names_learnt_and_names_the_app_may_mishear(client, store, niamh_rep):  # noqa: F811
    mark(client, niamh_rep, pupil="Priya")
    # The start form sent with a mistake comes back with the class list as typed, and its notes.
    roster = f"Tom\n{HARD}\nCaoimhe\nKwabena (Kwah-bay-na)\npriya"
    page = client.post("/sessions", data={"teacher": "ms okafor", "step": "pose-pause-name", "roster": roster, "reps": "0"})
    assert page.status_code == 400
    notes = notes_of(page.text)
    assert re.findall(r'<li class="learnt" data-pupil="([^"]+)">\1 — learnt', notes) == ["priya"]
    assert "how Ms Okafor says it" in notes
    # Only the name with nothing to help the app is offered a hint: "Caoimhe" has its said-as
    # spelling built in, Kwabena has one typed, "Tom" is one piece to the model, Priya is learnt.
    assert re.findall(r'<li class="hard" data-pupil="([^"]+)"', notes) == [HARD]
    assert f'aria-label="How is {HARD} said? Add how it sounds to the class list">How is it said?</button>' in notes
    assert "add how it sounds, e.g. Caoimhe (Keeva)" in notes

    # The script asks again as the list or the teacher changes: the same notes, for whoever is typed.
    again = client.post("/class-names", data={"teacher": "Mr Byrne", "roster": roster}).text
    assert 'class="learnt"' not in again and f'data-pupil="{HARD}"' in again
    assert f'data-pupil="{HARD}"' not in client.post("/class-names", data={"roster": f"{HARD} (Oloo-dah-mee-lah-ray)"}).text
    assert client.post("/class-names", data={"roster": "Tom\ntom"}).text.strip() == ""  # unreadable: no notes
    assert client.post("/class-names", data={"roster": "Tom"}, csrf=False).status_code == 403

    # A new session: the page's first notes are on the step's own class; Ms Okafor's learnt names show.
    first = client.get("/?teacher=Ms%20Okafor&step=pose-pause-name").text
    assert '<li class="learnt" data-pupil="Priya">' in notes_of(first)


def test_a_hint_left_empty_is_no_error_and_the_session_lists_the_class_with_its_hints(client, app, store, niamh_rep):  # noqa: F811
    mark(client, niamh_rep, pupil="Priya")
    response = client.post("/sessions", data={"teacher": "Ms Okafor", "step": "pose-pause-name",
                                              "roster": f"Priya\n{HARD} ()\nCaoimhe (Keeva)", "reps": "5"})
    assert response.status_code == 302
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert list(store.session(session_id).roster) == ["Priya", HARD, "Caoimhe (Keeva)"]
    page = client.get(f"/sessions/{session_id}").text
    roster = re.sub(r"<[^>]+>", "", re.search(r'<p class="muted class-roster">.*?</p>', page, re.S).group(0))
    assert roster == f"Priya — learnt, {HARD}, Caoimhe (Keeva)"
