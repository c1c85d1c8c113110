"""The models, evaluation and example pages show output of code that runs."""

import pathlib
import re
import runpy
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCRIPTS = DOCS / "_scripts"
EXAMPLES = ROOT / "examples"
# Outputs that are the same on every machine (no training): compared exactly.
CHECKED = {
    "models_guide": {
        "models-cnn-parameters.txt",
        "models-cnn-share.txt",
        "models-cnn-avg.txt",
        "models-vgg16-parameters.txt",
        "models-weights-info.txt",
        "models-weights-install-help.txt",
    },
    "evaluation_guide": {
        "evaluation-interval.txt",
        "evaluation-interval-sizes.txt",
        "evaluation-mcnemar.txt",
        "evaluation-gap-rule.txt",
        "evaluation-gap-sizes.txt",
    },
}


def _run_guide(name, out, monkeypatch, *options):
    """Run docs/_scripts/<name>.py in this process, writing into ``out``.

    Returns ``{file name: text}`` of what it wrote, after checking that it
    came back to the folder it started from.
    """
    start = pathlib.Path.cwd()
    argv = [f"{name}.py", "--out", str(out), *options]
    if name == "evaluation_guide":
        argv += ["--images", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    # The scripts add their folder to sys.path and pin COLUMNS for argparse.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("COLUMNS", "88")
    try:
        runpy.run_path(str(SCRIPTS / f"{name}.py"), run_name="__main__")
    except SystemExit as stop:  # --checked-only stops the script early
        assert stop.code in (None, 0)
    assert pathlib.Path.cwd() == start
    return {path.name: path.read_text(encoding="utf-8") for path in out.glob("*.txt")}


def _assert_current(texts, name):
    """Compare the checked outputs among ``texts`` with the committed files."""
    checked = {file: text for file, text in texts.items() if file in CHECKED[name]}
    assert set(checked) == CHECKED[name], f"{name} did not write every output"
    for file, text in checked.items():
        committed = (DOCS / "_generated" / file).read_text(encoding="utf-8")
        assert committed == text, (
            f"docs/_generated/{file} is stale: run python docs/_scripts/{name}.py"
        )


def test_models_guide_parameter_counts_are_up_to_date(tmp_path, monkeypatch):
    texts = _run_guide("models_guide", tmp_path, monkeypatch, "--checked-only")
    assert set(texts) == CHECKED["models_guide"]
    _assert_current(texts, "models_guide")
    assert re.search(r"^total +62,990,275$", texts["models-cnn-parameters.txt"], re.M)


def test_evaluation_guide_intervals_are_up_to_date(tmp_path, monkeypatch):
    texts = _run_guide("evaluation_guide", tmp_path, monkeypatch, "--checked-only")
    assert set(texts) == CHECKED["evaluation_guide"]
    _assert_current(texts, "evaluation_guide")
    assert "wilson 54/56 = 0.964" in texts["evaluation-interval.txt"]


@pytest.mark.slow
def test_models_guide_runs_end_to_end(tmp_path, monkeypatch):
    texts = _run_guide("models_guide", tmp_path, monkeypatch)
    # The training sections' numbers may move between machines and are not
    # compared; the sections before them must not move.
    _assert_current(texts, "models_guide")
    assert "block5_conv1" in texts["models-finetune.txt"]
    names = ("Marin Kitagawa", "Micchon Shikimori", "Yor Forger")
    predicted = re.findall(
        r"new pictures/\d+\.png: ([\w ]+) \(", texts["models-predict-cli.txt"]
    )
    assert len(predicted) == 3 and set(predicted) <= set(names)


@pytest.mark.slow
def test_evaluation_guide_runs_end_to_end(tmp_path, monkeypatch):
    texts = _run_guide("evaluation_guide", tmp_path, monkeypatch)
    _assert_current(texts, "evaluation_guide")
    assert "test accuracy" in texts["evaluation-evaluate.txt"]
    figures = {path.name for path in tmp_path.glob("*.png")}
    assert figures == {
        f"evaluation-{name}.png"
        for name in ("history", "confusion", "predictions", "mistakes", "comparison")
    }


def test_every_example_has_a_page_with_its_code_and_figures():
    index = (DOCS / "examples" / "index.md").read_text(encoding="utf-8")
    for script in sorted(EXAMPLES.glob("plot_*.py")):
        page = DOCS / "examples" / f"{script.stem}.md"
        assert page.is_file(), f"no docs page for examples/{script.name}"
        text = page.read_text(encoding="utf-8")
        assert f'--8<-- "examples/{script.name}"' in text
        assert f"({script.stem}.md)" in index
        shown = re.findall(r"\]\(\.\./images/examples/([^)]+)\)", text)
        folder = DOCS / "images" / "examples" / script.stem
        assert shown, f"{page.name} shows no figure"
        assert sorted(shown) == sorted(
            f"{script.stem}/{path.name}" for path in folder.glob("*.png")
        ), f"{page.name} and {folder} disagree on the figures"


def test_committed_figures_of_these_pages_stay_small():
    figures = [
        *(DOCS / "images" / "examples").rglob("*.png"),
        *(DOCS / "images").glob("evaluation-*.png"),
    ]
    assert figures
    for path in figures:
        assert 1000 < path.stat().st_size < 300_000, path
