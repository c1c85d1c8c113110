"""Benchmark the model layer: cached-feature training, extraction speed, memory.

Run from the repository root (takes about 10 minutes on 2 CPU cores):

    python benchmarks/bench_models.py

Three measurements, side by side in one run, on the embedded default data set
(``make_characters``: 3 characters, 185 pictures) with ``weights=None`` so that
nothing is downloaded (the cost of VGG16 does not depend on its weight values):

1. the report's Model 2 (frozen VGG16, Flatten, Dense 256, RMSprop 2e-5,
   10 epochs, validation_split 0.2) trained on the pictures with ``fit_model``
   versus on features computed once with ``fit_transfer_head`` (target: at
   least 5x faster);
2. ``VGG16Embedder.transform`` (tf.data streaming) in pictures per second
   versus a bare ``model.predict`` of the same network on a preloaded array
   (target: at least 0.8x);
3. peak memory of extracting embeddings for N pictures read from a
   ``np.memmap``, N up to 10,000, each N in a fresh process (must stay flat).

Pictures are 128x128 for (1) and (2) and 64x64 for (3) instead of the report's
256x256, to keep the run short on a laptop; ``--image-size 256`` measures (1)
and (2) at the report's size. Figures are medians of ``--repeats`` runs.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def _characters(image_size, n_per_class=None):
    from animecls._characters import make_characters

    return make_characters(n_per_class, image_size=image_size, random_state=0)


def bench_training(image_size, repeats):
    import keras
    from sklearn.model_selection import train_test_split

    from animecls.models import build_vgg16_transfer
    from animecls.training import fit_model, fit_transfer_head

    data = _characters((image_size, image_size))
    x_train, _, y_train, _ = train_test_split(
        data.images, data.target, test_size=0.30, random_state=42
    )
    times = {"fit_model (pictures)": [], "fit_transfer_head (cached)": []}
    for _ in range(repeats):
        for label, fit in zip(times, (fit_model, fit_transfer_head), strict=True):
            keras.utils.set_random_seed(0)
            model = build_vgg16_transfer((image_size, image_size, 3), weights=None)
            history = fit(model, x_train, y_train, verbose=0)
            times[label].append(history.fit_time)
    medians = {label: statistics.median(values) for label, values in times.items()}
    naive, cached = medians.values()
    print(
        f"(1) Model 2, {len(x_train)} training pictures {image_size}x{image_size}, "
        "10 epochs (RMSprop 2e-5, validation_split 0.2):"
    )
    for label, value in medians.items():
        print(f"    {label:28s} {value:8.1f} s")
    print(f"    speed-up                     {naive / cached:8.1f}x   (target >= 5x)")
    return medians


def bench_extraction(image_size, repeats):
    from animecls.embeddings import VGG16Embedder

    data = _characters((image_size, image_size))
    x = data.images
    embedder = VGG16Embedder(weights=None, image_size=(image_size, image_size))
    embedder.set_params(verbose=0)
    model, _ = embedder._extractor(tuple(x.shape[1:]))
    # Warm up both paths (graph tracing) before timing.
    embedder.transform(x[:64])
    model.predict(x[:64], batch_size=32, verbose=0)
    ours, bare = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        embedder.transform(x)
        ours.append(len(x) / (time.perf_counter() - start))
        start = time.perf_counter()
        model.predict(x, batch_size=32, verbose=0)
        bare.append(len(x) / (time.perf_counter() - start))
    ours, bare = statistics.median(ours), statistics.median(bare)
    print(f"(2) Extraction, {len(x)} pictures {image_size}x{image_size}, batch 32:")
    print(f"    VGG16Embedder.transform       {ours:8.1f} pictures/s")
    print(f"    bare model.predict (array)    {bare:8.1f} pictures/s")
    print(f"    ratio                         {ours / bare:8.2f}x  (target >= 0.8x)")
    return ours, bare


def _status(field):
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} is not in /proc/self/status")


def _memory_child(n, image_size, path):
    """Extract embeddings of ``n`` pictures from a memmap; print peak memory."""
    from animecls.embeddings import VGG16Embedder

    shape = (n, image_size, image_size, 3)
    images = np.memmap(path, dtype=np.uint8, mode="r", shape=shape)
    embedder = VGG16Embedder(
        weights=None, image_size=(image_size, image_size), verbose=0
    )
    embedder.transform(images[:64])  # build and trace before measuring
    baseline = _status("RssAnon")
    peak = [baseline]
    done = threading.Event()

    def sample():
        # Anonymous memory only: pages of the memmap file are page cache that
        # the kernel can drop, not memory the extraction holds on to.
        while not done.is_set():
            peak[0] = max(peak[0], _status("RssAnon"))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    features = embedder.transform(images)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], _status("RssAnon"))
    extra = (peak[0] - baseline) / 2**20
    print(f"{extra:.1f} {features.nbytes / 2**20:.1f} {elapsed:.1f}")


def _write_memmap(path, n, image_size):
    """Fill a memmap with ``n`` drawn pictures, a block at a time."""
    block = _characters((image_size, image_size)).images
    images = np.memmap(
        path, dtype=np.uint8, mode="w+", shape=(n, image_size, image_size, 3)
    )
    rng = np.random.default_rng(0)
    for start in range(0, n, len(block)):
        part = block[: n - start]
        # Flip and jitter so the pictures are not byte-identical copies.
        noise = rng.integers(-8, 9, part.shape)
        images[start : start + len(part)] = np.clip(part[:, :, ::-1] + noise, 0, 255)
    images.flush()
    del images


def bench_memory(image_size, sizes):
    print(
        f"(3) Peak extra memory extracting embeddings from a np.memmap of "
        f"{image_size}x{image_size} pictures (fresh process per N):"
    )
    print("    N        input on disk   peak extra RAM   of which output   time")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "pictures.u8")
        _write_memmap(path, max(sizes), image_size)
        for n in sizes:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    str(n),
                    str(image_size),
                    path,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            peak, output, elapsed = (float(v) for v in out.stdout.split()[-3:])
            on_disk = n * image_size * image_size * 3 / 2**20
            rows.append((n, on_disk, peak, output, elapsed))
            print(
                f"    {n:<8d} {on_disk:9.1f} MiB   {peak:10.1f} MiB   "
                f"{output:11.1f} MiB   {elapsed:5.1f} s"
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--memory-image-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1250, 2500, 5000, 10000]
    )
    parser.add_argument(
        "--only", choices=["training", "extraction", "memory"], default=None
    )
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        n, size, path = args.memory_child
        _memory_child(int(n), int(size), path)
        return 0
    import keras
    import tensorflow as tf

    print(
        f"animecls model benchmarks, {time.strftime('%Y-%m-%d')}, keras "
        f"{keras.__version__}, tensorflow {tf.__version__}, {os.cpu_count()} CPUs, "
        "weights=None"
    )
    if args.only in (None, "training"):
        bench_training(args.image_size, args.repeats)
    if args.only in (None, "extraction"):
        bench_extraction(args.image_size, args.repeats)
    if args.only in (None, "memory"):
        bench_memory(args.memory_image_size, args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
