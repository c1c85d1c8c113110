"""Peak memory and time of loading a large folder: eager array vs tf.data stream.

Writes N small random PNG pictures (3 classes) to a temporary folder, then
measures, each in a fresh interpreter so peaks do not mix:

- ``scan``: ``scan_image_folder`` (headers only);
- ``eager``: ``load_image_folder`` into one array;
- ``stream``: one pass over ``image_dataset_from_folder`` batches.

Peak RSS is ``ru_maxrss`` of the measuring process; "above baseline" subtracts
the RSS after the imports (TensorFlow included for the stream), so the figure
is what the pictures cost.

    python benchmarks/bench_loading.py                  # 10,000 64x64 files at 128x128
    python benchmarks/bench_loading.py --n 2000 --size 32 --load-size 64
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

CLASSES = ("Marin Kitagawa", "Micchon Shikimori", "Yor Forger")


def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_folder(directory, n, size):
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, name in enumerate(CLASSES):
        os.makedirs(os.path.join(directory, name), exist_ok=True)
        for i in range(k, n, len(CLASSES)):
            # Smooth noise: compresses like a picture, not like white noise.
            small = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
            image = Image.fromarray(small).resize((size, size), Image.BILINEAR)
            image.save(os.path.join(directory, name, f"{i:05d}.png"))


def measure(kind, directory, load_size, batch_size):
    from animecls.datasets import (
        image_dataset_from_folder,
        load_image_folder,
        scan_image_folder,
    )

    image_size = (load_size, load_size)
    if kind == "stream":
        import tensorflow as tf  # noqa: F401  (counted in the baseline)
    baseline = _rss_mb()
    start = time.perf_counter()
    if kind == "scan":
        n = len(scan_image_folder(directory).filenames)
    elif kind == "eager":
        data = load_image_folder(directory, image_size=image_size)
        n = len(data.target)
    else:
        dataset = image_dataset_from_folder(
            directory, image_size=image_size, batch_size=batch_size
        )
        n = 0
        for images, _ in dataset:
            n += int(images.shape[0])
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    return {
        "kind": kind,
        "n": n,
        "seconds": round(seconds, 2),
        "baseline_mb": round(baseline),
        "peak_mb": round(peak),
        "above_baseline_mb": round(peak - baseline),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of files")
    parser.add_argument("--size", type=int, default=64, help="file side, pixels")
    parser.add_argument("--load-size", type=int, default=128, help="loaded side")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--measure", choices=["scan", "eager", "stream"])
    parser.add_argument("--dir", help="folder to reuse (written if missing)")
    args = parser.parse_args()

    if args.measure:
        print(
            json.dumps(measure(args.measure, args.dir, args.load_size, args.batch_size))
        )
        return

    directory = args.dir or tempfile.mkdtemp(prefix="bench_loading_")
    try:
        if not os.path.isdir(os.path.join(directory, CLASSES[0])):
            start = time.perf_counter()
            write_folder(directory, args.n, args.size)
            print(f"wrote {args.n} files in {time.perf_counter() - start:.1f} s")
        decoded = args.n * args.load_size**2 * 3 / 2**20
        print(
            f"{args.n} files of {args.size}x{args.size} loaded at "
            f"{args.load_size}x{args.load_size}: decoded pixels {decoded:.0f} MB"
        )
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        for kind in ("scan", "eager", "stream"):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    kind,
                    "--dir",
                    directory,
                    "--load-size",
                    str(args.load_size),
                    "--batch-size",
                    str(args.batch_size),
                ],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            print(out.stdout.strip().splitlines()[-1])
    finally:
        if not args.dir:
            shutil.rmtree(directory)


if __name__ == "__main__":
    main()
