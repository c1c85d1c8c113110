"""The overfitting analysis page shows current outputs of code that runs."""

import json
import pathlib
import re
import runpy
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCRIPT = DOCS / "_scripts" / "overfitting_analysis.py"
MEASUREMENTS = DOCS / "_generated" / "overfitting-measurements.json"
PAGES = (DOCS / "overfitting.md", DOCS / "index.md")
INCLUDE = re.compile(r'^\s*--8<-- "([^"]+)"\s*$', re.M)


def _run_script(monkeypatch, *options):
    """Run the page's script in this process with ``options``."""
    monkeypatch.setattr(sys, "argv", [SCRIPT.name, *options])
    # The script adds its folder to sys.path.
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    except SystemExit as stop:  # --checked-only stops the script early
        assert stop.code in (None, 0)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_include_exists(page):
    text = page.read_text(encoding="utf-8")
    includes = INCLUDE.findall(text)
    if page.name == "overfitting.md":
        assert includes, "the page includes nothing"
    for include in includes:
        path, _, section = include.partition(":")
        assert (ROOT / path).is_file(), f"{page.name} includes missing {path}"
        if section:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert f"[start:{section}]" in source, f"no section {include}"
            assert f"[end:{section}]" in source, f"no section end {include}"
    for image in re.findall(r"\]\((images/[^)]+)\)", text):
        assert (DOCS / image).is_file(), f"{page.name} shows missing {image}"


def test_every_output_is_current(tmp_path, monkeypatch):
    """Rendering the committed measurements gives the committed snippets."""
    _run_script(
        monkeypatch,
        "--out",
        str(tmp_path),
        "--images",
        str(tmp_path),
        "--measurements",
        str(MEASUREMENTS),
    )
    written = sorted(tmp_path.glob("overfitting-*.*"))
    texts = [path for path in written if path.suffix in (".md", ".txt")]
    assert len(texts) >= 10
    for path in texts:
        committed = DOCS / "_generated" / path.name
        assert committed.read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"
        ), f"{committed} is stale: run python docs/_scripts/overfitting_analysis.py"
    figures = {path.name for path in written if path.suffix == ".png"}
    assert figures == {path.name for path in DOCS.glob("images/overfitting-*.png")}
    for name in figures:
        assert 5_000 < (DOCS / "images" / name).stat().st_size < 300_000, name
    parameters = (tmp_path / "overfitting-parameters.txt").read_text()
    assert re.search(r"^dense .* 62,980,352 ", parameters, re.M)
    assert re.search(r"^total +62,990,275$", parameters, re.M)
    assert "AC001 [error]" in (tmp_path / "overfitting-check-sigmoid.txt").read_text()


def test_committed_measurements_are_the_report_protocol():
    measurements = json.loads(MEASUREMENTS.read_text(encoding="utf-8"))
    assert measurements["settings"]["image_size"] == [250, 250]
    assert not measurements["settings"]["quick"]
    default = measurements["datasets"]["default"]
    # The report's 185 pictures: 103 training, 26 validation, 56 test.
    assert (default["n_fit"], default["n_val"], default["n_test"]) == (103, 26, 56)
    assert default["cnn"]["flatten"][0]["parameters"] == 62_990_275


@pytest.mark.slow
def test_quick_measurement_runs_end_to_end(tmp_path, monkeypatch):
    _run_script(
        monkeypatch, "--quick", "--out", str(tmp_path), "--images", str(tmp_path)
    )
    measurements = json.loads((tmp_path / "overfitting-measurements.json").read_text())
    assert measurements["settings"]["quick"]
    assert (tmp_path / "overfitting-curves-default.png").is_file()
    assert "| softmax |" in (tmp_path / "overfitting-sigmoid.md").read_text()
