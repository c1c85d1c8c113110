"""One source of truth for the counts the docs' prose quotes.

``docs/_scripts/facts.py`` computes the counts (parameters of the report's
networks, pictures of the report's split) from the library; pages write
``{{ name }}`` and the ``docs/_hooks/facts.py`` hook fills them in. These
tests keep the file current, keep every page's names known, and catch a
count typed by hand that disagrees with the computed one.
"""

import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FACTS = DOCS / "_generated" / "facts.json"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.md")
    if not {"_generated", "_scripts", "_hooks"} & set(path.relative_to(DOCS).parts)
)


def _hook():
    spec = importlib.util.spec_from_file_location(
        "facts_hook", DOCS / "_hooks" / "facts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prose(path):
    """A page's Markdown without its fenced code: what a reader reads as text."""
    text = path.read_text(encoding="utf-8")
    # A fence and its closing fence at the same indentation (spaces only: a
    # newline in the indentation would let one fence pair with any later one).
    return re.sub(r"^([ \t]*)```.*?^\1```", "", text, flags=re.S | re.M)


def test_the_facts_file_is_what_the_script_computes(tmp_path):
    out = tmp_path / "facts.json"
    subprocess.run(
        [sys.executable, str(DOCS / "_scripts" / "facts.py"), "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert json.loads(out.read_text()) == json.loads(FACTS.read_text()), (
        "docs/_generated/facts.json is stale: run python docs/_scripts/facts.py"
    )


def test_every_fact_a_page_names_is_computed():
    pytest.importorskip("mkdocs", reason="the hook raises mkdocs' PluginError")
    hook = _hook()
    facts = hook.load_facts()
    used = set()
    for page in PAGES:
        filled = hook.fill(page.read_text(encoding="utf-8"), facts, where=str(page))
        assert not hook.PLACEHOLDER.search(filled)
        used |= set(hook.PLACEHOLDER.findall(page.read_text(encoding="utf-8")))
    # The pages do use the file: the heading of the overfitting page among them.
    assert {"cnn_parameters", "report_fit", "cnn_flatten"} <= used


def test_an_unknown_fact_stops_the_build_and_names_it():
    pytest.importorskip("mkdocs", reason="the hook raises mkdocs' PluginError")
    from mkdocs.exceptions import PluginError

    hook = _hook()
    facts = {"report_fit": "103"}
    assert hook.fill("fit on {{ report_fit }} and {{report_fit}}", facts) == (
        "fit on 103 and 103"
    )
    message = r"overfitting.md .*Received: \['repot_fit'\]"
    with pytest.raises(PluginError, match=message):
        hook.fill("{{ repot_fit }}", facts, where="overfitting.md")


# Counts in the prose that are not the report's split, each with its reason,
# keyed by the page's path under docs/.
OTHER_COUNTS = {
    ("overfitting.md", "75 pictures"): "anime-faces-6: pictures per character",
    ("user-guide/comparison.md", "75 pictures"): "anime-faces-6 per character",
    ("overfitting.md", "2,000 training pictures"): "Chollet's cats and dogs",
    ("user-guide/cli.md", "255 pictures"): "a worked example's folder",
    ("user-guide/comparison.md", "255 pictures"): "a worked example's folder",
    ("user-guide/evaluation.md", "104 pictures"): "an exercise's larger test set",
    ("user-guide/experiments.md", "40 pictures"): "a learning curve's size",
    ("overfitting.md", "1 pictures"): "part of 'd + 1 pictures' in a formula",
    ("user-guide/diagnostics.md", "1 pictures"): "part of 'd + 1 pictures'",
    ("user-guide/comparison.md", "10,000 pictures"): "the streaming benchmark's size",
    ("user-guide/data.md", "10,000 pictures"): "a class project's folder, as the "
    "streaming benchmark's",
}
COUNT = re.compile(
    r"\b(\d[\d,]*)\s+(parameters per training picture|parameters per picture|"
    r"per training picture|per picture|parameters|training pictures|"
    r"validation pictures|test pictures|pictures)\b"
)


def test_the_count_pattern_finds_what_it_looks_for():
    found = [
        m.group(0)
        for m in COUNT.finditer(
            "488,297 per picture; 206 per picture for 129 pictures; 611,556 "
            "parameters each; 26 validation pictures"
        )
    ]
    assert found == [
        "488,297 per picture",
        "206 per picture",
        "129 pictures",
        "611,556 parameters",
        "26 validation pictures",
    ]


def test_counts_typed_in_the_prose_agree_with_the_computed_ones():
    facts = {k: v["value"] for k, v in json.loads(FACTS.read_text()).items()}
    expected = {
        "test pictures": {facts["report_test"]},
        "validation pictures": {facts["report_val"]},
        "training pictures": {facts["report_fit"], facts["report_train"]},
        "pictures": {
            facts[k]
            for k in (
                "report_pictures",
                "report_train",
                "report_fit",
                "report_val",
                "report_test",
            )
        },
        # Only facts that count parameters: "103 parameters" is a typo.
        "parameters": {
            value
            for name, value in facts.items()
            if name.endswith(("_parameters", "_dense", "_rest", "_head"))
        },
    }
    per_picture = {facts[k] for k in facts if k.endswith("per_picture")}
    for kind in (
        "parameters per training picture",
        "parameters per picture",
        "per training picture",
        "per picture",
    ):
        expected[kind] = per_picture
    wrong, used = [], set()
    # The changelog records what each release said at the time.
    for page in (p for p in PAGES if p.name != "changelog.md"):
        where = page.relative_to(DOCS).as_posix()
        for match in COUNT.finditer(_prose(page)):
            number, kind = match.group(1), " ".join(match.group(2).split())
            text = f"{number} {kind}"
            if number in expected[kind]:
                continue
            if (where, text) in OTHER_COUNTS:
                used.add((where, text))
                continue
            wrong.append(f"{where}: {text!r}")
    unused = sorted(set(OTHER_COUNTS) - used)
    assert not unused, f"OTHER_COUNTS entries no page uses any more: {unused}"
    assert not wrong, (
        "counts that are neither the report's split nor a computed fact (write "
        "{{ name }} from docs/_generated/facts.json, or list the count with its "
        "reason in OTHER_COUNTS):\n" + "\n".join(wrong)
    )
