"""Benchmark a class project's folder: 10,000 drawn pictures of 20 characters.

Run from the repository root (about an hour on 2 cores):

    python benchmarks/bench_streaming.py
    python benchmarks/bench_streaming.py --sizes 2500 5000 --models pixels_svm

For each size N (default 2,500, 5,000 and 10,000 pictures) a folder of N
drawn pictures of 20 characters (``random_designs(20)``, N / 20 each, drawn
at 64x64) is written to a temporary folder; then, in a fresh interpreter per
run, ``compare_models(folder, quick=True, stream=...)`` runs the default
models at the quick settings (64x64, 5 epochs) with ``weights=None``, so
nothing is downloaded. Each run's peak resident memory is the child's
``ru_maxrss`` (read with ``os.wait4``), so one run's memory cannot leak into
another's. Streamed runs (``stream=True``: pictures decoded once into a file
and read a batch at a time) go at every size; the in-memory run
(``stream=False``) at the sizes given by ``--in-memory`` (default the
smallest and the largest), for the comparison.

Target (issue 15): streamed, memory stays flat as N doubles: the growth of
the peak from one size to the next is at most 1.5x the decoded pixels of
one batch (32 pictures) plus the growth of the features the run keeps
(VGG16 maps, drawn-backbone features, raw-pixel and colour-histogram
features, all float32) — not the growth of the pictures.

Then each model of ``--per-model`` runs alone, streamed, at the smallest and
the largest size, to tell which model's memory grows with N and by how much
more than the features it keeps.

Results are written to ``benchmarks/results/streaming.json``, and the tables
between the markers in ``benchmarks/README.md`` are rewritten from them
(``--phase per-model`` reruns only the second part, ``--phase render`` only
rewrites the tables).
"""

import argparse
import functools
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "results" / "streaming.json"
README = HERE / "README.md"
START, END = "<!-- streaming:start -->", "<!-- streaming:end -->"
IMAGE_SIZE = 64
N_CHARACTERS = 20
BATCH = 32

CHILD = """
import json, os, resource, sys, time
from animecls.comparison import compare_models

folder, stream, models, out = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
start = time.perf_counter()
result = compare_models(
    folder,
    quick=True,
    stream=stream,
    weights=None,
    models=None if models == "default" else models.split(","),
    out_dir=out,
    verbose=0,
)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "streamed": result.split["streamed"],
    "feature_times_s": result.split["feature_times_s"],
    "rows": [
        {k: row[k] for k in ("model", "test_accuracy", "fit_time_s", "n_train")}
        for row in result.table
    ],
}))
"""


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


def make_folder(n, root):
    from animecls.datasets import make_characters, random_designs

    folder = pathlib.Path(root) / f"characters-{n}"
    make_characters(
        n // N_CHARACTERS,
        characters=random_designs(N_CHARACTERS),
        image_size=(IMAGE_SIZE, IMAGE_SIZE),
        directory=folder,
        random_state=0,
    )
    return folder


def measured_run(folder, stream, models, out):
    """Run one comparison and read its peak memory from the kernel."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), "1" if stream else "0", models, out],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # os.wait4 gives this child's own peak, which RUSAGE_CHILDREN (the most
    # of all children so far) would not; the pipes are read by threads so a
    # chatty child cannot block on a full pipe.
    import threading

    streams = {}

    def read(name, pipe):
        streams[name] = pipe.read()

    readers = [
        threading.Thread(target=read, args=(name, getattr(process, name)))
        for name in ("stdout", "stderr")
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the run failed:\n{streams['stderr'][-3000:]}")
    record = json.loads(streams["stdout"].strip().splitlines()[-1])
    record["peak_rss_mib"] = usage.ru_maxrss / 1024
    return record


@functools.cache
def _bytes_per_picture():
    """Bytes per picture of each kind of feature a run keeps, measured once.

    On one picture: VGG16's float32 block5_pool maps at 64x64, the drawn
    backbone's float32 pooled features, and the raw-pixel and
    colour-histogram baselines' features as their transformers give them.
    """
    import numpy as np

    from animecls._backbone import drawn_features_model, load_drawn_backbone
    from animecls.embeddings import make_baseline
    from animecls.models import build_vgg16_transfer

    picture = np.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    vgg16 = build_vgg16_transfer((IMAGE_SIZE, IMAGE_SIZE, 3), weights=None)
    drawn = drawn_features_model(picture.shape[1:], load_drawn_backbone("drawn"))
    kinds = {
        "vgg16": 4 * int(np.prod(vgg16.get_layer("vgg16").output.shape[1:])),
        "drawn": 4 * int(drawn.output.shape[-1]),
    }
    for kind in ("pixels", "color_histogram"):
        embed = make_baseline(kind).steps[0][1]
        kinds[kind] = embed.fit(picture).transform(picture).nbytes
    return kinds


def feature_bytes_per_model():
    """Bytes per picture of the features each model keeps, when run alone."""
    kinds = _bytes_per_picture()
    return {
        "two_layer_cnn": 0,
        "vgg16_transfer": kinds["vgg16"],
        "vgg16_svm": kinds["vgg16"],
        "drawn_transfer": kinds["drawn"],
        "drawn_svm": kinds["drawn"],
        "pixels_svm": kinds["pixels"],
        "color_histogram_svm": kinds["color_histogram"],
    }


def feature_bytes(n):
    """Bytes of the features a default quick run keeps for ``n`` pictures.

    Each backbone's features are computed once and shared by its models.
    """
    return n * sum(_bytes_per_picture().values())


def render(results):
    """The README's table, from the results file."""
    lines = [
        "| pictures | pixels (MiB) | kept features (MiB) | streamed peak (MiB) "
        "| in-memory peak (MiB) | streamed run (s) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size in results["sizes"]:
        key = str(size)
        streamed = results["streamed"][key]
        in_memory = results["in_memory"].get(key)
        lines.append(
            f"| {size:,} | {results['pixel_mib'][key]:.0f} "
            f"| {results['feature_mib'][key]:.0f} "
            f"| {streamed['peak_rss_mib']:.0f} "
            f"| {'-' if in_memory is None else round(in_memory['peak_rss_mib'])} "
            f"| {streamed['seconds']:.0f} |"
        )
    largest = str(results["sizes"][-1])
    lines += [
        "",
        f"Time per model, streamed, {int(largest):,} pictures (fit and score, "
        "seconds; the features are computed once per backbone and shared):",
        "",
        "| model | test accuracy | fit (s) |",
        "|---|---:|---:|",
    ]
    for row in results["streamed"][largest]["rows"]:
        lines.append(
            f"| `{row['model']}` | {row['test_accuracy']:.3f} "
            f"| {row['fit_time_s']:.0f} |"
        )
    times = results["streamed"][largest]["feature_times_s"]
    lines += [
        "",
        "Features, computed once: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
        + ".",
        "",
        results["reading"],
    ]
    if results.get("per_model"):
        lines += ["", *render_per_model(results)]
    return "\n".join(lines) + "\n"


def render_per_model(results):
    """Each model alone, streamed, at the smallest and the largest size."""
    per_model = results["per_model"]
    small, large = (str(n) for n in per_model["sizes"])
    batch_mib = BATCH * IMAGE_SIZE * IMAGE_SIZE * 3 / 2**20
    pixels = (int(large) - int(small)) * IMAGE_SIZE**2 * 3 / 2**20
    lines = [
        f"Each model alone, streamed (peak MiB at {int(small):,} and "
        f"{int(large):,} pictures; the pictures grew by {pixels:.0f} MiB):",
        "",
        f"| model | {int(small):,} | {int(large):,} | growth | its features' "
        "growth | flat |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for model, runs in per_model["runs"].items():
        growth = runs[large]["peak_rss_mib"] - runs[small]["peak_rss_mib"]
        features = per_model["feature_bytes"][model] * (int(large) - int(small)) / 2**20
        flat = growth <= 1.5 * batch_mib + features
        lines.append(
            f"| `{model}` | {runs[small]['peak_rss_mib']:.0f} "
            f"| {runs[large]['peak_rss_mib']:.0f} | {growth:+.0f} "
            f"| {features:.0f} | {'yes' if flat else 'no'} |"
        )
    return lines


def reading(results):
    """Say whether memory stayed flat, from the numbers."""
    sizes = [str(s) for s in results["sizes"]]
    batch_mib = BATCH * IMAGE_SIZE * IMAGE_SIZE * 3 / 2**20
    parts = []
    flat = True
    for small, large in zip(sizes, sizes[1:], strict=False):
        growth = (
            results["streamed"][large]["peak_rss_mib"]
            - results["streamed"][small]["peak_rss_mib"]
        )
        allowed = 1.5 * batch_mib + (
            results["feature_mib"][large] - results["feature_mib"][small]
        )
        pixels = results["pixel_mib"][large] - results["pixel_mib"][small]
        flat &= growth <= allowed
        parts.append(
            f"{int(small):,} → {int(large):,} pictures: streamed peak "
            f"{growth:+.0f} MiB (allowed {allowed:.0f}: 1.5 batches of "
            f"{batch_mib:.2f} MiB plus {allowed - 1.5 * batch_mib:.0f} MiB more "
            f"features; the pictures grew by {pixels:.0f} MiB)"
        )
    verdict = "Memory stayed flat" if flat else "Memory did NOT stay flat"
    return f"{verdict} as N doubled: " + "; ".join(parts) + "."


def update_readme(results):
    text = README.read_text(encoding="utf-8")
    block = f"{START}\n{render(results)}{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if pattern.search(text) is None:
        raise SystemExit(f"{README} has no {START} ... {END} block to fill")
    README.write_text(pattern.sub(lambda m: block, text), encoding="utf-8")


def per_model_runs(sizes, models, repeats):
    """Run each model alone, streamed, at the smallest and the largest size."""
    chosen = [sizes[0], sizes[-1]]
    record = {
        "sizes": chosen,
        "feature_bytes": feature_bytes_per_model(),
        "repeats": repeats,
        "runs": {m: {} for m in models.split(",")},
    }
    with tempfile.TemporaryDirectory(prefix="animecls-bench-") as root:
        for n in chosen:
            folder = make_folder(n, root)
            for model in record["runs"]:
                # The lowest of a few peaks: threads' malloc arenas make one
                # run's peak vary by tens of MiB on a loaded machine.
                runs = [
                    measured_run(
                        folder, True, model, os.path.join(root, f"{model}-{n}-{k}")
                    )
                    for k in range(repeats)
                ]
                run = min(runs, key=lambda r: r["peak_rss_mib"])
                run["peaks_mib"] = [r["peak_rss_mib"] for r in runs]
                record["runs"][model][str(n)] = run
                print(
                    f"{n} {model} alone: peaks {run['peaks_mib']} MiB, "
                    f"{run['seconds']:.0f} s",
                    flush=True,
                )
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000])
    parser.add_argument(
        "--in-memory",
        type=int,
        nargs="*",
        default=None,
        help="sizes also run in memory (default: the smallest and the largest)",
    )
    parser.add_argument(
        "--models", default="default", help="comma-separated, or 'default'"
    )
    parser.add_argument(
        "--per-model",
        default="two_layer_cnn,drawn_transfer,drawn_svm,pixels_svm,color_histogram_svm",
        help="models also run one at a time, streamed, at the smallest and the "
        "largest size ('' for none)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="runs of each model alone at each size; the lowest peak is kept",
    )
    parser.add_argument(
        "--phase",
        choices=["all", "comparison", "per-model", "render"],
        default="all",
        help="run both phases, one (per-model keeps the file's comparison), "
        "or only rewrite the README's table from the results file",
    )
    args = parser.parse_args()
    if args.phase == "render":
        update_readme(json.loads(RESULTS.read_text()))
        return
    if args.phase == "per-model":
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["per_model"] = per_model_runs(
            sorted(args.sizes), args.per_model, args.repeats
        )
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        if "streamed" in results:
            update_readme(results)
        print("\n".join(render_per_model(results)))
        return
    sizes = sorted(args.sizes)
    in_memory = (
        [sizes[0], sizes[-1]] if args.in_memory is None else sorted(args.in_memory)
    )
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": _machine(),
        "image_size": IMAGE_SIZE,
        "n_characters": N_CHARACTERS,
        "models": args.models,
        "sizes": sizes,
        "pixel_mib": {},
        "feature_mib": {},
        "streamed": {},
        "in_memory": {},
    }
    with tempfile.TemporaryDirectory(prefix="animecls-bench-") as root:
        for n in sizes:
            start = time.perf_counter()
            folder = make_folder(n, root)
            drawn = time.perf_counter() - start
            print(f"{n} pictures drawn in {drawn:.0f} s", flush=True)
            results["pixel_mib"][str(n)] = n * IMAGE_SIZE**2 * 3 / 2**20
            results["feature_mib"][str(n)] = feature_bytes(n) / 2**20
            for stream in (True, False):
                if not stream and n not in in_memory:
                    continue
                out = os.path.join(root, f"run-{n}-{int(stream)}")
                record = measured_run(folder, stream, args.models, out)
                key = "streamed" if stream else "in_memory"
                results[key][str(n)] = record
                print(
                    f"{n} {key}: peak {record['peak_rss_mib']:.0f} MiB, "
                    f"{record['seconds']:.0f} s",
                    flush=True,
                )
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    results["reading"] = reading(results)
    if args.phase == "all" and args.per_model:
        results["per_model"] = per_model_runs(sizes, args.per_model, args.repeats)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    update_readme(results)
    print(render(results))


if __name__ == "__main__":
    main()
