"""Measure the drawn backbone: does transfer learning show offline?

Run from the repository root:

    python benchmarks/bench_drawn.py                       # default set, 5 seeds
    python benchmarks/bench_drawn.py --faces ../shared/datasets/anime-faces-6

For each data set, ``animecls.experiments.repeated_splits`` trains the
report's CNN from scratch, the two drawn-backbone models (shipped weights),
the same two with random weights (``drawn_weights=None``: what pretraining
buys; rows ``*_random``), and the raw-pixel SVM on the report's split with
seeds 0..4, the same splits for every model.
It prints and records each model's mean test accuracy with its 95%
t-interval, and the paired difference of each row against the CNN, the pixel
SVM and its own twin without pretraining, on the same splits
(``animecls.evaluation.paired_difference``: mean and 95% t-interval of the
per-seed differences).

Targets (issue 12), on the embedded default set: both drawn rows at least
0.95 and at least 0.15 above the CNN. Results go to
``benchmarks/results/drawn.json``.
"""

import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from animecls.evaluation import mean_interval, paired_difference  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "drawn.json"
BASELINES = ("two_layer_cnn", "pixels_svm")


def _summary(result):
    return {k: result[k] for k in ("mean", "low", "high")}


def measure(name, data, *, image_size, n_splits, epochs):
    from animecls.experiments import repeated_splits

    models = [
        "two_layer_cnn",
        "drawn_transfer",
        "drawn_svm",
        "pixels_svm",
    ]
    start = time.perf_counter()
    result = repeated_splits(
        data,
        n_splits=n_splits,
        models=models,
        image_size=image_size,
        epochs=epochs,
        verbose=1,
    )
    # The same two models without pretraining, on the same splits.
    random = repeated_splits(
        data,
        n_splits=n_splits,
        models=["drawn_transfer", "drawn_svm"],
        image_size=image_size,
        epochs=epochs,
        drawn_weights=None,
        verbose=1,
    )
    seconds = time.perf_counter() - start
    for run in random.runs:
        run["model"] += "_random"
    runs = result.runs + random.runs
    by_model = {}
    for run in runs:
        by_model.setdefault(run["model"], {})[run["seed"]] = run["test_accuracy"]
    seeds = sorted(by_model["two_layer_cnn"])
    rows = {}
    for model, accuracy in by_model.items():
        values = [accuracy[s] for s in seeds]
        row = {"per_seed": values, **_summary(mean_interval(values, bounds=(0, 1)))}
        # Paired, on the same splits: against the baselines, and against the
        # same network without pretraining (what pretraining buys).
        twin = f"{model}_random"
        for other in (*BASELINES, twin):
            if other != model and other in by_model:
                others = [by_model[other][s] for s in seeds]
                row[f"minus_{other}"] = _summary(paired_difference(values, others))
        rows[model] = row
        print(
            f"{name:12s} {model:22s} {row['mean']:.3f} "
            f"({row['low']:.3f} to {row['high']:.3f})"
            + "".join(
                f"  {key}: {diff['mean']:+.3f} ({diff['low']:+.3f} to "
                f"{diff['high']:+.3f})"
                for key, diff in row.items()
                if key.startswith("minus_")
            ),
            flush=True,
        )
    return {
        "seeds": seeds,
        "image_size": list(result.settings["image_size"]),
        "n_images": result.settings["n_images"],
        "models": rows,
        "seconds": round(seconds, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", default=None, help="folder of real faces")
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=None)
    args = parser.parse_args()
    from animecls._backbone import drawn_record
    from animecls.datasets import load_image_folder, make_characters

    size = (args.image_size, args.image_size)
    record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    record["backbone_sha256"] = drawn_record()["sha256"]
    record["default"] = measure(
        "default",
        make_characters(image_size=size),
        image_size=size,
        n_splits=args.splits,
        epochs=args.epochs,
    )
    if args.faces:
        record["faces"] = measure(
            "faces",
            load_image_folder(args.faces, image_size=size),
            image_size=size,
            n_splits=args.splits,
            epochs=args.epochs,
        )
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
