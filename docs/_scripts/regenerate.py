"""Regenerate every figure and generated snippet the docs show.

Run from the repository root::

    python docs/_scripts/regenerate.py           # quick: pictures and tables
    python docs/_scripts/regenerate.py --slow    # also rerun the measurements

The quick part redraws the pictures and renders the tables from the committed
measurements. ``--slow`` first reruns the measurements themselves (the
calibration benchmark and the full comparison on the drawn characters and on
real faces: about twenty minutes on two cores).
"""

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]

SLOW = [
    ROOT / "benchmarks" / "calibrate_characters.py",
    HERE / "comparison_results.py",
    HERE / "example_figures.py",
]
QUICK = [
    HERE / "characters_grid.py",
    HERE / "difficulty_grid.py",
    HERE / "calibration_table.py",
    HERE / "cli_outputs.py",
    HERE / "models_guide.py",
    HERE / "evaluation_guide.py",
]


def main(argv):
    scripts = (SLOW if "--slow" in argv else []) + QUICK
    for script in scripts:
        print(f"$ python {script.relative_to(ROOT)}", flush=True)
        subprocess.run([sys.executable, str(script)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
