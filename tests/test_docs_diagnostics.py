"""The diagnostics page shows output of code that runs, and all it includes exists."""

import pathlib
import re
import runpy
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCRIPT = DOCS / "_scripts" / "diagnostics_results.py"
PAGE = DOCS / "user-guide" / "diagnostics.md"


def test_check_model_output_on_the_report_models_is_up_to_date(tmp_path, monkeypatch):
    start = pathlib.Path.cwd()
    monkeypatch.setattr(
        sys,
        "argv",
        [SCRIPT.name, "--out", str(tmp_path), "--images", str(tmp_path)]
        + ["--checked-only"],
    )
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    except SystemExit as stop:  # --checked-only stops before the training runs
        assert stop.code in (None, 0)
    assert pathlib.Path.cwd() == start
    name = "diagnostics-check-report-models.txt"
    written = (tmp_path / name).read_text(encoding="utf-8")
    committed = (DOCS / "_generated" / name).read_text(encoding="utf-8")
    assert written == committed, (
        f"docs/_generated/{name} is stale: run python docs/_scripts/"
        "diagnostics_results.py"
    )
    # The report's mistakes, found: Model 2's sigmoid output and missing
    # preprocessing, and both models' parameters per picture.
    assert re.findall(r"^- (AC\d+)", written, re.M) == [
        "AC008",
        "AC001",
        "AC002",
        "AC008",
    ]
    assert "62,990,275" in written


def test_page_includes_existing_sections_files_and_figures():
    page = PAGE.read_text(encoding="utf-8")
    script = SCRIPT.read_text(encoding="utf-8")
    sections = re.findall(
        r'--8<-- "docs/_scripts/diagnostics_results.py:([\w-]+)"', page
    )
    assert sections
    for section in sections:
        assert f"# --8<-- [start:{section}]" in script, section
        assert f"# --8<-- [end:{section}]" in script, section
    files = re.findall(r'--8<-- "(docs/_generated/[^"]+)"', page)
    assert {pathlib.Path(f).name for f in files} == {
        "diagnostics-check-report-models.txt",
        "diagnostics-shuffled-labels.md",
        "diagnostics-leakage-faces.md",
        "diagnostics-gradcam-traits.md",
    }
    for file in files:
        assert (ROOT / file).is_file(), file
    figures = re.findall(r"\]\(\.\./images/(diagnostics-[\w-]+\.png)\)", page)
    assert sorted(figures) == sorted(
        f"diagnostics-{name}.png"
        for name in ("shuffled-labels", "leakage-drawn", "gradcam")
    )
    # The real faces are for measurement only: no picture of them on the site.
    assert not list((DOCS / "images").glob("*leakage-faces*"))
    for figure in figures:
        size = (DOCS / "images" / figure).stat().st_size
        assert 1000 < size < 300_000, figure


def test_measured_results_say_what_the_page_says():
    generated = DOCS / "_generated"
    shuffled = (generated / "diagnostics-shuffled-labels.md").read_text("utf-8")
    assert "| verdict | memorises |" in shuffled
    gradcam = (generated / "diagnostics-gradcam-traits.md").read_text("utf-8")
    assert re.search(r"^\| CNN \|", gradcam, re.M)
    assert re.search(r"^\| VGG16 \|", gradcam, re.M)
