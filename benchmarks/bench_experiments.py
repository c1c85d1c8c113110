"""Time every analysis of animecls.experiments on the embedded default.

Run from the repository root::

    python benchmarks/bench_experiments.py            # quick x3, full x1: ~15 min
    python benchmarks/bench_experiments.py --full-repeats 0   # quick only
    python benchmarks/bench_experiments.py --repeats 0        # full only

Each analysis runs with its defaults on ``make_characters()`` (185 pictures of
3 characters, drawn at 96x96), VGG16 with random weights (``weights=None``:
nothing to download, and VGG16 costs the same whatever its weight values),
once with ``quick=True`` (``--repeats`` times, median reported) and once at
full settings. The full runs share one feature cache, as the docs script
does, so the whole set is timed as a user would run it: the target is
under 15 minutes on 2 CPU cores. Results go to
``benchmarks/results/experiments.json``.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "benchmarks", "results", "experiments.json")

ANALYSES = ("learning_curve", "repeated_splits", "measure_remedies", "shortcut")


def run(name, *, quick, cache_dir):
    from animecls import experiments

    options = {"quick": quick, "weights": None, "cache_dir": cache_dir}
    start = time.perf_counter()
    cpu_start = _cpu_seconds()
    with warnings.catch_warnings():
        # Keras' own deprecation chatter is not what is measured.
        warnings.simplefilter("ignore")
        if name == "shortcut":
            result = experiments.shortcut_experiment(**options)
        else:
            result = getattr(experiments, name)(**options)
    seconds = time.perf_counter() - start
    return seconds, _cpu_seconds() - cpu_start, len(result.runs)


def _cpu_seconds():
    # CPU time of this process (all its threads): on a machine shared with
    # other jobs it says what the work cost, where wall time also counts waiting.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="quick runs each")
    parser.add_argument("--full-repeats", type=int, default=1, help="full runs each")
    args = parser.parse_args(argv)

    import keras
    import numpy
    import sklearn
    import tensorflow

    results = {
        "machine": {
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "scikit-learn": sklearn.__version__,
            "tensorflow": tensorflow.__version__,
            "keras": keras.__version__,
            "cpus": os.cpu_count(),
            "load_average_at_start": list(os.getloadavg()),
        },
        "data": "make_characters() at the experiments' default size",
        "weights": None,
        "quick": {},
        "full": {},
    }
    if os.path.exists(OUT):
        # A run of one mode (e.g. --repeats 0) keeps the other mode's figures.
        with open(OUT, encoding="utf-8") as f:
            previous = json.load(f)
        for mode in ("quick", "full"):
            results[mode] = previous.get(mode, {})
    for mode, repeats in (("quick", args.repeats), ("full", args.full_repeats)):
        if repeats < 1:
            continue
        results[mode] = {}
        total, total_cpu = [], []
        for repeat in range(repeats):
            with tempfile.TemporaryDirectory() as cache:
                seconds_all = cpu_all = 0.0
                for name in ANALYSES:
                    seconds, cpu, n_runs = run(
                        name, quick=mode == "quick", cache_dir=cache
                    )
                    seconds_all += seconds
                    cpu_all += cpu
                    entry = results[mode].setdefault(
                        name,
                        {"seconds": [], "cpu_seconds": [], "fitted_models": n_runs},
                    )
                    entry["seconds"].append(round(seconds, 1))
                    entry["cpu_seconds"].append(round(cpu, 1))
                    print(
                        f"{mode} {repeat + 1}/{repeats} {name}: {seconds:.1f} s wall, "
                        f"{cpu:.1f} s CPU, {n_runs} models fitted",
                        flush=True,
                    )
                    # After every analysis, so an interrupted run keeps its times.
                    _write(results)
                total.append(round(seconds_all, 1))
                total_cpu.append(round(cpu_all, 1))
        for entry in results[mode].values():
            entry["median_s"] = statistics.median(entry["seconds"])
            entry["median_cpu_s"] = statistics.median(entry["cpu_seconds"])
        results[mode]["all_four"] = {
            "seconds": total,
            "cpu_seconds": total_cpu,
            "median_s": statistics.median(total),
            "median_cpu_s": statistics.median(total_cpu),
        }
        print(f"{mode}: all four in {statistics.median(total):.1f} s (median)")
    _write(results)
    print(f"wrote {os.path.relpath(OUT, ROOT)}")
    return 0


def _write(results):
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
