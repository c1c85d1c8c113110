"""The numbers, tables and figures of the overfitting analysis page.

docs/overfitting.md tells the report's story with what this script measures
and writes: markdown and text snippets in ``docs/_generated/overfitting-*``
and figures in ``docs/images/overfitting-*.png``. Training runs are slow, so
their results are kept in ``docs/_generated/overfitting-measurements.json``
(committed); the tables and figures are rendered from that file::

    python docs/_scripts/overfitting_analysis.py             # render (seconds)
    python docs/_scripts/overfitting_analysis.py --measure   # retrain, render
    python docs/_scripts/overfitting_analysis.py --quick     # try it: 64x64

The first form trains only when the measurements file is missing. With
``--measure`` every run is repeated with the report's settings (250x250
pictures, the report's recipes, three seeds), on the embedded default
characters and, when it is there, on the real anime faces
(``../shared/datasets/anime-faces-6`` or ``$ANIMECLS_FACES_DIR``, only read):
about ten minutes on two CPU cores. ``--quick`` does the same with 64x64
pictures and three epochs into a temporary folder, to try the pipeline.

Without network the VGG16 models start from random weights and the pages say
so; on a connected machine ``--measure --weights imagenet`` measures them with
ImageNet features. The softmax/sigmoid heads are the report's VGG16 head with
ImageNet weights and, offline, the head of ``drawn_transfer`` (a head on random
VGG16 features barely trains, so it would show nothing); ``--measure-heads``
retrains only them, into the measurements file. ``--out`` and ``--images``
redirect the outputs, ``--measurements FILE`` renders another measurements
file, and ``--checked-only`` stops after the outputs that involve no training
(the parameter table and the ``check_model`` reports). The test suite renders
the committed measurements and compares the result with the committed files.
"""

import argparse
import json
import os
import pathlib
import sys
import tempfile
import textwrap
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from guide_outputs import DOCS, Recorder

from animecls import __version__
from animecls.evaluation import (
    accuracy_interval,
    generalization_gap,
    mcnemar_test,
)

ROOT = DOCS.parent
FACES = pathlib.Path(
    os.environ.get(
        "ANIMECLS_FACES_DIR", ROOT.parent / "shared" / "datasets" / "anime-faces-6"
    )
)
MEASUREMENTS = "overfitting-measurements.json"
# The comparison's seed (the report's split) first, then two more.
SEEDS = (42, 1, 2)
HEAD_SEEDS = (42, 1, 2, 3, 4)
TEST_SIZE = 0.3
VALIDATION_SPLIT = 0.2
# "+/-5 points": a 95% interval no wider than 0.10 in all.
TARGET_HALF_WIDTH = 0.05
DATA_LABELS = {"default": "drawn characters", "faces": "real faces"}
REPORT_CORRECT, REPORT_TEST = 54, 56  # both of the report's models
REPORT_TRAIN = 129


# ---------------------------------------------------------------- measuring


def report_split(target, random_state):
    """Split as :func:`~animecls.comparison.compare_models` does.

    A stratified 70/30 split seeded by ``random_state``, and the last 20% of
    the training part kept for validation (Keras' ``validation_split``).
    With seed 42 the runs here are the comparison page's runs.
    """
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        np.arange(len(target)),
        test_size=TEST_SIZE,
        random_state=random_state,
        stratify=target,
    )
    n_fit = int(len(train) * (1 - VALIDATION_SPLIT))
    return train[:n_fit], train[n_fit:], test


def _accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def measure_cnn(images, target, *, seed, pooling, epochs):
    """Train the report's CNN (or its average-pooled variant) on one split."""
    import keras

    from animecls.evaluation import evaluate
    from animecls.models import build_two_layer_cnn
    from animecls.training import fit_model

    fit, val, test = report_split(target, seed)
    keras.utils.set_random_seed(seed)
    model = build_two_layer_cnn(
        images.shape[1:], int(target.max()) + 1, pooling=pooling
    )
    history = fit_model(
        model,
        images[fit],
        target[fit],
        validation_data=(images[val], target[val]),
        epochs=epochs,
        random_state=seed,
        verbose=0,
    )
    result = evaluate(model, images[test], target[test])
    run = {
        "seed": seed,
        "pooling": pooling,
        "parameters": int(model.count_params()),
        "n_fit": len(fit),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "test_accuracy": result.accuracy,
        "n_correct": result.n_correct,
        "n_test": result.n_samples,
        "test_loss": result.loss,
        "y_pred": result.y_pred.tolist(),
        "fit_time_s": round(history.fit_time, 1),
    }
    keras.backend.clear_session()
    return run


def _ece(confidence, correct, bins=10):
    """Expected calibration error of the top score read as a probability."""
    confidence = np.clip(confidence, 0, 1)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            gap = abs(confidence[inside].mean() - correct[inside].mean())
            error += inside.mean() * gap
    return float(error)


def measure_heads(images, target, *, seeds, weights, epochs, cache_dir):
    """Train a transfer head with softmax and with sigmoid outputs.

    With ImageNet weights, the report's Model 2: its VGG16 head, with its
    recipe. Without them a VGG16 head on random weights barely trains (its
    test loss stays near ln 3 on every seed), which shows nothing about the
    outputs of a model that has learned; so offline the same comparison runs
    on the drawn backbone animecls ships, whose head learns, with its recipe
    (``drawn_transfer``). The split is the report's (seed 42) for every
    seed; the seeds change the head's initial weights and the order of the
    batches. The base is the same for all.
    """
    import keras

    from animecls.models import build_drawn_transfer, build_vgg16_transfer
    from animecls.training import fit_model, fit_transfer_head

    fit, val, test = report_split(target, 42)
    train = np.concatenate([fit, val])
    n_classes = int(target.max()) + 1
    base_weights = None
    runs = {"softmax": [], "sigmoid": []}
    for seed in seeds:
        for activation in runs:
            keras.utils.set_random_seed(seed)
            if weights == "imagenet":
                model = build_vgg16_transfer(
                    images.shape[1:],
                    n_classes,
                    weights=weights,
                    output_activation=activation,
                )
                base = model.get_layer("vgg16")
                if base_weights is None:
                    base_weights = base.get_weights()
                else:
                    base.set_weights(base_weights)
                history = fit_transfer_head(
                    model,
                    images[train],
                    target[train],
                    validation_split=len(val) / len(train),
                    epochs=epochs,
                    random_state=seed,
                    cache_dir=cache_dir,
                    verbose=0,
                )
            else:
                model = build_drawn_transfer(
                    images.shape[1:], n_classes, output_activation=activation
                )
                history = fit_model(
                    model,
                    images[train],
                    target[train],
                    recipe="drawn_transfer",
                    validation_split=len(val) / len(train),
                    epochs=epochs,
                    random_state=seed,
                    verbose=0,
                )
            scores = model.predict(images[test], verbose=0)
            y_test = target[test]
            y_pred = scores.argmax(axis=1)
            # The loss Keras trains with: it divides the scores by their sum.
            shares = scores / scores.sum(axis=1, keepdims=True)
            loss = -np.mean(
                np.log(np.clip(shares[np.arange(len(y_test)), y_test], 1e-7, 1))
            )
            runs[activation].append(
                {
                    "seed": seed,
                    "history": {
                        k: [float(v) for v in vs] for k, vs in history.history.items()
                    },
                    "test_accuracy": _accuracy(y_test, y_pred),
                    "n_correct": int(np.sum(y_test == y_pred)),
                    "n_test": len(y_test),
                    "test_loss": float(loss),
                    "output_sums": scores.sum(axis=1).round(4).tolist(),
                    "top_scores": scores.max(axis=1).round(4).tolist(),
                    "several_above_half": float(np.mean((scores > 0.5).sum(1) >= 2)),
                    "calibration_error": _ece(scores.max(axis=1), y_pred == y_test),
                    "y_pred": y_pred.tolist(),
                    "fit_time_s": round(history.fit_time, 1),
                }
            )
            keras.backend.clear_session()
    return runs


def measure_both_heads(images, target, *, quick, weights, cache_dir):
    """The heads' entry of the default set: which backbone, and its runs."""
    backbone = "vgg16" if weights == "imagenet" else "drawn"
    seeds = HEAD_SEEDS[:2] if quick else HEAD_SEEDS
    print(f"default: {backbone} heads, softmax and sigmoid", file=sys.stderr)
    return {
        "heads_backbone": backbone,
        # The heads' own weights and seeds: --measure-heads reruns them alone,
        # so the file's settings may describe other runs.
        "heads_weights": "imagenet" if backbone == "vgg16" else "drawn",
        "heads_seeds": list(seeds),
        "heads": measure_heads(
            images,
            target,
            seeds=seeds,
            weights=weights,
            epochs=3 if quick else None,
            cache_dir=cache_dir,
        ),
    }


def measure_svm(images, target, *, weights, cache_dir):
    """VGG16 embeddings + linear SVM, on true and on shuffled labels."""
    from animecls.embeddings import make_baseline

    fit, val, test = report_split(target, 42)
    out = {}
    rng = np.random.default_rng(0)
    labels = {"true": target[fit], "shuffled": rng.permutation(target[fit])}
    for name, y_fit in labels.items():
        pipeline = make_baseline(
            "vgg16",
            weights=weights,
            image_size=images.shape[1:3],
            cache_dir=cache_dir,
            verbose=0,
            random_state=42,
        )
        start = time.perf_counter()
        pipeline.fit(images[fit], y_fit)
        out[name] = {
            "train_accuracy": float(pipeline.score(images[fit], y_fit)),
            "val_accuracy": float(pipeline.score(images[val], target[val])),
            "test_accuracy": float(pipeline.score(images[test], target[test])),
            "n_test": len(test),
            "n_correct": int(np.sum(pipeline.predict(images[test]) == target[test])),
            "features": int(pipeline.named_steps["svm"].coef_.shape[1]),
            "n_fit": len(fit),
            "fit_time_s": round(time.perf_counter() - start, 1),
        }
    return out


def load_data(name, image_size):
    from animecls.datasets import load_image_folder, make_characters

    if name == "default":
        return make_characters(image_size=image_size)
    return load_image_folder(FACES, image_size=image_size)


def measure(*, quick, weights, cache_dir, log):
    """Run every training the page needs; return the measurements dict."""
    size = (64, 64) if quick else (250, 250)
    cnn_epochs = 3 if quick else None  # None: the report's recipe
    seeds = SEEDS[:2] if quick else SEEDS
    datasets = ["default"] + (["faces"] if FACES.is_dir() else [])
    start = time.perf_counter()
    results = {
        "settings": {
            "image_size": list(size),
            "quick": quick,
            "seeds": list(seeds),
            "head_seeds": list(HEAD_SEEDS[:2] if quick else HEAD_SEEDS),
            "weights": "imagenet" if weights == "imagenet" else "none",
            "animecls": __version__,
        },
        "datasets": {},
    }
    for name in datasets:
        bunch = load_data(name, size)
        images, target = np.asarray(bunch.images), np.asarray(bunch.target)
        fit, val, test = report_split(target, 42)
        entry = {
            "class_names": list(bunch.class_names),
            "n_pictures": len(target),
            "n_fit": len(fit),
            "n_val": len(val),
            "n_test": len(test),
            "y_test": target[test].tolist(),
            "cnn": {"flatten": [], "avg": []},
        }
        for pooling in ("flatten", "avg"):
            # Faces: one seed per variant keeps the whole run near ten minutes.
            for seed in seeds if name == "default" else seeds[:1]:
                log(f"{name}: CNN pooling={pooling} seed={seed}")
                entry["cnn"][pooling].append(
                    measure_cnn(
                        images, target, seed=seed, pooling=pooling, epochs=cnn_epochs
                    )
                )
        log(f"{name}: VGG16 embeddings + SVM")
        entry["vgg16_svm"] = measure_svm(
            images, target, weights=weights, cache_dir=cache_dir
        )
        if name == "default":
            entry.update(
                measure_both_heads(
                    images, target, quick=quick, weights=weights, cache_dir=cache_dir
                )
            )
        results["datasets"][name] = entry
    results["settings"]["wall_time_s"] = round(time.perf_counter() - start)
    return results


# ---------------------------------------------------------------- rendering


def _fmt_interval(n_correct, n):
    low, high = accuracy_interval(n_correct, n)
    return f"{n_correct / n:.3f} ({low:.2f}-{high:.2f})"


def _mean_std(values, digits=3):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def pictures_needed(accuracy, half_width=TARGET_HALF_WIDTH, limit=20_000):
    """Fewest test pictures whose 95% Wilson interval is at most +/-half_width."""
    for n in range(10, limit):
        low, high = accuracy_interval(round(accuracy * n), n)
        if (high - low) / 2 <= half_width:
            return n
    return limit


def _weights_note(measurements):
    if measurements["settings"]["weights"] == "imagenet":
        return "VGG16 with ImageNet weights"
    return "VGG16 with random weights (no network when measured)"


def _table(header, rows):
    """A Markdown table; a few columns, so that it fits a phone."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render_gap(data, names):
    gaps = {}
    for name in names:
        gaps[name] = generalization_gap(
            data[name]["cnn"]["flatten"][0]["history"], n_val=data[name]["n_val"]
        )
    columns = {
        "pictures: train / val / test": lambda n, g, r: (
            f"{data[n]['n_fit']} / {data[n]['n_val']} / {data[n]['n_test']}"
        ),
        "final training accuracy": lambda n, g, r: f"{g.final_train_accuracy:.3f}",
        "final validation accuracy": lambda n, g, r: f"{g.final_val_accuracy:.3f}",
        "gap (train - validation)": lambda n, g, r: f"{g.gap:.3f}",
        "lowest validation loss": lambda n, g, r: (
            f"epoch {g.best_epoch} of {len(r['history']['loss'])}"
        ),
        "verdict": lambda n, g, r: f"**{g.verdict}**",
        "test accuracy (95% CI)": lambda n, g, r: _fmt_interval(
            r["n_correct"], r["n_test"]
        ),
    }
    rows = [
        [label] + [cell(n, gaps[n], data[n]["cnn"]["flatten"][0]) for n in names]
        for label, cell in columns.items()
    ]
    explanations = "\n".join(
        f"- **{DATA_LABELS[n].capitalize()}**: {gaps[n].explanation}" for n in names
    )
    return (
        _table([""] + [DATA_LABELS[n] for n in names], rows)
        + "\n"
        + explanations
        + "\n"
    )


def render_pooling(data, names):
    variants = [(name, pooling) for name in names for pooling in ("flatten", "avg")]
    short = {"default": "drawn", "faces": "faces"}
    header = [""] + [
        f"{short[n]}, {'Flatten' if p == 'flatten' else 'avg'}" for n, p in variants
    ]

    def summary(runs):
        train = [r["history"]["accuracy"][-1] for r in runs]
        val = [r["history"]["val_accuracy"][-1] for r in runs]
        return {
            "parameters": f"{runs[0]['parameters']:,}",
            "per training picture": (
                f"{runs[0]['parameters'] / runs[0]['n_fit']:,.0f}"
            ),
            "final training accuracy": _mean_std(train, 2),
            "final validation accuracy": _mean_std(val, 2),
            "gap": _mean_std([t - v for t, v in zip(train, val, strict=True)], 2),
            "test accuracy": _mean_std([r["test_accuracy"] for r in runs], 2),
            "seeds": str(len(runs)),
        }

    summaries = [summary(data[n]["cnn"][p]) for n, p in variants]
    rows = [[key] + [s[key] for s in summaries] for key in summaries[0]]
    return (
        _table(header, rows)
        + "\nMean ± standard deviation over the seeds; each seed redraws the "
        "70/30 split and the initial weights, as "
        "`compare_models(random_state=seed)` does (seed 42 is the comparison "
        "page's run).\n"
    )


def interval_rows(measurements):
    data = measurements["datasets"]
    rows = [("the report's two models", REPORT_CORRECT, REPORT_TEST)]
    for name in data:
        run = data[name]["cnn"]["flatten"][0]
        rows.append((f"CNN, {DATA_LABELS[name]}", run["n_correct"], run["n_test"]))
    if "heads" in data.get("default", {}):
        run = data["default"]["heads"]["softmax"][0]
        rows.append(
            (
                f"{_head_label(measurements)}, {DATA_LABELS['default']}",
                run["n_correct"],
                run["n_test"],
            )
        )
    return rows


def render_intervals(measurements):
    rows = []
    for label, n_correct, n in interval_rows(measurements):
        low, high = accuracy_interval(n_correct, n)
        rows.append(
            [
                label,
                f"{n_correct}/{n} = {n_correct / n:.3f}",
                f"{low:.2f} to {high:.2f} (width {high - low:.2f})",
                f"{pictures_needed(n_correct / n):,}",
            ]
        )
    header = ["model", "right", "95% interval", "pictures for ±5 points"]
    return (
        _table(header, rows)
        + "\nWilson 95% intervals; the last column is the smallest test set "
        f"whose interval would be at most ±{TARGET_HALF_WIDTH * 100:.0f} points "
        f"at the same accuracy. {_head_note(measurements)}.\n"
    )


def render_mcnemar(measurements):
    data = measurements["datasets"]["default"]
    y_test = data["y_test"]
    cnn = data["cnn"]["flatten"][0]
    pairs = []
    if "heads" in data:
        softmax, sigmoid = data["heads"]["softmax"][0], data["heads"]["sigmoid"][0]
        head = _head_label(measurements)
        pairs += [
            ("CNN", cnn, f"{head} (softmax)", softmax),
            ("CNN", cnn, f"{head} (sigmoid, the report's)", sigmoid),
        ]
    pairs.append(("CNN", cnn, "CNN with global avg", data["cnn"]["avg"][0]))
    rows = []
    for name_a, a, name_b, b in pairs:
        test = mcnemar_test(y_test, a["y_pred"], b["y_pred"])
        rows.append(
            [
                f"{name_a} ({a['n_correct']}) vs {name_b} ({b['n_correct']})",
                f"{test.only_a_correct} / {test.only_b_correct}",
                f"{test.pvalue:.3f}" if test.pvalue >= 0.001 else "< 0.001",
            ]
        )
    header = ["A (right) vs B (right)", "only A right / only B right", "p"]
    return (
        _table(header, rows)
        + f"\nThe same {len(y_test)} test pictures of the drawn characters "
        f"(seed 42). {_head_note(measurements)}.\n"
    )


def render_heads(measurements):
    heads = measurements["datasets"]["default"]["heads"]

    def summary(runs):
        sums = np.concatenate([r["output_sums"] for r in runs])
        return {
            "test accuracy": _mean_std([r["test_accuracy"] for r in runs], 3),
            "test loss (as trained)": _mean_std([r["test_loss"] for r in runs], 3),
            "sum of the three outputs": (
                f"{sums.mean():.2f} (from {sums.min():.2f} to {sums.max():.2f})"
            ),
            "share of pictures with 2+ outputs above 0.5": _mean_std(
                [r["several_above_half"] for r in runs], 2
            ),
            "calibration error of the top output": _mean_std(
                [r["calibration_error"] for r in runs], 3
            ),
        }

    softmax, sigmoid = summary(heads["softmax"]), summary(heads["sigmoid"])
    rows = [[key, softmax[key], sigmoid[key]] for key in softmax]
    n_seeds = len(heads["softmax"])
    epochs = len(heads["softmax"][0]["history"]["loss"])
    size = measurements["settings"]["image_size"]
    if _heads_backbone(measurements) == "vgg16":
        model = (
            "The report's head (Flatten, Dense(256), Dense(3)) on VGG16 with "
            "ImageNet weights, trained with the report's recipe "
            f"({_recipe_text('vgg16_transfer', epochs)})"
        )
    else:
        model = (
            "The head of drawn_transfer (Dense(128), dropout 0.2, Dense(3)) on "
            "the drawn backbone animecls ships, frozen: a head that learns "
            f"with no network{_random_vgg16_note(measurements)}. Trained with "
            f"the drawn_transfer recipe ({_recipe_text('drawn_transfer', epochs)})"
        )
    return (
        _table(["", "softmax", "sigmoid (the report's)"], rows)
        + f"\n{model}, on {size[0]}x{size[1]} pictures and the report's split; "
        f"mean ± standard deviation over {n_seeds} seeds. The loss is categorical "
        "cross-entropy as Keras computes it, after dividing the outputs by "
        "their sum. The calibration error is the expected calibration error "
        "(10 bins) of the largest output read as the probability of being "
        "right: 0 when, of the pictures scored 0.8, 80% are right.\n"
    )


def _recipe_text(name, epochs):
    """A recipe as the footers state it, read from animecls' own RECIPES."""
    from animecls.training import RECIPES

    recipe = RECIPES[name]
    optimizer = {"adam": "Adam", "rmsprop": "RMSprop"}[recipe["optimizer"]]
    return f"{optimizer}, learning rate {recipe['learning_rate']:g}, {epochs} epochs"


def _random_vgg16_note(measurements):
    """What the report's head learned on random VGG16 features, as measured."""
    runs = measurements["datasets"]["default"].get("heads_vgg16_random")
    if not runs:
        return ""
    softmax = runs["softmax"]
    loss = np.mean([r["test_loss"] for r in softmax])
    accuracy = np.mean([r["test_accuracy"] for r in softmax])
    return (
        ", where the report's head on VGG16 with random weights learned little "
        f"(over {len(softmax)} seeds with the report's recipe: mean test loss "
        f"{loss:.2f}, against ln 3 = {np.log(3):.2f} for a uniform guess; test "
        f"accuracy {accuracy:.2f})"
    )


def _heads_backbone(measurements):
    return measurements["datasets"]["default"].get("heads_backbone", "vgg16")


def _head_label(measurements):
    """What the tables call the transfer model whose head was measured."""
    return "VGG16" if _heads_backbone(measurements) == "vgg16" else "drawn_transfer"


def _head_note(measurements):
    if _heads_backbone(measurements) == "vgg16":
        return (
            "VGG16: the report's Model 2 with softmax outputs; "
            f"{_weights_note(measurements)}"
        )
    return (
        "drawn_transfer: a head on the drawn backbone animecls ships, the "
        "transfer model that learns with no network (VGG16's ImageNet "
        "weights could not be downloaded where this was measured)"
    )


def render_svm(measurements):
    data = measurements["datasets"]
    rows = []
    for name in data:
        for labels, run in data[name]["vgg16_svm"].items():
            rows.append(
                [
                    f"{DATA_LABELS[name]}, {labels} labels",
                    f"{run['train_accuracy']:.3f}",
                    f"{run['val_accuracy']:.3f}",
                    _fmt_interval(run["n_correct"], run["n_test"]),
                ]
            )
    header = ["data", "train acc", "val acc", "test accuracy (95% CI)"]
    details = "; ".join(
        f"{data[n]['vgg16_svm']['true']['n_fit']} training pictures and "
        f"chance {1 / len(data[n]['class_names']):.2f} for the {DATA_LABELS[n]}"
        for n in data
    )
    features = data["default"]["vgg16_svm"]["true"]["features"]
    return (
        _table(header, rows)
        + f"\n{_weights_note(measurements)}: {features} average-pooled block5 "
        'features per picture and a linear SVM (`make_baseline("vgg16")`). '
        '"Shuffled" trains on randomly permuted training labels and tests on '
        f"the true ones. {details[0].upper()}{details[1:]}.\n"
    )


def render_takeaways(measurements):
    data = measurements["datasets"]
    default = data["default"]
    run = default["cnn"]["flatten"][0]
    verdicts = []
    for name in data:
        gap = generalization_gap(
            data[name]["cnn"]["flatten"][0]["history"], n_val=data[name]["n_val"]
        )
        verdicts.append(
            f"{gap.final_train_accuracy:.2f} training against "
            f"{gap.final_val_accuracy:.2f} validation accuracy on the "
            f"{DATA_LABELS[name]} (verdict: {gap.verdict})"
        )
    verdicts = ", and ".join(verdicts)
    avg, flatten = default["cnn"]["avg"], default["cnn"]["flatten"]
    report_low, report_high = accuracy_interval(REPORT_CORRECT, REPORT_TEST)
    low, high = accuracy_interval(run["n_correct"], run["n_test"])
    items = [
        "**See the gap, not the training accuracy.** The report's CNN ends at "
        f"{verdicts}.",
        f"**Count the parameters per picture.** It has {run['parameters']:,} "
        f"parameters for {run['n_fit']} training pictures, "
        f"{run['parameters'] / run['n_fit']:,.0f} each, nearly all in the layer "
        f"after Flatten. Global average pooling leaves {avg[0]['parameters']:,}; "
        "with the recipe unchanged its mean test accuracy on the drawn "
        f"characters is {np.mean([r['test_accuracy'] for r in avg]):.2f}, against "
        f"{np.mean([r['test_accuracy'] for r in flatten]):.2f} with Flatten "
        f"({len(avg)} seeds).",
        f"**Put an interval on every accuracy.** The report's "
        f"{REPORT_CORRECT} of {REPORT_TEST} stands for any true accuracy from "
        f"{report_low:.2f} to {report_high:.2f}; the CNN's {run['n_correct']} of "
        f"{run['n_test']} on the drawn characters for {low:.2f} to {high:.2f}. "
        f"±{TARGET_HALF_WIDTH * 100:.0f} points at that accuracy would take "
        f"about {pictures_needed(run['n_correct'] / run['n_test']):,} test "
        "pictures.",
    ]
    if "heads" in default:
        heads = default["heads"]
        sums = np.concatenate([r["output_sums"] for r in heads["sigmoid"]])
        which = (
            "The report's sigmoid head"
            if _heads_backbone(measurements) == "vgg16"
            else "A sigmoid head on the drawn backbone"
        )
        items.append(
            f"**Softmax for one label per picture.** {which} scores "
            f"{np.mean([r['test_accuracy'] for r in heads['sigmoid']]):.2f} "
            "against "
            f"{np.mean([r['test_accuracy'] for r in heads['softmax']]):.2f} for "
            "softmax, but its three outputs add up to anything from "
            f"{sums.min():.2f} to {sums.max():.2f}: they are not probabilities."
        )
    svm = default["vgg16_svm"]["shuffled"]
    items.append(
        "**Few parameters do not prevent memorising.** An SVM on VGG16 features "
        "fits randomly shuffled training labels with training accuracy "
        f"{svm['train_accuracy']:.2f}, then scores {svm['test_accuracy']:.2f} on "
        "the true test labels."
    )
    return "\n".join(f"- {item}" for item in items) + "\n"


# ---------------------------------------------------------------- figures


# A little larger than matplotlib's default: the figures are at most 500
# pixels wide, and phones shrink them further.
STYLE = {"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 9}


def _save(figure, images, name, dpi=100):
    images.mkdir(parents=True, exist_ok=True)
    figure.savefig(images / f"overfitting-{name}.png", dpi=dpi)
    plt.close(figure)


def figure_curves(data, name, images):
    from animecls.plotting import plot_history

    entry = data[name]
    # Two stacked panels, not side by side: legible on a phone.
    figure, axes = plt.subplots(2, 1, figsize=(5, 5.8), layout="constrained")
    plot_history(
        entry["cnn"]["flatten"][0]["history"],
        chance=1 / len(entry["class_names"]),
        axes=axes,
    )
    figure.suptitle(f"The report's CNN on the {DATA_LABELS[name]}")
    _save(figure, images, f"curves-{name}")


def figure_pooling(data, names, images):
    figure, axes = plt.subplots(
        len(names),
        1,
        figsize=(5, 2.6 * len(names) + 0.4),
        layout="constrained",
        squeeze=False,
    )
    for ax, name in zip(axes[:, 0], names, strict=True):
        for offset, (pooling, label) in zip(
            (-0.15, 0.15),
            (("flatten", "Flatten (report)"), ("avg", "global avg")),
            strict=True,
        ):
            runs = data[name]["cnn"][pooling]
            columns = [
                [r["history"]["accuracy"][-1] for r in runs],
                [r["history"]["val_accuracy"][-1] for r in runs],
                [r["test_accuracy"] for r in runs],
            ]
            color = "C0" if pooling == "flatten" else "C2"
            for x, values in enumerate(columns):
                ax.scatter(
                    np.full(len(values), x + offset),
                    values,
                    color=color,
                    s=18,
                    alpha=0.7,
                    label=label if x == 0 else None,
                )
                ax.hlines(
                    np.mean(values),
                    x + offset - 0.1,
                    x + offset + 0.1,
                    color=color,
                    lw=2,
                )
        ax.axhline(
            1 / len(data[name]["class_names"]),
            color="0.3",
            ls=":",
            lw=1,
            label="chance",
        )
        ax.set_xticks([0, 1, 2], ["train", "validation", "test"])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("accuracy")
        ax.set_title(f"{DATA_LABELS[name].capitalize()}: dots are seeds, bars means")
    # One legend above the panels, where it cannot hide a dot.
    figure.legend(
        *axes[0, 0].get_legend_handles_labels(),
        loc="outside upper center",
        ncol=3,
        fontsize="small",
    )
    _save(figure, images, "pooling")


def figure_interval_width(measurements, images):
    figure, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
    n = np.unique(np.geomspace(30, 3000, 80).astype(int))
    for (label, n_correct, n_test), color in zip(
        interval_rows(measurements), ("C3", "C0", "C1", "C2"), strict=False
    ):
        p = n_correct / n_test
        widths = [np.subtract(*accuracy_interval(round(p * k), k)[::-1]) for k in n]
        ax.plot(n, widths, color=color, label=f"{label}: {p:.2f}")
        ax.plot(
            n_test,
            np.subtract(*accuracy_interval(n_correct, n_test)[::-1]),
            "o",
            color=color,
        )
    ax.axhline(
        2 * TARGET_HALF_WIDTH, color="0.3", ls="--", lw=1, label="±5 points (width 0.1)"
    )
    ax.axvline(REPORT_TEST, color="0.5", ls=":", lw=1)
    ax.annotate(
        f"{REPORT_TEST} test pictures",
        (REPORT_TEST, 0.02),
        xycoords=("data", "axes fraction"),
        xytext=(4, 0),
        textcoords="offset points",
        fontsize=9,
    )
    ax.set_xscale("log")
    ax.set_xlabel("test pictures")
    ax.set_ylabel("width of the 95% interval")
    ax.set_title("Wider than it looks: interval width")
    ax.legend(fontsize="small")
    _save(figure, images, "interval-width")


def figure_heads(measurements, images):
    heads = measurements["datasets"]["default"]["heads"]
    figure, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    for activation, color in (("softmax", "C0"), ("sigmoid", "C3")):
        sums = np.concatenate([r["output_sums"] for r in heads[activation]])
        ax.hist(
            sums, bins=np.linspace(0, 3, 31), color=color, alpha=0.6, label=activation
        )
    ax.axvline(1, color="0.3", ls=":", lw=1, label="sum = 1 (probabilities)")
    ax.set_xlabel("sum of the three outputs, per test picture")
    ax.set_ylabel(f"test pictures, {len(heads['softmax'])} seeds")
    ax.set_title("Softmax outputs sum to one; sigmoid outputs do not")
    ax.legend(fontsize="small")
    _save(figure, images, "sigmoid")


# ---------------------------------------------------------------- printing


def print_report(report):
    """Print a check_model report wrapped to fit a phone-width code block."""
    print(str(report).splitlines()[0])
    for finding in report:
        print(
            textwrap.fill(
                f"{finding.code} [{finding.severity}] {finding.message}",
                width=72,
                subsequent_indent="    ",
            )
        )


def render(measurements, out, images, names):
    """Write every table and figure from the measurements."""
    data = measurements["datasets"]
    texts = {
        "overfitting-gap.md": render_gap(data, names),
        "overfitting-pooling.md": render_pooling(data, names),
        "overfitting-intervals.md": render_intervals(measurements),
        "overfitting-mcnemar.md": render_mcnemar(measurements),
        "overfitting-svm.md": render_svm(measurements),
        "overfitting-takeaways.md": render_takeaways(measurements),
    }
    if "heads" in data["default"]:
        texts["overfitting-sigmoid.md"] = render_heads(measurements)
    settings = measurements["settings"]
    texts["overfitting-settings.md"] = (
        f"Measured with animecls {settings['animecls']} at "
        f"{settings['image_size'][0]}x{settings['image_size'][1]}, seeds "
        f"{', '.join(map(str, settings['seeds']))}, {_weights_note(measurements)}; "
        f"the training runs took {settings['wall_time_s']:,} s of wall time on "
        "two CPU cores shared with other jobs. "
        "`python docs/_scripts/overfitting_analysis.py --measure` reruns them.\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
        print("wrote", out / name, file=sys.stderr)
    with plt.rc_context(STYLE):
        for name in names:
            figure_curves(data, name, images)
        figure_pooling(data, names, images)
        figure_interval_width(measurements, images)
        if "heads" in data["default"]:
            figure_heads(measurements, images)


# ---------------------------------------------------------------- the run

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", help="snippet folder (default docs/_generated)")
parser.add_argument("--images", help="figure folder (default docs/images)")
parser.add_argument("--measure", action="store_true", help="retrain everything")
parser.add_argument("--quick", action="store_true", help="64x64, 3 epochs")
parser.add_argument(
    "--measure-heads",
    action="store_true",
    help="retrain only the softmax and sigmoid heads, into the measurements file",
)
parser.add_argument(
    "--measurements",
    help="measurements file to render (default: the one in the --out folder)",
)
parser.add_argument(
    "--weights",
    default="none",
    choices=("none", "imagenet"),
    help="VGG16 weights (default none: random, as offline)",
)
parser.add_argument(
    "--checked-only",
    action="store_true",
    help="only the outputs that need no training (the test's quick run)",
)
args = parser.parse_args(sys.argv[1:])
QUICK_HOME = pathlib.Path(tempfile.gettempdir()) / "animecls-overfitting-quick"
out = pathlib.Path(args.out or (QUICK_HOME if args.quick else DOCS / "_generated"))
images = pathlib.Path(args.images or (QUICK_HOME if args.quick else DOCS / "images"))
record = Recorder("overfitting")

# The sections below train nothing: their output is the same on every
# machine, and the test compares it with the committed files.
record.start("parameters", checked=True)
# --8<-- [start:parameters]
from animecls.models import build_two_layer_cnn

model = build_two_layer_cnn()  # the report's CNN, for 250x250 pictures
total = model.count_params()
print(f"{'layer':<11} {'parameters':>10} {'share':>7}  output shape")
for layer in model.layers:
    n = layer.count_params()
    shape = tuple(layer.output.shape[1:])
    print(f"{layer.name:<11} {n:>10,} {n / total:>7.2%}  {shape}")
print(f"{'total':<11} {total:>10,}")
# The report's split of its 185 pictures: 70/30, then Keras keeps the last
# 20% of the training part for validation; the weights are fit on the rest.
from animecls.datasets import make_characters, split_indices

n_fit = len(split_indices(make_characters()).train)
print(f"{n_fit} training pictures: {total / n_fit:,.0f} parameters each")
# --8<-- [end:parameters]
record.stop()
assert model.get_layer("dense").count_params() == 62_980_352

record.start("parameters-avg", checked=True)
# --8<-- [start:parameters-avg]
small = build_two_layer_cnn(pooling="avg")
print(f"global average pooling: {small.count_params():,} parameters in all,")
print(f"{small.count_params() / n_fit:,.0f} per picture for {n_fit} pictures;")
print(f"the dense layer now holds {small.get_layer('dense').count_params():,}")
# --8<-- [end:parameters-avg]
record.stop()

record.start("check-cnn", checked=True)
# --8<-- [start:check-cnn]
from sklearn.model_selection import train_test_split

from animecls.checks import check_model
from animecls.datasets import make_characters

data = make_characters()  # 185 pictures, like the report's
X_train, _, y_train, _ = train_test_split(
    data.images, data.target, test_size=0.3, random_state=42, stratify=data.target
)
# Keras' validation_split=0.2 keeps the last 20% for validation.
report = check_model(model, (X_train, y_train), validation=0.2)
# --8<-- [end:check-cnn]
print_report(report)
record.stop()
del model, data, X_train  # 63 million weights and 185 pictures

record.start("check-sigmoid", checked=True)
# --8<-- [start:check-sigmoid]
from animecls.models import build_vgg16_transfer

# The report's Model 2: sigmoid outputs, categorical cross-entropy.
model_2 = build_vgg16_transfer(weights=None, output_activation="sigmoid")
model_2.compile(optimizer="rmsprop", loss="categorical_crossentropy")
report = check_model(model_2)
# --8<-- [end:check-sigmoid]
print_report(report)
record.stop()
del model_2
record.write(out)
if args.checked_only:
    sys.exit()

measurements_path = pathlib.Path(args.measurements or out / MEASUREMENTS)
if args.measure_heads and not (args.measure or args.quick):
    # Only the heads, at the measurements' own size, into the same file.
    measurements = json.loads(measurements_path.read_text(encoding="utf-8"))
    size = tuple(measurements["settings"]["image_size"])
    bunch = load_data("default", size)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        measurements["datasets"]["default"].update(
            measure_both_heads(
                np.asarray(bunch.images),
                np.asarray(bunch.target),
                quick=False,
                weights="imagenet" if args.weights == "imagenet" else None,
                cache_dir=cache,
            )
        )
    measurements["settings"]["heads_time_s"] = round(time.perf_counter() - start)
    measurements_path.write_text(
        json.dumps(measurements, indent=1) + "\n", encoding="utf-8"
    )
elif args.measure or args.quick or not measurements_path.is_file():
    with tempfile.TemporaryDirectory() as cache:
        measurements = measure(
            quick=args.quick,
            weights="imagenet" if args.weights == "imagenet" else None,
            cache_dir=cache,
            log=lambda message: print(message, file=sys.stderr, flush=True),
        )
    out.mkdir(parents=True, exist_ok=True)
    measurements_path.write_text(
        json.dumps(measurements, indent=1) + "\n", encoding="utf-8"
    )
    wall_time = measurements["settings"]["wall_time_s"]
    print(f"measured in {wall_time} s", file=sys.stderr)
measurements = json.loads(measurements_path.read_text(encoding="utf-8"))
render(measurements, out, images, list(measurements["datasets"]))
