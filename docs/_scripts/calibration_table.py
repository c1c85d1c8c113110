"""Render the calibration of the embedded default set as a Markdown table.

Reads ``benchmarks/results/calibration.json`` (written by
``benchmarks/calibrate_characters.py``) and writes
``docs/_generated/calibration.md``, which the data guide includes, so the
numbers on the page are the measured ones. A test checks the file is current.
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "calibration.json"
OUTPUT = ROOT / "docs" / "_generated" / "calibration.md"


def _spread(stats):
    return f"{stats['median']:.2f} ({stats['min']:.2f} to {stats['max']:.2f})"


def render(results):
    """Return the Markdown for the calibration ``results`` dict."""
    levels = results["difficulty_levels"]
    svm = results["svm_by_difficulty"]
    cnn = results["cnn"]
    faces = results.get("svm_anime_faces_6")
    seeds = len(results["svm_drawing_seeds"])
    lines = [
        "| measure | measured | requirement |",
        "| --- | --- | --- |",
        f"| linear SVM on raw 32x32 pixels, default set | "
        f"{results['svm_default_set']:.3f} | at most 0.85 |",
        f"| the report's CNN, test accuracy ({len(cnn['runs'])} training seeds) | "
        f"{_spread(cnn['test_accuracy'])} | at least 0.6 |",
        f"| the report's CNN, final train accuracy | "
        f"{_spread(cnn['train_accuracy'])} | near 1.0 |",
        f"| the report's CNN, train minus validation accuracy | "
        f"{_spread(cnn['gap'])} | at least 0.1 |",
    ]
    for level in ("easy", "default", "hard"):
        lines.append(
            f'| raw-pixel SVM, `difficulty="{level}"` ({levels[level]}), '
            f"{seeds} drawing seeds | {_spread(svm[level])} | |"
        )
    if faces:
        lines.append(
            f"| raw-pixel SVM on real anime faces ({faces['n_classes']} "
            f"characters, {faces['n_images']} pictures) | {faces['accuracy']:.3f} | |"
        )
    lines += [
        "",
        f"Measured on {results['date']} with `{results['command']}` "
        f"({results['machine']['cpu_count']} CPU cores, TensorFlow "
        f"{results['machine']['tensorflow']}); split: "
        f"`{results['split']}`. Ranges are median (min to max).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(render(json.loads(RESULTS.read_text())), encoding="utf-8")
    print("wrote", OUTPUT)
