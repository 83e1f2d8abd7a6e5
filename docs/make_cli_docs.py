"""Write the `--help` blocks of docs/cli.md from the `rehearse` command's own parser.

    python docs/make_cli_docs.py           # rewrite the generated blocks in docs/cli.md
    python docs/make_cli_docs.py --check   # change nothing; say what is out of date (exit 1)

Every command and subcommand (`rehearse names learn` too) has a section in docs/cli.md: a heading,
a paragraph written by hand with one example in a ```sh block, then its help between two markers:

    <!-- help: rehearse score -->
    ```text
    ...exactly what `rehearse score --help` prints at 100 columns...
    ```
    <!-- end help: rehearse score -->

Only what lies between the markers is rewritten; the paragraphs are kept. A command with no section
yet gets one at the end of the file, with a paragraph to write (tests/test_cli_docs.py fails until it
is written). The help is argparse's, from rehearse.cli.main.build_parser, formatted at COLUMNS=100
so that it does not depend on the terminal it is run in.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"
COLUMNS = 100
REGENERATE = "python docs/make_cli_docs.py"
TO_WRITE = "TO WRITE: what this command is for, and one example."

BLOCK = re.compile(r"<!-- help: (?P<name>[^>]+?) -->\n(?P<body>.*?)<!-- end help: (?P=name) -->\n", re.S)


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser by its full name ('rehearse', 'rehearse score', 'rehearse names learn'),
    in the parser's order; an alias (`scenarios` for `steps`) is the same parser, listed once."""
    if str(ROOT) not in sys.path:  # run as a script from a checkout that is not installed
        sys.path.insert(0, str(ROOT))
    from rehearse.cli.main import build_parser

    found: dict[str, argparse.ArgumentParser] = {}

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        found[name] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                seen: set[int] = set()
                for sub, child in action.choices.items():
                    if id(child) not in seen:
                        seen.add(id(child))
                        walk(f"{name} {sub}", child)

    walk("rehearse", build_parser())
    return found


def help_text(parser: argparse.ArgumentParser) -> str:
    """What `--help` prints, at COLUMNS columns whatever the terminal."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(COLUMNS)
    try:
        return parser.format_help().rstrip() + "\n"
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def block(name: str, parser: argparse.ArgumentParser) -> str:
    """The generated block of one command, markers included."""
    return f"<!-- help: {name} -->\n```text\n{help_text(parser)}```\n<!-- end help: {name} -->\n"


def options_of(parser: argparse.ArgumentParser) -> list[str]:
    """The option strings and positional names a command takes (what its help must name)."""
    names = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        names += action.option_strings or [action.metavar or action.dest]
    return names


def regenerate(text: str) -> str:
    """docs/cli.md with every help block as the parser has it now: stale ones rewritten, a block of a
    command that is gone removed, a command without a section given one at the end."""
    parsers = commands()
    kept = BLOCK.sub(lambda m: block(m["name"], parsers[m["name"]]) if m["name"] in parsers else "", text)
    present = {m["name"] for m in BLOCK.finditer(kept)}
    for name, parser in parsers.items():
        if name not in present:
            kept = kept.rstrip("\n") + f"\n\n## `{name}`\n\n{TO_WRITE}\n\n```sh\n{name}\n```\n\n{block(name, parser)}"
    return kept


def problems(text: str) -> list[str]:
    """What is out of date or missing in docs/cli.md, one line per command, naming it."""
    parsers = commands()
    written = {m["name"]: m["body"] for m in BLOCK.finditer(text)}
    found = []
    for name, parser in parsers.items():
        if name not in written:
            found.append(f"`{name}` has no help block in docs/cli.md")
            continue
        if block(name, parser) != f"<!-- help: {name} -->\n{written[name]}<!-- end help: {name} -->\n":
            missing = [o for o in options_of(parser) if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", written[name])]
            why = f"options not documented: {', '.join(missing)}" if missing else "its --help has changed"
            found.append(f"`{name}` is out of date in docs/cli.md ({why})")
    found += [f"`{name}` is documented in docs/cli.md but is no command" for name in written if name not in parsers]
    return found


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# The `rehearse` command\n"
    if check:
        found = problems(text)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print(f"run `{REGENERATE}` to update docs/cli.md", file=sys.stderr)
        return 1 if found else 0
    new = regenerate(text)
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print("docs/cli.md updated")
    if TO_WRITE in new:
        print(f"docs/cli.md: write the paragraphs marked '{TO_WRITE}'", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
