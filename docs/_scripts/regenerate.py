"""Regenerate every figure and generated snippet the docs show.

Run from the repository root::

    python docs/_scripts/regenerate.py           # quick: pictures and tables
    python docs/_scripts/regenerate.py --slow    # also rerun the measurements

The quick part redraws the pictures and renders the tables from the committed
measurements. ``--slow`` first reruns the measurements themselves: the
calibration benchmark, the full comparison, the experiments, the diagnostics
and the overfitting page's trainings, on the drawn characters and on real
faces (about an hour and a half on two cores).
"""

import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FACES = os.environ.get(
    "ANIMECLS_FACES_DIR", ROOT.parent / "shared" / "datasets" / "anime-faces-6"
)

SLOW = [
    [ROOT / "benchmarks" / "calibrate_characters.py"],
    [ROOT / "benchmarks" / "bench_drawn.py", "--faces", str(FACES)],
    [HERE / "comparison_results.py"],
    [HERE / "own_model_results.py"],
    [HERE / "example_figures.py"],
    [HERE / "experiments_results.py", "--faces-seeds", "2"],
    [HERE / "diagnostics_results.py"],
    [HERE / "overfitting_analysis.py", "--measure"],
]
QUICK = [
    HERE / "characters_grid.py",
    HERE / "difficulty_grid.py",
    HERE / "calibration_table.py",
    HERE / "registry_table.py",
    HERE / "drawn_backbone_record.py",
    HERE / "drawn_results.py",
    HERE / "cli_outputs.py",
    HERE / "models_guide.py",
    HERE / "evaluation_guide.py",
    HERE / "robustness_table.py",
    HERE / "overfitting_analysis.py",
    [HERE / "imagenet_results.py", "--render"],
]


def main(argv):
    quick = [item if isinstance(item, list) else [item] for item in QUICK]
    commands = (SLOW if "--slow" in argv else []) + quick
    for script, *options in commands:
        print(f"$ python {script.relative_to(ROOT)} {' '.join(options)}", flush=True)
        subprocess.run([sys.executable, str(script), *options], cwd=ROOT, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
