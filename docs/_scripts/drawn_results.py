"""Write the drawn backbone's measurements as tables, for the docs.

Reads ``benchmarks/results/drawn.json`` (written by
``python benchmarks/bench_drawn.py [--faces DIR]``: 5 seeds, the report's
split, the same splits for every row) and writes
``docs/_generated/drawn-measured-<set>.md`` for each data set in it; no
training::

    python docs/_scripts/drawn_results.py

A test checks that the committed tables are what this writes now, and that
the measurements were made with the weights the package ships.
"""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "drawn.json"
OUT = ROOT / "docs" / "_generated"

#: The rows, in the order a student reads them: the report's CNN, then each
#: drawn model beside its twin without pretraining, then the pixel baseline.
ROWS = {
    "two_layer_cnn": ("two_layer_cnn", "from scratch"),
    "drawn_transfer": ("drawn_transfer", "drawn backbone (pretrained)"),
    "drawn_transfer_random": ("drawn_transfer (random weights)", "random"),
    "drawn_svm": ("drawn_svm", "drawn backbone (pretrained)"),
    "drawn_svm_random": ("drawn_svm (random weights)", "random"),
    "pixels_svm": ("pixels_svm", "no network"),
}
SETS = {
    "default": "the drawn characters (the embedded default set)",
    "faces": "real faces (anime-faces-6)",
}


def _interval(summary, signed=False):
    sign = "+" if signed else ""
    return (
        f"{summary['mean']:{sign}.3f} "
        f"({summary['low']:{sign}.3f} to {summary['high']:{sign}.3f})"
    )


def _paired(row, other):
    summary = row.get(f"minus_{other}")
    return "" if summary is None else _interval(summary, signed=True)


def _verdict(subject, other, summary):
    """Say what a paired difference shows, from where its interval lies."""
    told = _interval(summary, signed=True)
    if summary["low"] > 0:
        return f"{subject} beats {other}: {told}"
    if summary["high"] < 0:
        return f"{subject} does worse than {other}: {told}"
    return f"the seeds cannot tell {subject} and {other} apart: {told}"


def verdicts(measured):
    """Return a sentence per drawn model: against the CNN, and what pretraining buys."""
    models = measured["models"]
    sentences = []
    for model in ("drawn_transfer", "drawn_svm"):
        row = models.get(model)
        if row is None:
            continue
        cnn = row["minus_two_layer_cnn"]
        parts = [_verdict(f"`{model}`", "the CNN trained from scratch", cnn)]
        twin = row.get(f"minus_{model}_random")
        if twin is not None:
            parts.append(_verdict("it", "the same network with random weights", twin))
        sentences.append("; ".join(parts) + ".")
    return sentences


def table(measured, name):
    """Return the Markdown table of one data set's measurements."""
    models = measured["models"]
    lines = [
        "| model | weights | test accuracy (95% CI) | minus the CNN, paired "
        "(95% CI) | minus the same network with random weights, paired | "
        "per seed |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, (label, weights) in ROWS.items():
        if key not in models:
            continue
        row = models[key]
        seeds = ", ".join(f"{v:.3f}" for v in row["per_seed"])
        lines.append(
            f"| {label} | {weights} | {_interval(row)} | "
            f"{_paired(row, 'two_layer_cnn')} | {_paired(row, f'{key}_random')} "
            f"| {seeds} |"
        )
    size = "x".join(str(s) for s in measured["image_size"])
    seeds = measured["seeds"]
    lines += ["", *(f"- {sentence}" for sentence in verdicts(measured))]
    lines += [
        "",
        f"{measured['n_images']} pictures of {SETS[name]} at {size}, the "
        "report's split (stratified 70/30, the last 20% of the training part "
        f"validates) with seeds {seeds[0]} to {seeds[-1]}: the same "
        f"{len(seeds)} splits for every row. Intervals are 95% t-intervals over "
        "the seeds; a paired one is of the per-seed differences "
        "([`paired_difference`][animecls.evaluation.paired_difference]), "
        "and one that holds 0 cannot tell the two apart. Measured by "
        "`python benchmarks/bench_drawn.py"
        + (" --faces DIR" if name == "faces" else "")
        + f"` in {measured['seconds'] / 60:.0f} minutes on 2 CPU cores.",
    ]
    return "\n".join(lines) + "\n"


def main():
    record = json.loads(RESULTS.read_text(encoding="utf-8"))
    for name in SETS:
        if name in record:
            path = OUT / f"drawn-measured-{name}.md"
            path.write_text(table(record[name], name), encoding="utf-8")
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
