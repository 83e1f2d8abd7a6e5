"""How text a person typed is shown inside the pages' own sentences (Jinja filters, the pages' and
the one-file report's): isolated, so that its direction, and a right-to-left override left open in
it, ends where it ends and cannot reverse the app's words after it; and with any control
character kept from before typed text had a rule shown as "�" (typed_text.printable).

- `typed`: in an element's text, as <bdi>…</bdi> (HTML's isolation; autoescaped inside).
- `typed_plain`: where no element can go (the <title>, an attribute), between FSI and PDI.
"""

from __future__ import annotations

from markupsafe import Markup

from ..typed_text import isolated, printable


def typed(value) -> Markup:
    return Markup("<bdi>{}</bdi>").format(printable(str(value)))


def typed_plain(value) -> str:
    return isolated(printable(str(value)))


FILTERS = {"typed": typed, "typed_plain": typed_plain}
