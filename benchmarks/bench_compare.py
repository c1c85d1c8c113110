"""Benchmark the comparison: one VGG16 base for both VGG16 models, and its time.

Run from the repository root:

    python benchmarks/bench_compare.py                 # the ratio, ~5 minutes
    python benchmarks/bench_compare.py --full          # also the full default run

Two measurements on the embedded default data set (``make_characters()``,
the report's split, seed 42) with ``weights=None`` so that nothing is
downloaded (VGG16's cost does not depend on its weight values):

1. ``compare_models`` with only ``vgg16_transfer``, only ``vgg16_svm``, and
   both, at ``--image-size`` (default 128x128) with the report's recipes,
   interleaved in one process and repeated ``--repeats`` times; the figure is
   the median time of each. Target: both together take at most 1.3x the
   longer of the two alone, because the VGG16 base runs once per run and
   both models read its maps.
2. With ``--full``: the whole default comparison (``animecls compare`` with
   no options: 250x250, every model, the report's epochs), once.

The drawing of the pictures and the imports are outside the timed calls.
Results are printed and written to ``benchmarks/results/compare.json``.
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "compare.json"
RUNS = {
    "vgg16_transfer alone": ["vgg16_transfer"],
    "vgg16_svm alone": ["vgg16_svm"],
    "both": ["vgg16_transfer", "vgg16_svm"],
}


def _machine():
    import keras
    import numpy as np
    import sklearn
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()),
    }


def bench_ratio(image_size, repeats):
    from animecls.comparison import compare_models
    from animecls.datasets import make_characters

    data = make_characters(image_size=(image_size, image_size))
    seconds = {label: [] for label in RUNS}
    accuracy = {}
    for _ in range(repeats):
        for label, models in RUNS.items():
            start = time.perf_counter()
            result = compare_models(data, models=models, weights=None, verbose=0)
            seconds[label].append(round(time.perf_counter() - start, 2))
            for row in result.table:
                accuracy[f"{label}: {row['model']}"] = row["test_accuracy"]
            print(f"{label:22s} {seconds[label][-1]:7.1f} s", flush=True)
    medians = {label: statistics.median(times) for label, times in seconds.items()}
    longest_alone = max(medians["vgg16_transfer alone"], medians["vgg16_svm alone"])
    ratio = medians["both"] / longest_alone
    print(f"both / longer alone: {ratio:.2f}x (target <= 1.3x)")
    return {
        "image_size": [image_size, image_size],
        "repeats": repeats,
        "seconds": seconds,
        "median_seconds": medians,
        "ratio_both_to_longer_alone": round(ratio, 3),
        "test_accuracy": accuracy,
    }


def bench_full():
    from animecls.comparison import compare_models

    start = time.perf_counter()
    cpu = time.process_time()
    result = compare_models(weights=None, save_models=False, verbose=0)
    seconds = round(time.perf_counter() - start, 1)
    print(result.markdown)
    print(f"full default comparison: {seconds} s")
    return {
        "seconds": seconds,
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "feature_times_s": result.split["feature_times_s"],
        "table": [
            {k: row[k] for k in ("model", "test_accuracy", "fit_time_s")}
            for row in result.table
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    record = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    record["machine"] = _machine()
    record["shared_vgg16"] = bench_ratio(args.image_size, args.repeats)
    if args.full:
        record["full_default"] = bench_full()
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
