"""MkDocs hook: write the counts the prose quotes from one computed file.

A page writes ``{{ report_fit }}`` where it means "the report's 103 training
pictures"; this hook replaces it with the value that
``docs/_scripts/facts.py`` computed from the library and kept in
``docs/_generated/facts.json``. A heading, a sentence and a table can then
never disagree about a count, and a name the file does not hold stops the
build (it is a typo, or a fact nobody computed) instead of printing braces.

Only the page's own Markdown is read, before the snippets are pasted in, so
the code and outputs that pages include are left exactly as they are.
"""

import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

FACTS = Path(__file__).resolve().parents[1] / "_generated" / "facts.json"
PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")

_facts = None


def load_facts(path=FACTS):
    """Return ``{name: value}`` from the computed file."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    return {name: entry["value"] for name, entry in entries.items()}


def fill(markdown, facts, where="a page"):
    """Replace every ``{{ name }}`` in ``markdown`` with its fact."""
    unknown = sorted({m for m in PLACEHOLDER.findall(markdown) if m not in facts})
    if unknown:
        raise PluginError(
            f"{where} names facts that docs/_generated/facts.json does not hold "
            "(add them to docs/_scripts/facts.py and rerun it). "
            f"Received: {unknown}"
        )
    return PLACEHOLDER.sub(lambda m: facts[m.group(1)], markdown)


def on_page_markdown(markdown, page, **kwargs):
    global _facts
    if _facts is None:
        _facts = load_facts()
    return fill(markdown, _facts, where=page.file.src_uri)
