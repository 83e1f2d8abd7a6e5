"""docs/cli.md documents every command as the parser has it (quick tier).

Its help blocks are regenerated in memory from rehearse.cli.main.build_parser by
docs/make_cli_docs.py; a block out of date, a command or option without one, or a section without
its paragraph and example fails, naming the command and the command that updates the file.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_cli_docs", ROOT / "docs" / "make_cli_docs.py")
make_cli_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_cli_docs)

UPDATE = f"run `{make_cli_docs.REGENERATE}` to update docs/cli.md, then write what is new in its paragraphs"


def doc() -> str:
    return make_cli_docs.DOC.read_text(encoding="utf-8")


def undocumented(text: str) -> list[str]:
    """The sections of docs/cli.md without a paragraph written by hand or an example of their command."""
    found = []
    for name in make_cli_docs.commands():
        section = re.search(rf"^## `{re.escape(name)}`\n(.*?)<!-- help: {re.escape(name)} -->", text, re.S | re.M)
        if not section:
            found.append(f"`{name}` has no section '## `{name}`' before its help block")
            continue
        body = section[1]
        prose = [p for p in re.sub(r"```.*?```", "", body, flags=re.S).split("\n\n") if p.strip()]
        if not prose or make_cli_docs.TO_WRITE in body:
            found.append(f"`{name}` has no paragraph saying what it is for")
        examples = re.findall(r"```sh\n(.*?)```", body, re.S)
        if not any(re.match(rf"{re.escape(name)}(\s|$)", line) for e in examples for line in e.splitlines()):
            found.append(f"`{name}` has no example (a ```sh block with a line starting '{name}')")
    return found


def test_every_command_and_option_has_its_help_in_the_docs():
    problems = make_cli_docs.problems(doc())
    assert not problems, "\n".join([*problems, UPDATE])


def test_every_command_has_a_paragraph_and_an_example():
    problems = undocumented(doc())
    assert not problems, "\n".join([*problems, "write them in docs/cli.md (the script keeps them)"])


def test_the_blocks_are_what_help_prints():
    """A block is what `rehearse ... --help` prints in a terminal of 100 columns, as a real process."""
    env = {**os.environ, "COLUMNS": str(make_cli_docs.COLUMNS)}
    run = subprocess.run([sys.executable, "-m", "rehearse.cli", "names", "learn", "--help"],
                         capture_output=True, text=True, timeout=120, env=env, check=True)
    written = re.search(r"<!-- help: rehearse names learn -->\n```text\n(.*?)```", doc(), re.S)
    assert written and written[1] == run.stdout


def change_parser(monkeypatch, change) -> None:
    """build_parser as it is, then changed by change(its subcommands), for the script to read."""
    main = importlib.import_module("rehearse.cli.main")  # `rehearse.cli.main` the attribute is main()
    real = main.build_parser

    def build() -> argparse.ArgumentParser:
        parser = real()
        change(next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)))
        return parser

    monkeypatch.setattr(main, "build_parser", build)


def test_a_new_option_or_command_fails_until_the_docs_are_regenerated_and_written(monkeypatch):
    def change(commands):
        commands.choices["score"].add_argument("--fake-option", help="not written up")
        commands.add_parser("tidy", help="a command no one has documented")

    change_parser(monkeypatch, change)
    text = doc()
    problems = make_cli_docs.problems(text)
    assert any("`rehearse score`" in p and "--fake-option" in p for p in problems), problems
    assert any("`rehearse tidy`" in p for p in problems), problems

    regenerated = make_cli_docs.regenerate(text)
    assert make_cli_docs.problems(regenerated) == []
    assert "--fake-option" in regenerated
    assert undocumented(regenerated) == ["`rehearse tidy` has no paragraph saying what it is for"]
    assert regenerated.count("Score recordings of a rep against an action step") == 1  # the paragraphs kept


def test_a_removed_command_fails(monkeypatch):
    change_parser(monkeypatch, lambda commands: commands.choices.pop("devices"))
    assert any("`rehearse devices` is documented" in p for p in make_cli_docs.problems(doc()))
