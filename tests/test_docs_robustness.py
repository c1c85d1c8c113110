"""The robustness page's tables are what animecls does today.

docs/_scripts/robustness_table.py builds each hostile file or situation in a
temporary folder, runs the real entry point, and writes one table per topic
into docs/_generated/. Each committed table must be what the script writes
now; for a table generated with other versions of Pillow, Keras or skops
(named in its last line), whose messages may be worded otherwise, the cases
it lists must still be the same.
"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "_scripts" / "robustness_table.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("robustness_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NAMES = [
    "robustness-scan.md",
    "robustness-limits.md",
    "robustness-models.md",
    "robustness-runs.md",
    "robustness-checks.md",
]


def test_the_script_writes_these_tables(script):
    assert list(script.RENDER) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_table_is_current(script, name):
    if name != "robustness-scan.md":
        pytest.importorskip("keras")
    committed = (script.GENERATED / name).read_text(encoding="utf-8")
    rendered = script.RENDER[name]()
    stale = f"docs/_generated/{name} is stale: rerun docs/_scripts/robustness_table.py"
    last, now = committed.splitlines()[-1], rendered.splitlines()[-1]
    if last == now:
        assert committed == rendered, stale
        return
    # Generated with other versions of Pillow, Keras or skops (the last line
    # names them), whose messages may be worded otherwise: the cases, the
    # first two columns of every row, must still be the same.
    assert "with " in now, stale

    def cases(text):
        return [line.split(" | ")[:2] for line in text.splitlines()[:-1] if "|" in line]

    assert cases(committed) == cases(rendered), stale


def test_the_page_includes_every_table():
    page = (ROOT / "docs" / "user-guide" / "robustness.md").read_text(encoding="utf-8")
    for name in NAMES:
        assert f'--8<-- "docs/_generated/{name}"' in page, name


def test_the_limits_come_from_the_constants(script):
    from animecls import _untrusted, cli

    table = script.render_limits()
    assert f"{_untrusted.MAX_MEMBERS:,} members" in table
    assert f"{_untrusted.MAX_JSON_DEPTH} levels" in table
    assert f"{cli.MAX_IMAGE_SIDE} pixels a side" in table
    assert f"{cli.MAX_N_PER_CLASS:,} pictures" in table
