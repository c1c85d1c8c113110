"""The report's comparison, done better, as one function.

:func:`compare_models` trains every model of :mod:`animecls.models` and
:mod:`animecls.embeddings` on the same split of the same pictures, evaluates
each with a confidence interval and a paired test against the best, and can
write everything to a run folder: the table, the figures, the training
histories and the trained models.
"""

import csv
import json
import math
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from . import __version__
from .evaluation import evaluate, generalization_gap, mcnemar_test

__all__ = [
    "MODEL_NAMES",
    "ImageNetFallbackWarning",
    "compare_models",
    "results_markdown",
]

#: The models a comparison can train, in the order the table lists them.
MODEL_NAMES = (
    "two_layer_cnn",
    "vgg16_transfer",
    "vgg16_svm",
    "pixels_svm",
    "color_histogram_svm",
)

_DESCRIPTIONS = {
    "two_layer_cnn": "the report's Model 1, trained from scratch",
    "vgg16_transfer": "the report's Model 2: frozen VGG16, Flatten, Dense(256)",
    "vgg16_svm": "VGG16 embeddings (average-pooled block5_pool) + linear SVM",
    "pixels_svm": "raw 32x32 pixels + linear SVM",
    "color_histogram_svm": "HSV colour histogram + RBF SVM",
}

# --quick: small pictures and few epochs, so the whole comparison runs in
# under a minute on two CPU cores; the protocol (split, seeds) is unchanged.
_QUICK_IMAGE_SIZE = (64, 64)
_QUICK_EPOCHS = 5
_FULL_IMAGE_SIZE = (250, 250)

_COLUMNS = (
    "model",
    "test_accuracy",
    "accuracy_low",
    "accuracy_high",
    "test_loss",
    "train_accuracy",
    "val_accuracy",
    "gap",
    "verdict",
    "mcnemar_p_vs_best",
    "parameters",
    "fit_time_s",
    "weights",
)


class ImageNetFallbackWarning(UserWarning):
    """``weights="auto"`` found no ImageNet weights and used random ones."""


def _log(verbose, message):
    if verbose:
        print(message, file=sys.stderr, flush=True)


def _resolve_weights(weights, verbose):
    """Return (weights for the builders, label for the table)."""
    from ._weights import WeightsUnavailableError, imagenet_weights_path

    if weights != "auto":
        if weights is None or (isinstance(weights, str) and weights == "none"):
            return None, "none"
        return weights, "imagenet" if weights == "imagenet" else os.fspath(weights)
    try:
        imagenet_weights_path()
    except WeightsUnavailableError:
        warnings.warn(
            "The VGG16 ImageNet weights are not in the Keras cache and cannot be "
            'downloaded, so with weights="auto" the VGG16 models use random '
            "weights (recorded as weights=none in the results): their scores say "
            "nothing about transfer learning. To use ImageNet weights, connect "
            "once, or install a copied file with `animecls weights install FILE`.",
            ImageNetFallbackWarning,
            stacklevel=3,
        )
        return None, "none (ImageNet unavailable)"
    return "imagenet", "imagenet"


def _load_data(data, image_size, verbose):
    from .datasets import load_image_folder, make_characters

    if data is None:
        _log(verbose, "Data: drawing the embedded default characters.")
        return make_characters(image_size=image_size)
    if isinstance(data, (str, os.PathLike)):
        _log(verbose, f"Data: loading {os.fspath(data)!r}.")
        return load_image_folder(data, image_size=image_size)
    if isinstance(data, dict) and {"images", "target", "target_names"} <= set(data):
        images = np.asarray(data["images"])
        if images.shape[1:3] != tuple(image_size):
            raise ValueError(
                f"data holds {images.shape[1]}x{images.shape[2]} pictures but "
                f"image_size is {image_size[0]}x{image_size[1]}; pass "
                "image_size=None to use the pictures' own size. Received: "
                f"image_size={tuple(image_size)}"
            )
        return data
    raise TypeError(
        "data must be None (the embedded default), a folder path, or a Bunch "
        "with images, target and target_names. Received: "
        f"{type(data).__name__}"
    )


def _image_size(data, image_size, quick):
    if image_size is not None:
        size = tuple(int(s) for s in np.broadcast_to(image_size, (2,)))
        if min(size) < 32:
            raise ValueError(
                "image_size must be at least 32x32 (VGG16 pools five times). "
                f"Received: image_size={image_size}"
            )
        return size
    if isinstance(data, dict) and "images" in data:
        return tuple(np.asarray(data["images"]).shape[1:3])
    return _QUICK_IMAGE_SIZE if quick else _FULL_IMAGE_SIZE


_INCOMPLETE_MARKER = ".animecls-incomplete"


def _run_paths(out_dir):
    """Return (partial, final) paths of a new run folder; refuse an old one."""
    final = Path(out_dir)
    if final.exists():
        raise FileExistsError(
            f"{os.fspath(final)!r} already exists; a comparison never writes into "
            "an earlier run folder. Choose another --out, or leave it out for a "
            "new time-stamped folder under runs/."
        )
    return final.with_name(final.name + ".incomplete"), final


def _start_run_dir(partial, subfolders=()):
    """Create the folder results are written into before they are complete.

    A folder of that name left by an interrupted animecls run (it holds the
    marker file) is replaced; any other is the user's and is refused.
    """
    if partial.exists():
        if not (partial / _INCOMPLETE_MARKER).exists():
            raise FileExistsError(
                f"{os.fspath(partial)!r} exists and was not made by animecls; "
                "move it away or choose another --out."
            )
        # Left by a run interrupted while writing: nothing in it is complete.
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    for name in subfolders:
        (partial / name).mkdir()
    (partial / _INCOMPLETE_MARKER).write_text(
        "This run was interrupted before its results were complete.\n",
        encoding="utf-8",
    )


def _keras_fit(name, bunch, split, settings, weights, verbose):
    import keras

    from .models import build_two_layer_cnn, build_vgg16_transfer
    from .training import fit_model, fit_transfer_head

    x_fit, y_fit, x_val, y_val = split["fit"] + split["val"]
    n_classes = len(bunch.target_names)
    input_shape = x_fit.shape[1:]
    keras.utils.set_random_seed(settings["random_state"])
    common = {
        "epochs": settings["epochs"],
        "random_state": settings["random_state"],
        "verbose": 2 if verbose else 0,
    }
    if name == "two_layer_cnn":
        model = build_two_layer_cnn(input_shape, n_classes)
        history = fit_model(
            model, x_fit, y_fit, validation_data=(x_val, y_val), **common
        )
    else:
        model = build_vgg16_transfer(input_shape, n_classes, weights=weights)
        # The head trains on VGG16 features computed once. Keras' validation
        # split takes the last rows, which is exactly (x_val, y_val).
        history = fit_transfer_head(
            model,
            np.concatenate([x_fit, x_val]),
            np.concatenate([y_fit, y_val]),
            validation_split=split["validation_fraction"],
            cache_dir=settings["cache_dir"],
            **common,
        )
    return model, history.history, history.fit_time, model.count_params()


def _svm_fit(name, split, settings, weights):
    from .embeddings import make_baseline

    x_fit, y_fit, x_val, y_val = split["fit"] + split["val"]
    if name == "vgg16_svm":
        pipeline = make_baseline(
            "vgg16",
            weights=weights,
            image_size=x_fit.shape[1:3],
            cache_dir=settings["cache_dir"],
            verbose=0,
            random_state=settings["random_state"],
        )
    elif name == "pixels_svm":
        pipeline = make_baseline("pixels")
    else:
        pipeline = make_baseline("color_histogram", kernel="rbf")
    start = time.perf_counter()
    pipeline.fit(x_fit, y_fit)
    fit_time = time.perf_counter() - start
    # A one-epoch "history", so SVMs get the same gap summary as networks.
    history = {
        "accuracy": [float(pipeline.score(x_fit, y_fit))],
        "val_accuracy": [float(pipeline.score(x_val, y_val))],
    }
    return pipeline, history, fit_time, _svm_parameters(pipeline)


def _svm_parameters(pipeline):
    """Numbers a fitted SVM pipeline learned: weights or dual coefficients."""
    svm = pipeline.named_steps["svm"]
    learned = svm.coef_.size if svm.kernel == "linear" else svm.dual_coef_.size
    return int(learned + svm.intercept_.size)


def _describe_data(data):
    """Name ``data`` (as compare_models takes it) for tables and settings."""
    if data is None:
        return "the embedded default characters"
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    return "a Bunch"


def _row(name, result, history, fit_time, parameters, weights_label):
    if "val_loss" in history:
        summary = generalization_gap(history)
        verdict = summary.verdict
        train_acc, val_acc = summary.final_train_accuracy, summary.final_val_accuracy
    else:
        train_acc, val_acc = history["accuracy"][-1], history["val_accuracy"][-1]
        verdict = "overfitting" if train_acc - val_acc > 0.1 else "fitting"
    low, high = result.accuracy_interval
    return {
        "model": name,
        "test_accuracy": result.accuracy,
        "accuracy_low": low,
        "accuracy_high": high,
        "test_loss": result.loss,
        "train_accuracy": train_acc,
        "val_accuracy": val_acc,
        "gap": train_acc - val_acc,
        "verdict": verdict,
        "mcnemar_p_vs_best": None,
        "parameters": parameters,
        "fit_time_s": fit_time,
        "weights": weights_label if name.startswith("vgg16") else "-",
    }


def _format(value, column):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if column in ("parameters",):
        return f"{value:,}"
    if column == "fit_time_s":
        return f"{value:.1f}"
    if column == "mcnemar_p_vs_best":
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def results_markdown(table):
    """Return the comparison table as Markdown, one row per model.

    Parameters
    ----------
    table : list of dict
        The ``table`` of :func:`compare_models`.

    Returns
    -------
    text : str
        A Markdown table: test accuracy with its 95% interval, test loss,
        final train and validation accuracy, their gap, the McNemar p-value
        against the best model, parameters, fit time and weights.
    """
    header = (
        "| model | test accuracy (95% CI) | test loss | train acc | val acc | "
        "gap | verdict | McNemar p vs best | parameters | fit time (s) | weights |"
    )
    lines = [header, "|" + " --- |" * header.count(" | ") + " --- |"]
    for row in table:
        accuracy = (
            f"{row['test_accuracy']:.3f} ({row['accuracy_low']:.2f}-"
            f"{row['accuracy_high']:.2f})"
        )
        # The columns after the accuracy interval, in the CSV's order.
        cells = [row["model"], accuracy] + [
            _format(row[c], c) for c in _COLUMNS[_COLUMNS.index("test_loss") :]
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _write_table(run_dir, table, meta):
    with open(run_dir / "results.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=_COLUMNS)
        writer.writeheader()
        for row in table:
            writer.writerow({k: "" if row[k] is None else row[k] for k in _COLUMNS})
    intro = (
        f"# Comparison on {meta['data']}\n\n"
        f"{meta['n_fit']} training, {meta['n_val']} validation and "
        f"{meta['n_test']} test pictures of {meta['n_classes']} classes at "
        f"{meta['image_size'][0]}x{meta['image_size'][1]}; split "
        f"{1 - meta['test_size']:.0%}/{meta['test_size']:.0%} with seed "
        f"{meta['random_state']}, the last {meta['validation_fraction']:.0%} of "
        "the training part kept for validation (as Keras' validation_split).\n\n"
        "The interval is Wilson's 95% interval; the McNemar p-value tests each "
        "model against the most accurate one on the same test pictures (a large "
        "p-value: the test set cannot tell them apart).\n\n"
    )
    (run_dir / "results.md").write_text(
        intro + results_markdown(table), encoding="utf-8"
    )


def _save_figures(run_dir, bunch, split, outcomes, table):
    # Saving needs no particular backend; the caller's stays as it is.
    import matplotlib.pyplot as plt

    from .plotting import (
        plot_comparison,
        plot_confident_mistakes,
        plot_confusion_matrix,
        plot_embedding_projection,
        plot_history,
        plot_predictions,
        plot_samples,
    )

    names = list(bunch.target_names)
    chance = 1 / len(names)
    x_test, y_test = split["test"]
    figures = {}

    def save(key, figure):
        path = run_dir / "figures" / f"{key}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        figures[key] = str(path)

    axes = plot_samples(bunch.images, bunch.target, names, n_per_class=6)
    save("samples", axes.flat[0].figure)
    axes = plot_comparison(table, chance=chance)
    save("comparison", axes[0].figure)
    for name, outcome in outcomes.items():
        if "val_loss" in outcome.history:
            axes = plot_history(outcome.history, chance=chance)
            axes[0].figure.suptitle(name)
            save(f"curves_{name}", axes[0].figure)
        display = plot_confusion_matrix(
            y_test, outcome.evaluation.y_pred, target_names=names
        )
        display.ax_.set_title(f"Confusion matrix: {name}")
        save(f"confusion_{name}", display.figure_)
        shown = slice(0, 12)
        axes = plot_predictions(
            x_test[shown], outcome.evaluation.y_pred[shown], names, y_true=y_test[shown]
        )
        save(f"predictions_{name}", axes[0].figure)
        if outcome.evaluation.probabilities is not None:
            axes = plot_confident_mistakes(
                x_test, y_test, outcome.evaluation.probabilities, names
            )
            if axes is not None:
                save(f"mistakes_{name}", axes[0].figure)
    if "vgg16_svm" in outcomes:
        # What the SVM sees: the test pictures' VGG16 embeddings, in 2-D.
        embedder = outcomes["vgg16_svm"].model.named_steps["embed"]
        ax = plot_embedding_projection(embedder.transform(x_test), y_test, names)
        ax.set_title("PCA of the test pictures' VGG16 embeddings")
        save("projection_vgg16_svm", ax.figure)
    return figures


def compare_models(
    data=None,
    *,
    models=None,
    image_size=None,
    epochs=None,
    weights="auto",
    quick=False,
    test_size=0.3,
    validation_split=0.2,
    random_state=42,
    out_dir=None,
    save_models=True,
    cache_dir=None,
    verbose=1,
):
    """Train every model on the same split and compare them honestly.

    The protocol is the report's: a 70/30 split of the pictures (stratified,
    seed 42), and the last 20% of the training part kept for validation, as
    ``fit(validation_split=0.2)`` did. Every model trains on the same
    pictures and is tested on the same pictures, so the McNemar test between
    two of them is valid.

    Parameters
    ----------
    data : None, path-like or Bunch, default=None
        None for the embedded default characters
        (:func:`~animecls.datasets.make_characters`), a folder of class
        folders (:func:`~animecls.datasets.load_image_folder`), or a Bunch
        with ``images``, ``target`` and ``target_names``.
    models : list of str, default=None
        Which of :data:`MODEL_NAMES` to train; all when None.
    image_size : int or tuple of int, default=None
        Size the pictures are loaded or drawn at. None means 250x250 (the
        report's CNN input), 64x64 with ``quick=True``, or the size of the
        pictures in a Bunch.
    epochs : int, default=None
        Epochs for both networks. None keeps the report's recipes (15 for the
        CNN, 10 for VGG16), or 5 with ``quick=True``.
    weights : "auto", "imagenet", None or path-like, default="auto"
        VGG16 weights. ``"auto"`` uses ImageNet when the file is cached or can
        be downloaded, and otherwise random weights with an
        :class:`ImageNetFallbackWarning`; the choice is recorded in every
        row. ``"imagenet"`` raises
        :class:`~animecls.models.WeightsUnavailableError` when offline.
    quick : bool, default=False
        Small pictures and few epochs: the whole comparison in under a minute
        on two CPU cores, for trying things out and for tests.
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    validation_split : float, default=0.2
        Fraction of the training part kept for validation (its last rows).
    random_state : int, default=42
        Seed of the split and of every model.
    out_dir : path-like, default=None
        Write a run folder here (it must not exist yet): ``results.csv``,
        ``results.md``, ``histories.json``, ``figures/*.png`` and
        ``models/``. Files are written once training is over, into
        ``<out_dir>.incomplete``, renamed to ``out_dir`` when all are
        written; an interrupted run leaves no folder that looks complete, and
        a rerun with the same ``out_dir`` starts afresh.
    save_models : bool, default=True
        Also save the trained models in ``out_dir/models`` (``.keras`` for
        networks, ``.npz`` for SVM pipelines), ready for ``animecls predict``.
        At the report's settings the CNN alone takes about 720 MiB on disk:
        63 million weights and Adam's two moments for each, 4 bytes apiece.
    cache_dir : path-like, default=None
        Keep VGG16 features on disk so a second run skips the extraction.
    verbose : int, default=1
        0 is silent; 1 prints progress to standard error.

    Returns
    -------
    result : Bunch
        ``table`` (list of dicts, one per model, see :func:`results_markdown`),
        ``markdown`` (the table as text), ``histories``, ``evaluations``
        (:func:`~animecls.evaluation.evaluate` results), ``models`` (the
        trained models), ``split`` (sizes), ``run_dir`` and ``figures``
        (paths, when ``out_dir`` is given).

    Examples
    --------
    >>> from animecls.comparison import compare_models
    >>> result = compare_models(quick=True)  # doctest: +SKIP
    >>> print(result.markdown)  # doctest: +SKIP
    """
    from .datasets import _split_indices

    names = list(MODEL_NAMES if models is None else models)
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        raise ValueError(
            f"models must be a non-empty list of {list(MODEL_NAMES)}. "
            f"Received: models={models!r}"
        )
    if not 0 < validation_split < 1:
        raise ValueError(
            "validation_split must be between 0 and 1. "
            f"Received: validation_split={validation_split}"
        )
    size = _image_size(data, image_size, quick)
    if epochs is None and quick:
        epochs = _QUICK_EPOCHS
    if epochs is not None and int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1. Received: epochs={epochs}")
    partial = final = None
    if out_dir is not None:
        partial, final = _run_paths(out_dir)

    bunch = _load_data(data, size, verbose)
    target = np.asarray(bunch.target)
    images = np.asarray(bunch.images)
    train_idx = _split_indices(
        target, bunch.target_names, "train", test_size, random_state
    )
    test_idx = _split_indices(
        target, bunch.target_names, "test", test_size, random_state
    )
    n_fit = int(len(train_idx) * (1 - validation_split))
    fit_idx, val_idx = train_idx[:n_fit], train_idx[n_fit:]
    split = {
        "fit": (images[fit_idx], target[fit_idx]),
        "val": (images[val_idx], target[val_idx]),
        "test": (images[test_idx], target[test_idx]),
        "validation_fraction": len(val_idx) / len(train_idx),
    }
    needs_vgg = any(n.startswith("vgg16") for n in names)
    vgg_weights, weights_label = (
        _resolve_weights(weights, verbose) if needs_vgg else (None, "-")
    )
    settings = {
        "epochs": None if epochs is None else int(epochs),
        "random_state": int(random_state),
        "cache_dir": cache_dir,
    }
    _log(
        verbose,
        f"Split: {len(fit_idx)} training, {len(val_idx)} validation, "
        f"{len(test_idx)} test pictures at {size[0]}x{size[1]}.",
    )

    outcomes = {}
    x_test, y_test = split["test"]
    for step, name in enumerate(names, start=1):
        _log(verbose, f"[{step}/{len(names)}] {name}: {_DESCRIPTIONS[name]}")
        if name in ("two_layer_cnn", "vgg16_transfer"):
            model, history, fit_time, parameters = _keras_fit(
                name, bunch, split, settings, vgg_weights, verbose
            )
        else:
            model, history, fit_time, parameters = _svm_fit(
                name, split, settings, vgg_weights
            )
        evaluation = evaluate(model, x_test, y_test, target_names=bunch.target_names)
        outcomes[name] = Bunch(
            model=model,
            history=history,
            evaluation=evaluation,
            row=_row(name, evaluation, history, fit_time, parameters, weights_label),
        )
        _log(
            verbose,
            f"    test accuracy {evaluation.accuracy:.3f} "
            f"(95% CI {evaluation.accuracy_interval[0]:.2f}-"
            f"{evaluation.accuracy_interval[1]:.2f}), fit {fit_time:.1f} s",
        )

    best = max(outcomes, key=lambda n: outcomes[n].evaluation.accuracy)
    for name, outcome in outcomes.items():
        if name != best:
            outcome.row["mcnemar_p_vs_best"] = mcnemar_test(
                y_test,
                outcomes[best].evaluation.y_pred,
                outcome.evaluation.y_pred,
            ).pvalue
    table = [outcomes[n].row for n in names]
    meta = {
        "data": _describe_data(data),
        "n_fit": len(fit_idx),
        "n_val": len(val_idx),
        "n_test": len(test_idx),
        "n_classes": len(bunch.target_names),
        "image_size": size,
        "test_size": test_size,
        "random_state": int(random_state),
        "validation_fraction": split["validation_fraction"],
    }
    result = Bunch(
        table=table,
        markdown=results_markdown(table),
        histories={n: o.history for n, o in outcomes.items()},
        evaluations={n: o.evaluation for n, o in outcomes.items()},
        models={n: o.model for n, o in outcomes.items()},
        split=meta,
        target_names=list(bunch.target_names),
        run_dir=None,
        figures={},
    )
    if partial is not None:
        # Training is over; results exist under the final name only once every
        # file is written, so an interrupted run never looks finished.
        _start_run_dir(partial, subfolders=("models", "figures"))
        _write_run(
            partial,
            bunch,
            split,
            outcomes,
            table,
            meta,
            weights_label,
            save_models=save_models,
        )
        result.figures = _save_figures(partial, bunch, split, outcomes, table)
        (partial / _INCOMPLETE_MARKER).unlink()
        partial.rename(final)
        result.figures = {
            k: str(final / Path(v).relative_to(partial))
            for k, v in result.figures.items()
        }
        result.run_dir = str(final)
        _log(verbose, f"Wrote {final}/ (results.md, results.csv, figures/).")
    return result


def _write_run(
    run_dir, bunch, split, outcomes, table, meta, weights_label, *, save_models
):
    from .models import save_model

    _write_table(run_dir, table, meta)
    with open(run_dir / "histories.json", "w", encoding="utf-8") as f:
        json.dump(
            {n: o.history for n, o in outcomes.items()},
            f,
            indent=1,
        )
    with open(run_dir / "run.json", "w", encoding="utf-8") as f:
        json.dump(
            dict(
                meta,
                image_size=list(meta["image_size"]),
                target_names=list(bunch.target_names),
                weights=weights_label,
                animecls=__version__,
            ),
            f,
            indent=1,
        )
    if not save_models:
        return
    size = split["fit"][0].shape[1:3]
    for name, outcome in outcomes.items():
        suffix = ".npz" if name.endswith("_svm") else ".keras"
        save_model(
            outcome.model,
            run_dir / "models" / f"{name}{suffix}",
            class_names=list(bunch.target_names),
            image_size=size if suffix == ".npz" else None,
        )
