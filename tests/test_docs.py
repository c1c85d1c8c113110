"""The docs show code and output that come from files that run."""

import importlib.util
import json
import pathlib
import runpy
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore::animecls.datasets.SkippedFilesWarning")
def test_data_guide_snippets_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["data_guide.py", str(tmp_path)])
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(DOCS / "_scripts" / "data_guide.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "(185, 250, 250, 3) uint8" in out
    assert "129 training and 56 test pictures" in out


def test_cli_pages_are_up_to_date():
    cli_outputs = _load(DOCS / "_scripts" / "cli_outputs.py")
    # Python 3.13's argparse measures sub-command names where it indents them
    # (3.11 and 3.12 measured them short), so its columns differ from the
    # committed pages, made with 3.11: there the words are compared.
    compared = str.split if sys.version_info >= (3, 13) else str
    for name, text in cli_outputs.outputs().items():
        committed = (DOCS / "_generated" / name).read_text(encoding="utf-8")
        assert compared(committed) == compared(text), (
            f"docs/_generated/{name} is stale: run python docs/_scripts/cli_outputs.py"
        )


def test_drawn_backbone_pages_show_the_shipped_weights_measurements():
    from animecls._backbone import drawn_record

    record = _load(DOCS / "_scripts" / "drawn_backbone_record.py")
    committed = (DOCS / "_generated" / "drawn-backbone-record.md").read_text()
    assert committed == record.table(), (
        "docs/_generated/drawn-backbone-record.md is stale: run "
        "python docs/_scripts/drawn_backbone_record.py"
    )
    results = _load(DOCS / "_scripts" / "drawn_results.py")
    measured = json.loads(results.RESULTS.read_text(encoding="utf-8"))
    # Numbers measured with other weights than those shipped describe a
    # backbone no student has: new weights mean rerunning the benchmark.
    assert measured["backbone_sha256"] == drawn_record()["sha256"], (
        "benchmarks/results/drawn.json was measured with other drawn weights: "
        "rerun python benchmarks/bench_drawn.py --faces ../shared/datasets/"
        "anime-faces-6, then python docs/_scripts/drawn_results.py"
    )
    for name in results.SETS:
        page = DOCS / "_generated" / f"drawn-measured-{name}.md"
        assert page.read_text(encoding="utf-8") == results.table(
            measured[name], name
        ), f"{page.name} is stale: run python docs/_scripts/drawn_results.py"


def test_streaming_benchmark_tables_are_the_results_file():
    bench = _load(DOCS.parent / "benchmarks" / "bench_streaming.py")
    results = json.loads(bench.RESULTS.read_text(encoding="utf-8"))
    readme = bench.README.read_text(encoding="utf-8")
    block = readme.split(bench.START, 1)[1].split(bench.END, 1)[0]
    assert block == "\n" + bench.render(results), (
        "benchmarks/README.md's streaming tables are stale: run python "
        "benchmarks/bench_streaming.py --phase render"
    )
    # The reading is the numbers', not typed: recomputed, it says the same.
    assert results["reading"] == bench.reading(results)


def test_calibration_table_is_up_to_date():
    script = _load(DOCS / "_scripts" / "calibration_table.py")
    expected = script.render(json.loads(script.RESULTS.read_text()))
    assert script.OUTPUT.read_text(encoding="utf-8") == expected, (
        "docs/_generated/calibration.md is stale: run "
        "python docs/_scripts/calibration_table.py"
    )
