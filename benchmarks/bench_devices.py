"""Benchmark training on one device against MirroredStrategy over two.

Run from the repository root (about 5 minutes on 2 CPU cores):

    nice -n 10 python benchmarks/bench_devices.py

The machine has no GPU, so the CPU is split into two logical devices
(``tf.config.set_logical_device_configuration``) and
``tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])`` runs one replica on
each; the default strategy runs on ``/cpu:0``. Both logical devices share the
same cores, so this checks that the multi-device path trains and what its
overhead is, not a speed-up: on GPUs each replica has its own device.

Two models on the drawn characters (``make_characters()``: 185 pictures of 3
characters, seed 0) at ``--image-size`` (default 64x64): the report's CNN
(``build_two_layer_cnn``, its Flatten head and recipe) and the drawn transfer
model (``build_drawn_transfer``, shipped weights, its recipe), both with
``fit_model``'s ``validation_split=0.2`` and batches of 32. For each round,
each model is trained under each strategy for ``--epochs`` epochs, in turn in
one process; an epoch's time (training and validation) comes from a
callback, the first epoch of each fit (graph tracing) is left out, and the
figure is the median over the rounds. Results are printed and written to
``benchmarks/results/devices.json``.
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "devices.json"
BATCH_SIZE = 32
VALIDATION_SPLIT = 0.2


def _two_logical_devices():
    # Before anything initialises TensorFlow's devices.
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )
    return tf


def _machine():
    import keras
    import numpy as np
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    return EpochTimer()


def _check_no_empty_share(n_pictures, replicas):
    """Fail early if a last batch would leave a replica no picture.

    TF 2.21's oneDNN convolution fails on a replica's empty share of a last,
    partial batch, and the sizes here are fixed, so check them once.
    """
    n_train = int(n_pictures * (1 - VALIDATION_SPLIT))
    for n in (n_train, n_pictures - n_train):
        last = n % BATCH_SIZE
        if 0 < last < replicas:
            raise SystemExit(f"a last batch of {last} leaves a replica empty")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    tf = _two_logical_devices()
    import keras
    import numpy as np

    from animecls.datasets import make_characters
    from animecls.models import build_drawn_transfer, build_two_layer_cnn
    from animecls.training import fit_model

    size = (args.image_size, args.image_size)
    data = make_characters(image_size=size, random_state=0)
    strategies = {
        "default": tf.distribute.get_strategy(),
        "mirrored_2_cpu": tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
    }
    _check_no_empty_share(len(data.images), 2)
    builders = {
        "two_layer_cnn": lambda strategy: build_two_layer_cnn(
            (*size, 3), strategy=strategy
        ),
        "drawn_transfer": lambda strategy: build_drawn_transfer(
            (*size, 3), strategy=strategy
        ),
    }
    seconds = {m: {s: [] for s in strategies} for m in builders}
    final = {m: {s: [] for s in strategies} for m in builders}
    replicas = {}
    for round_ in range(args.rounds):
        for model_name, build in builders.items():
            for strategy_name, strategy in strategies.items():
                keras.utils.set_random_seed(round_)
                model = build(strategy)
                timer = _epoch_timer()
                history = fit_model(
                    model,
                    data.images,
                    data.target,
                    epochs=args.epochs,
                    batch_size=BATCH_SIZE,
                    validation_split=VALIDATION_SPLIT,
                    callbacks=[timer],
                    random_state=round_,
                    verbose=0,
                )
                replicas[strategy_name] = history.settings["replicas"]
                # The first epoch traces the graphs: not an epoch's cost.
                seconds[model_name][strategy_name] += [
                    round(s, 3) for s in timer.seconds[1:]
                ]
                final[model_name][strategy_name].append(
                    {k: round(v[-1], 4) for k, v in history.history.items()}
                )
                print(
                    f"round {round_}: {model_name:15s} {strategy_name:15s} "
                    f"epochs {np.round(timer.seconds, 2).tolist()} s",
                    flush=True,
                )
    medians = {
        m: {s: round(statistics.median(v), 3) for s, v in by.items()}
        for m, by in seconds.items()
    }
    ratios = {
        m: round(by["mirrored_2_cpu"] / by["default"], 3) for m, by in medians.items()
    }
    for model_name, by in medians.items():
        print(
            f"{model_name:15s} median epoch: default {by['default']:.2f} s, "
            f"mirrored over 2 logical CPUs {by['mirrored_2_cpu']:.2f} s "
            f"({ratios[model_name]:.2f}x)"
        )
    record = {
        "machine": _machine(),
        "command": "nice -n 10 python benchmarks/bench_devices.py",
        "image_size": list(size),
        "n_pictures": len(data.images),
        "batch_size": BATCH_SIZE,
        "validation_split": VALIDATION_SPLIT,
        "epochs_per_fit": args.epochs,
        "rounds": args.rounds,
        "replicas": replicas,
        "epoch_seconds": seconds,
        "median_epoch_seconds": medians,
        "mirrored_to_default": ratios,
        "final_epoch": final,
    }
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
