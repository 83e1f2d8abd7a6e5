"""The saved report's one script: the pages' own ES modules (static/), inlined into one module.

A report is opened from disk (a file:// page, offline) and its policy lets it load nothing, so it can
import no other file. Its script, static/report_page.js, and the modules it imports (app_data.js,
draw.js and the dates.js that draw.js imports) are read from the shipped static folder when the
report is made and written as one <script type="module">: each module in a function scope of its
own, in the order of their imports, its exports handed to the modules that import it. So the saved
report draws its charts with exactly the code the pages draw them with (issue 30).

Only the forms the app's modules use are understood — `import { A, B as C } from "./x.js";` and
`export const|let|function|class NAME` — and anything else is refused (ValueError) rather than
inlined wrongly; so is code that would end the <script> element it is written into.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from .. import shipped

ENTRY = "report_page.js"
IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"\./([\w-]+\.js)";?[ \t]*\n?', re.M)
EXPORT = re.compile(r"^export\s+(?:async\s+)?(?:const|let|function\*?|class)\s+(\w+)", re.M)
LEFT_OVER = re.compile(r"^\s*(import|export)\b", re.M)  # a form of import or export not understood
ENDS_SCRIPT = re.compile(r"</script|<!--", re.I)


def report_script(folder: Path | None = None, entry: str = ENTRY) -> str:
    """The module `entry` of `folder` (the shipped static folder) with every module it imports,
    as the text of one inline module script."""
    folder = folder or shipped.folder("static")
    sources = {name: (folder / name).read_text(encoding="utf-8") for name in _import_order(folder, entry)}
    script = "\n".join(_scoped(name, text, last=name == entry) for name, text in sources.items())
    if ENDS_SCRIPT.search(script):
        raise ValueError("a static module holds '</script' or '<!--', which would end the report's script early")
    return script


def script_hash(script: str) -> str:
    """The Content-Security-Policy source that lets this inline script, and no other, run."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def _import_order(folder: Path, entry: str) -> list[str]:
    """`entry` and the modules it imports, each after the ones it imports."""
    order: list[str] = []

    def visit(name: str, importers: tuple[str, ...]) -> None:
        if name in importers:
            raise ValueError(f"static modules import each other in a circle: {' -> '.join(importers + (name,))}")
        if name in order:
            return
        for _, imported in IMPORT.findall((folder / name).read_text(encoding="utf-8")):
            visit(imported, importers + (name,))
        order.append(name)

    visit(entry, ())
    return order


def _scoped(name: str, text: str, last: bool) -> str:
    """One module in a function scope of its own: its imports taken from the modules inlined before
    it, its exports returned (the entry module's are not needed)."""
    bindings = "".join(f"const {{ {_renamed(names)} }} = {_variable(module)};\n" for names, module in IMPORT.findall(text))
    body = IMPORT.sub("", text)
    exported = EXPORT.findall(body)
    body = re.sub(r"^export\s+", "", body, flags=re.M)
    if LEFT_OVER.search(body):
        raise ValueError(f"static/{name}: an import or export the report cannot inline (only `import {{ … }} from "
                         f"\"./x.js\"` and `export const|function|class`)")
    if last:
        return f"// {name}\n{{\n{bindings}{body}}}"
    return f"// {name}\nconst {_variable(name)} = (() => {{\n{bindings}{body}return {{ {', '.join(exported)} }};\n}})();"


def _renamed(names: str) -> str:
    """`A, B as C` as a destructuring: `A, B: C`."""
    return ", ".join(re.sub(r"\s+as\s+", ": ", n.strip()) for n in names.split(",") if n.strip())


def _variable(module: str) -> str:
    return "module_" + re.sub(r"\W", "_", module.removesuffix(".js"))
