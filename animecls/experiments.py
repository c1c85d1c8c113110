"""Experiments that show why small-data models overfit, and what helps.

Each function trains the models of :mod:`animecls.comparison` many times and
summarises the spread, so a lecture can show measured effects rather than one
run's number:

* :func:`learning_curve`: test accuracy as the training pictures per
  character grow, where feature extraction + SVM beats training from scratch;
* :func:`repeated_splits`: the report's single 70/30 split rerun over many
  seeds, how much one split's number moves;
* :func:`measure_remedies`: the report's CNN with one remedy at a time, its
  effect on the generalisation gap and on test accuracy;
* :func:`shortcut_experiment`: a nuisance (background colour, watermark) that
  predicts the character in training but not in test, and the drop it causes.

Every function returns a Bunch with ``kind``, ``runs`` (one dict per fitted
model, with its Wilson interval), ``summary`` (mean, standard deviation and
95% t-interval of the mean over seeds), ``n_classes``, ``chance`` and
``settings``; :func:`summary_markdown` prints it and :func:`save_results`
writes it with its figure.

The pictures default to 96x96 (the report used 250x250) so that all four
analyses on the embedded default set run in under 15 minutes on two CPU
cores. At 96x96 the report's Flatten CNN still has 9.4 million parameters,
about 90 thousand per picture of the report's 103 training pictures: far
more than the pictures can pin down, as the report's 63 million were, so the
lessons about overfitting carry over while each training takes seconds. VGG16
features of all pictures are computed once per data set (and kept on disk
with ``cache_dir``); every seed and size reuses them.
"""

import csv
import json
import math
import os
import time
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.utils import Bunch

from . import __version__
from .comparison import (
    _INCOMPLETE_MARKER,
    MODEL_NAMES,
    _describe_data,
    _image_size,
    _load_data,
    _log,
    _resolve_weights,
    _start_run_dir,
    _svm_parameters,
)
from .evaluation import evaluate

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "REMEDIES",
    "SHORTCUT_REMEDIES",
    "learning_curve",
    "measure_remedies",
    "repeated_splits",
    "save_results",
    "shortcut_experiment",
    "summary_markdown",
]

#: Picture size of the experiments when neither ``image_size`` nor a Bunch
#: sets it: small enough for many trainings, large enough that the report's
#: Flatten CNN keeps millions of parameters (see the module notes).
DEFAULT_IMAGE_SIZE = (96, 96)

# quick=True: the smallest pictures VGG16 takes and two epochs, so that every
# function runs in seconds for tests and CI; the protocol is unchanged.
_QUICK_IMAGE_SIZE = (32, 32)
_QUICK_EPOCHS = 2

# The report's protocol: the last 20% of the training part for validation.
_VALIDATION_FRACTION = 0.2
_CONFIDENCE = 0.95

#: The remedies :func:`measure_remedies` knows, each changing one thing.
REMEDIES = {
    "none": "the report's CNN as it is: Flatten, Dense(256), dropout 0.5",
    "augmentation": "random flips, rotations, zooms, shifts and contrast "
    "(make_augmentation) in front of the CNN",
    "no_dropout": "dropout 0 instead of the report's 0.5: what its dropout buys",
    "early_stopping": "stop once validation loss has not improved for 3 epochs, "
    "keep the best weights",
    "l2": "L2 penalty 1e-3 on the convolution and dense kernels",
    "global_pooling": "GlobalAveragePooling2D instead of Flatten",
    "small_head": "Dense(32) instead of Dense(256)",
    "transfer_frozen": "the report's Model 2: frozen VGG16, the head trained on "
    "its features",
    "transfer_finetune": "Model 2, then VGG16 from block5_conv1 unfrozen and "
    "fine-tuned (unfreeze_top, recipe vgg16_finetune)",
}

# What each CNN remedy passes to build_two_layer_cnn / fit_model.
_CNN_REMEDIES = {
    "none": {},
    "augmentation": {"augmentation": True},
    "no_dropout": {"dropout": 0.0},
    "early_stopping": {"early_stopping": 3},
    "l2": {"l2": 1e-3},
    "global_pooling": {"pooling": "avg"},
    "small_head": {"dense_units": 32},
}
# Which run each remedy is compared with.
_BASELINES = {"transfer_finetune": "transfer_frozen", "transfer_frozen": None}

#: The conditions and remedies :func:`shortcut_experiment` knows.
SHORTCUT_REMEDIES = {
    "augmentation": "random flips, rotations, zooms, shifts and contrast in front "
    "of the CNN (other models train as without it)",
    "weaker_correlation": "only 90% of the training pictures carry their own "
    "class's nuisance (train_correlation=0.9)",
    "background_replacement": 'nuisance="background" only: every training '
    "picture's background, found with the silhouettes, repainted in a random "
    "colour",
}


def _check_count(value, name, minimum=1):
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise ValueError(
            f"{name} must be an integer of at least {minimum}. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def _check_models(models, default=MODEL_NAMES):
    names = list(default if models is None else models)
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(
            f"models must be a non-empty list of distinct names from "
            f"{list(MODEL_NAMES)}. Received: models={models!r}"
        )
    return names


def _check_test_size(test_size):
    if not isinstance(test_size, (float, np.floating)) or not 0 < test_size < 1:
        raise ValueError(
            f"test_size must be a fraction between 0 and 1. "
            f"Received: test_size={test_size!r}"
        )
    return float(test_size)


def _size_and_epochs(data, image_size, epochs, quick):
    if image_size is None and not (isinstance(data, dict) and "images" in data):
        size = _QUICK_IMAGE_SIZE if quick else DEFAULT_IMAGE_SIZE
    else:
        size = _image_size(data, image_size, quick)
    if epochs is None and quick:
        epochs = _QUICK_EPOCHS
    if epochs is not None:
        epochs = _check_count(epochs, "epochs")
    return size, epochs


def _weights(models, weights, verbose):
    if any(n.startswith("vgg16") for n in models):
        return _resolve_weights(weights, verbose)
    return None, "-"


class _Lab:
    """One data set and the models trained on it, with features computed once.

    VGG16's output for a picture never changes while its weights are frozen,
    so the base's feature maps (for the transfer head) and its pooled
    embeddings (for the SVM) are computed once for every picture; each run
    slices the rows it trains and tests on. The frozen base is the same for
    every run: ImageNet weights, or random weights seeded with the
    experiment's ``random_state``.
    """

    def __init__(self, bunch, *, epochs, vgg_weights, weights_label, seed, cache):
        self.images = np.asarray(bunch["images"])
        self.target = np.asarray(bunch["target"])
        self.target_names = list(bunch["target_names"])
        self.epochs = epochs
        self.vgg_weights = vgg_weights
        self.weights_label = weights_label
        self.seed = int(seed)
        self.cache = cache
        self._maps = None
        self._embeddings = None

    @property
    def input_shape(self):
        return tuple(self.images.shape[1:])

    def _transfer_model(self, seed):
        import keras

        from .models import build_vgg16_transfer

        keras.utils.set_random_seed(seed)
        return build_vgg16_transfer(
            self.input_shape, len(self.target_names), weights=self.vgg_weights
        )

    def maps(self):
        """VGG16 block5_pool feature maps of every picture, and the shared base."""
        if self._maps is None:
            from .training import _base_features, _split_transfer_model

            model = self._transfer_model(self.seed)
            extractor, head = _split_transfer_model(model)
            features = _base_features(
                extractor, self.images, cache_dir=self.cache, batch_size=32, verbose=0
            )
            base = model.get_layer("vgg16").get_weights()
            self._maps = (features, head, base)
        return self._maps

    def embeddings(self):
        """Average-pooled VGG16 block5_pool embeddings of every picture."""
        if self._embeddings is None:
            from .embeddings import VGG16Embedder

            embedder = VGG16Embedder(
                weights=self.vgg_weights,
                image_size=self.input_shape[:2],
                cache_dir=self.cache,
                random_state=self.seed,
                verbose=0,
            )
            self._embeddings = embedder.transform(self.images)
        return self._embeddings

    def fit(
        self, name, fit_idx, test_idx, val_idx=None, *, seed, cnn=None, finetune=False
    ):
        """Train ``name`` on ``fit_idx`` and score it; return (row, y_pred)."""
        start = time.perf_counter()
        if name == "two_layer_cnn":
            model, x, epochs_run = self._fit_cnn(fit_idx, val_idx, seed, cnn or {})
        elif name == "vgg16_transfer":
            model, x, epochs_run = self._fit_transfer(fit_idx, val_idx, seed, finetune)
        else:
            model, x = self._fit_svm(name, fit_idx, seed)
            epochs_run = None
        fit_time = time.perf_counter() - start
        test = evaluate(
            model, x[test_idx], self.target[test_idx], target_names=self.target_names
        )
        train_accuracy = self._accuracy(model, x, fit_idx)
        val_accuracy = None if val_idx is None else self._accuracy(model, x, val_idx)
        low, high = test.accuracy_interval
        row = {
            "model": name,
            "seed": int(seed),
            "test_accuracy": test.accuracy,
            "accuracy_low": low,
            "accuracy_high": high,
            "n_train": len(fit_idx),
            "n_val": 0 if val_idx is None else len(val_idx),
            "n_test": len(test_idx),
            "train_accuracy": train_accuracy,
            "val_accuracy": val_accuracy,
            "gap": None if val_accuracy is None else train_accuracy - val_accuracy,
            "epochs_run": epochs_run,
            "parameters": self._parameters(model, name),
            "fit_time_s": fit_time,
            "weights": self.weights_label if name.startswith("vgg16") else "-",
        }
        return row, test.y_pred

    def _accuracy(self, model, x, idx):
        # The model as it is returned, in inference mode: training accuracy
        # logged during fit is measured with dropout and augmentation on,
        # which would flatter those remedies' gaps.
        if hasattr(model, "named_steps"):
            return float(model.score(x[idx], self.target[idx]))
        predicted = model.predict(x[idx], verbose=0).argmax(axis=1)
        return float(np.mean(predicted == self.target[idx]))

    @staticmethod
    def _parameters(model, name):
        if name.endswith("_svm"):
            return _svm_parameters(model)
        # Trainable ones: a frozen VGG16 base learns nothing from the data.
        return int(sum(np.prod(w.shape) for w in model.trainable_weights))

    def _keras_fit(self, model, x, y, val, seed, recipe, early_stopping=None):
        from .training import fit_model

        history = fit_model(
            model,
            x,
            y,
            recipe=recipe,
            epochs=self.epochs,
            validation_split=0.0 if val is None else None,
            validation_data=val,
            early_stopping=early_stopping,
            random_state=seed,
            verbose=0,
        )
        return history.history

    def _fit_cnn(self, fit_idx, val_idx, seed, options):
        import keras

        from .models import build_two_layer_cnn

        options = dict(options)
        early_stopping = options.pop("early_stopping", None)
        keras.utils.set_random_seed(seed)
        model = build_two_layer_cnn(self.input_shape, len(self.target_names), **options)
        val = self._part(self.images, val_idx)
        history = self._keras_fit(
            model,
            self.images[fit_idx],
            self.target[fit_idx],
            val,
            seed,
            "two_layer_cnn",
            early_stopping,
        )
        return model, self.images, len(history["loss"])

    def _part(self, x, idx):
        return None if idx is None else (x[idx], self.target[idx])

    def _fit_transfer(self, fit_idx, val_idx, seed, finetune):
        import keras

        features, head, base = self.maps()
        if not finetune:
            keras.utils.set_random_seed(seed)
            # A fresh head with the same layers, initialised from this seed.
            head = keras.models.clone_model(head)
            history = self._keras_fit(
                head,
                features[fit_idx],
                self.target[fit_idx],
                self._part(features, val_idx),
                seed,
                "vgg16_transfer",
            )
            return head, features, len(history["loss"])
        from .models import unfreeze_top
        from .training import _split_transfer_model

        model = self._transfer_model(seed)
        model.get_layer("vgg16").set_weights(base)
        _, own_head = _split_transfer_model(model)
        # Phase 1 trains the model's own head layers on the shared features.
        first = self._keras_fit(
            own_head,
            features[fit_idx],
            self.target[fit_idx],
            self._part(features, val_idx),
            seed,
            "vgg16_transfer",
        )
        unfreeze_top(model, from_layer="block5_conv1")
        second = self._keras_fit(
            model,
            self.images[fit_idx],
            self.target[fit_idx],
            self._part(self.images, val_idx),
            seed,
            "vgg16_finetune",
        )
        return model, self.images, len(first["loss"]) + len(second["loss"])

    def _fit_svm(self, name, fit_idx, seed):
        from .embeddings import make_baseline, make_embedding_svm

        if name == "vgg16_svm":
            x = self.embeddings()
            # The embedder is stateless, so scaling and SVM on the embeddings
            # computed once is the same pipeline as make_baseline("vgg16").
            pipeline = make_embedding_svm("passthrough", random_state=seed)
        elif name == "pixels_svm":
            x, pipeline = self.images, make_baseline("pixels", random_state=seed)
        else:
            x = self.images
            pipeline = make_baseline("color_histogram", kernel="rbf", random_state=seed)
        pipeline.fit(x[fit_idx], self.target[fit_idx])
        return pipeline, x


def _report_split(target, target_names, test_size, seed):
    """Split as the report: stratified 70/30, the last 20% of train validates."""
    from .datasets import _split_indices

    train = _split_indices(target, target_names, "train", test_size, seed)
    test = _split_indices(target, target_names, "test", test_size, seed)
    n_fit = int(len(train) * (1 - _VALIDATION_FRACTION))
    return train[:n_fit], train[n_fit:], test


def _interval(values, *, bounds=(0.0, 1.0)):
    """Mean, standard deviation and 95% t-interval of the mean of ``values``."""
    values = np.asarray([v for v in values if v is not None], dtype=float)
    n = len(values)
    if n == 0:
        return {"n_runs": 0, "mean": None, "std": None, "low": None, "high": None}
    mean = float(values.mean())
    if n < 2:
        return {"n_runs": 1, "mean": mean, "std": None, "low": None, "high": None}
    std = float(values.std(ddof=1))
    half = float(stats.t.ppf((1 + _CONFIDENCE) / 2, n - 1)) * std / math.sqrt(n)
    return {
        "n_runs": n,
        "mean": mean,
        "std": std,
        "low": max(bounds[0], mean - half),
        "high": min(bounds[1], mean + half),
    }


def _prefixed(prefix, summary):
    return {f"{prefix}_{k}": v for k, v in summary.items() if k != "n_runs"}


def _group(runs, keys):
    groups = {}
    for run in runs:
        groups.setdefault(tuple(run[k] for k in keys), []).append(run)
    return groups


def _result(kind, runs, summary, lab_names, settings, start):
    settings = dict(settings, time_s=round(time.perf_counter() - start, 1))
    settings["animecls"] = __version__
    return Bunch(
        kind=kind,
        runs=runs,
        summary=summary,
        target_names=list(lab_names),
        n_classes=len(lab_names),
        chance=1 / len(lab_names),
        settings=settings,
    )


def _common_settings(data, models, size, epochs, weights_label, quick, random_state):
    return {
        "data": _describe_data(data),
        "models": list(models),
        "image_size": list(size),
        "epochs": epochs if epochs is not None else "recipe",
        "weights": weights_label,
        "quick": bool(quick),
        "random_state": int(random_state),
        "interval": "95% t-interval of the mean over seeds; each run's Wilson "
        "interval is in its row (accuracy_low, accuracy_high)",
    }


def _lab(data, *, models, size, epochs, weights, random_state, cache_dir, verbose):
    bunch = _load_data(data, size, verbose)
    vgg_weights, label = _weights(models, weights, verbose)
    lab = _Lab(
        bunch,
        epochs=epochs,
        vgg_weights=vgg_weights,
        weights_label=label,
        seed=random_state,
        cache=cache_dir,
    )
    return lab, label


def learning_curve(
    data=None,
    *,
    train_sizes=(5, 10, 20, 40, None),
    n_seeds=3,
    test_size=0.3,
    models=None,
    image_size=None,
    epochs=None,
    weights="auto",
    quick=False,
    cache_dir=None,
    random_state=0,
    verbose=0,
):
    """Test accuracy of every model as the training pictures per character grow.

    For each seed the pictures are split once (stratified, ``test_size`` for
    testing, the same test pictures for every size), and each model trains
    on a stratified subsample of the training part: ``size`` pictures of
    every character, nested (the 10 include the 5). Nothing is held out for
    validation: every picture counts. The curve shows where VGG16 features
    with an SVM beat a network trained from scratch, and how far more
    pictures would help.

    Parameters
    ----------
    data : None, path-like or Bunch, default=None
        As in :func:`~animecls.comparison.compare_models`.
    train_sizes : sequence of int or None, default=(5, 10, 20, 40, None)
        Training pictures per character; None means the whole training part
        (the smallest class's count). Each must fit in every class's
        training part.
    n_seeds : int, default=3
        Splits and subsamples, seeds ``random_state``, ``random_state + 1``...
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    models : list of str, default=None
        Which of :data:`~animecls.comparison.MODEL_NAMES`; all when None.
    image_size : int or tuple of int, default=None
        None: :data:`DEFAULT_IMAGE_SIZE` (96x96), 32x32 with ``quick=True``,
        or the size of the pictures in a Bunch.
    epochs : int, default=None
        Epochs of both networks; None keeps the report's recipes (15 and
        10), 2 with ``quick=True``.
    weights : "auto", "imagenet", None or path-like, default="auto"
        VGG16 weights, as in :func:`~animecls.comparison.compare_models`;
        the weights used are recorded in every run and in ``settings``.
    quick : bool, default=False
        32x32 pictures and 2 epochs: seconds instead of minutes, for tests.
    cache_dir : path-like, default=None
        Keep the VGG16 features on disk, so a second call skips extracting.
    random_state : int, default=0
        First seed; it also seeds random VGG16 weights.
    verbose : int, default=0
        1 prints progress to standard error.

    Returns
    -------
    result : Bunch
        ``kind="learning_curve"``, ``runs`` (one dict per model, size and
        seed, with ``train_size`` per character), ``summary`` (per model and
        size, ``all`` True for the whole training part: ``mean``, ``std``,
        ``low`` and ``high`` of the test accuracy, the last two a 95%
        t-interval of the mean over seeds, and
        ``train_accuracy_mean``), ``n_classes``, ``chance``, ``settings``.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> from animecls.experiments import learning_curve
    >>> data = make_characters(8, image_size=(32, 32))
    >>> result = learning_curve(data, train_sizes=(2, None), n_seeds=1,
    ...                         models=["pixels_svm"], quick=True)
    >>> [(row["train_size"], row["n_runs"]) for row in result.summary]
    [(2, 1), (5, 1)]
    """
    start = time.perf_counter()
    n_seeds = _check_count(n_seeds, "n_seeds")
    test_size = _check_test_size(test_size)
    names = _check_models(models)
    sizes = list(train_sizes)
    if not sizes or any(s is not None for s in sizes if not _is_positive_int(s)):
        raise ValueError(
            "train_sizes must be a non-empty list of positive integers or None. "
            f"Received: train_sizes={train_sizes!r}"
        )
    size, epochs = _size_and_epochs(data, image_size, epochs, quick)
    lab, label = _lab(
        data,
        models=names,
        size=size,
        epochs=epochs,
        weights=weights,
        random_state=random_state,
        cache_dir=cache_dir,
        verbose=verbose,
    )
    runs = []
    for k in range(n_seeds):
        seed = int(random_state) + k
        fit_all, val_all, test = _report_split(
            lab.target, lab.target_names, test_size, seed
        )
        train = np.concatenate([fit_all, val_all])
        rng = np.random.default_rng(seed)
        by_class = [
            rng.permutation(train[lab.target[train] == c])
            for c in range(len(lab.target_names))
        ]
        available = min(len(members) for members in by_class)
        # Checked before any training, and "all" trained once when it equals
        # a size asked for: the same run twice would narrow the interval.
        plan = {}
        for requested in sizes:
            per_class = available if requested is None else int(requested)
            if per_class > available:
                raise ValueError(
                    f"train_sizes asks for {per_class} training pictures per "
                    f"character, but with test_size={test_size} the smallest "
                    f"class has {available} in its training part. Use None for "
                    f"all of them. Received: train_sizes={train_sizes!r}"
                )
            if per_class not in plan or requested is None:
                plan[per_class] = requested
        for per_class, requested in plan.items():
            chosen = np.concatenate([members[:per_class] for members in by_class])
            for name in names:
                _log(verbose, f"seed {seed}, {per_class} per class: {name}")
                row, _ = lab.fit(name, chosen, test, seed=seed)
                row.update(train_size=per_class, requested_size=requested)
                runs.append(row)
    summary = []
    order = sorted(
        _group(runs, ("model", "train_size")).items(),
        key=lambda item: (names.index(item[0][0]), item[0][1]),
    )
    for (name, per_class), group in order:
        summary.append(
            {
                "model": name,
                "train_size": per_class,
                "all": any(r["requested_size"] is None for r in group),
                **_interval([r["test_accuracy"] for r in group]),
                "train_accuracy_mean": float(
                    np.mean([r["train_accuracy"] for r in group])
                ),
            }
        )
    settings = _common_settings(data, names, size, epochs, label, quick, random_state)
    settings.update(
        n_seeds=n_seeds,
        test_size=test_size,
        train_sizes=[s if s is None else int(s) for s in sizes],
        n_images=len(lab.target),
    )
    return _result("learning_curve", runs, summary, lab.target_names, settings, start)


def _is_positive_int(value):
    return (
        isinstance(value, (int, np.integer))
        and not isinstance(value, bool)
        and value >= 1
    )


def repeated_splits(
    data=None,
    *,
    n_splits=10,
    test_size=0.3,
    models=None,
    image_size=None,
    epochs=None,
    weights="auto",
    quick=False,
    cache_dir=None,
    random_state=0,
    verbose=0,
):
    """Rerun the report's 70/30 split with many seeds: how much one number moves.

    Each split is the report's protocol (stratified, the last 20% of the
    training part kept for validation, as ``validation_split=0.2``), with
    seeds ``random_state``, ``random_state + 1``... The report's single
    0.9643 was one draw of this distribution.

    Parameters
    ----------
    data : None, path-like or Bunch, default=None
        As in :func:`~animecls.comparison.compare_models`.
    n_splits : int, default=10
        Number of splits (seeds).
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    models, image_size, epochs, weights, quick, cache_dir, random_state, verbose
        As in :func:`learning_curve`.

    Returns
    -------
    result : Bunch
        ``kind="repeated_splits"``, ``runs`` (one per model and split),
        ``summary`` (per model: ``mean``, ``std``, ``low``, ``high`` (95%
        t-interval of the mean), ``min``, ``median``, ``max`` of the test
        accuracy and the mean gap), ``n_classes``, ``chance``, ``settings``.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> from animecls.experiments import repeated_splits
    >>> data = make_characters(8, image_size=(32, 32))
    >>> result = repeated_splits(data, n_splits=2, models=["pixels_svm"], quick=True)
    >>> result.summary[0]["n_runs"]
    2
    """
    start = time.perf_counter()
    n_splits = _check_count(n_splits, "n_splits")
    test_size = _check_test_size(test_size)
    names = _check_models(models)
    size, epochs = _size_and_epochs(data, image_size, epochs, quick)
    lab, label = _lab(
        data,
        models=names,
        size=size,
        epochs=epochs,
        weights=weights,
        random_state=random_state,
        cache_dir=cache_dir,
        verbose=verbose,
    )
    runs = []
    for k in range(n_splits):
        seed = int(random_state) + k
        fit_idx, val_idx, test_idx = _report_split(
            lab.target, lab.target_names, test_size, seed
        )
        for name in names:
            _log(verbose, f"split {k + 1}/{n_splits}: {name}")
            row, _ = lab.fit(name, fit_idx, test_idx, val_idx, seed=seed)
            runs.append(row)
    groups = _group(runs, ("model",))
    summary = []
    for name in names:
        accuracy = [r["test_accuracy"] for r in groups[(name,)]]
        summary.append(
            {
                "model": name,
                **_interval(accuracy),
                "min": float(np.min(accuracy)),
                "median": float(np.median(accuracy)),
                "max": float(np.max(accuracy)),
                "gap_mean": float(np.mean([r["gap"] for r in groups[(name,)]])),
            }
        )
    settings = _common_settings(data, names, size, epochs, label, quick, random_state)
    settings.update(n_splits=n_splits, test_size=test_size, n_images=len(lab.target))
    return _result("repeated_splits", runs, summary, lab.target_names, settings, start)


def measure_remedies(
    data=None,
    *,
    remedies=None,
    n_seeds=3,
    test_size=0.3,
    image_size=None,
    epochs=None,
    weights="auto",
    quick=False,
    cache_dir=None,
    random_state=0,
    verbose=0,
):
    """Train the report's CNN with one remedy at a time and measure each.

    Every remedy of :data:`REMEDIES` changes one thing in the report's
    recipe; each is trained on the same splits (the report's protocol, seeds
    ``random_state``...), so the differences are the remedies'. The
    generalisation gap is the accuracy on the training pictures minus that
    on the validation pictures, both measured after training in inference
    mode (the accuracy Keras logs during training has dropout and
    augmentation switched on, which would flatter exactly those remedies).

    Parameters
    ----------
    data : None, path-like or Bunch, default=None
        As in :func:`~animecls.comparison.compare_models`.
    remedies : list of str, default=None
        Names from :data:`REMEDIES`; all when None. ``"none"`` is the
        baseline of the CNN remedies, ``"transfer_frozen"`` that of
        ``"transfer_finetune"``; a baseline is added when missing.
    n_seeds : int, default=3
        Splits (and model seeds) per remedy.
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    image_size, epochs, weights, quick, cache_dir, random_state, verbose
        As in :func:`learning_curve`; ``epochs``, when given, also sets
        the fine-tuning phase (else 5 epochs, the ``vgg16_finetune`` recipe).

    Returns
    -------
    result : Bunch
        ``kind="remedies"``, ``runs`` (one per remedy and seed, with
        ``remedy``), ``summary`` (per remedy: test accuracy ``mean``,
        ``std``, ``low``, ``high``; the gap's ``gap_mean``, ``gap_std``,
        ``gap_low``, ``gap_high``; ``change``, the mean test accuracy minus
        the baseline's; ``epochs_mean``), ``n_classes``, ``chance``,
        ``settings``.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> from animecls.experiments import measure_remedies
    >>> data = make_characters(8, image_size=(32, 32))
    >>> result = measure_remedies(data, remedies=["global_pooling"], n_seeds=1,
    ...                           quick=True)  # doctest: +SKIP
    >>> [row["remedy"] for row in result.summary]  # doctest: +SKIP
    ['none', 'global_pooling']
    """
    start = time.perf_counter()
    n_seeds = _check_count(n_seeds, "n_seeds")
    test_size = _check_test_size(test_size)
    chosen = list(REMEDIES if remedies is None else remedies)
    unknown = [r for r in chosen if r not in REMEDIES]
    if unknown or not chosen:
        raise ValueError(
            f"remedies must be a non-empty list of names from {list(REMEDIES)}. "
            f"Received: remedies={remedies!r}"
        )
    for remedy in list(chosen):
        baseline = _BASELINES.get(remedy, "none")
        if baseline is not None and baseline not in chosen:
            chosen.insert(0, baseline)
    # Dictionary order: baselines first, then the remedies in REMEDIES' order.
    chosen = [r for r in REMEDIES if r in chosen]
    names = sorted(
        {
            "vgg16_transfer" if r.startswith("transfer") else "two_layer_cnn"
            for r in chosen
        },
        key=MODEL_NAMES.index,
    )
    size, epochs = _size_and_epochs(data, image_size, epochs, quick)
    lab, label = _lab(
        data,
        models=names,
        size=size,
        epochs=epochs,
        weights=weights,
        random_state=random_state,
        cache_dir=cache_dir,
        verbose=verbose,
    )
    runs = []
    for k in range(n_seeds):
        seed = int(random_state) + k
        fit_idx, val_idx, test_idx = _report_split(
            lab.target, lab.target_names, test_size, seed
        )
        for remedy in chosen:
            _log(verbose, f"seed {seed}: {remedy}")
            if remedy.startswith("transfer"):
                row, _ = lab.fit(
                    "vgg16_transfer",
                    fit_idx,
                    test_idx,
                    val_idx,
                    seed=seed,
                    finetune=remedy == "transfer_finetune",
                )
            else:
                row, _ = lab.fit(
                    "two_layer_cnn",
                    fit_idx,
                    test_idx,
                    val_idx,
                    seed=seed,
                    cnn=_CNN_REMEDIES[remedy],
                )
            row["remedy"] = remedy
            runs.append(row)
    groups = _group(runs, ("remedy",))
    means = {
        r: float(np.mean([x["test_accuracy"] for x in groups[(r,)]])) for r in chosen
    }
    summary = []
    for remedy in chosen:
        group = groups[(remedy,)]
        baseline = _BASELINES.get(remedy, "none")
        summary.append(
            {
                "remedy": remedy,
                "model": group[0]["model"],
                **_interval([r["test_accuracy"] for r in group]),
                **_prefixed(
                    "gap", _interval([r["gap"] for r in group], bounds=(-1.0, 1.0))
                ),
                "change": None
                if baseline is None or remedy == baseline
                else means[remedy] - means[baseline],
                "epochs_mean": float(np.mean([r["epochs_run"] for r in group])),
            }
        )
    settings = _common_settings(data, names, size, epochs, label, quick, random_state)
    settings.update(
        n_seeds=n_seeds,
        test_size=test_size,
        remedies={r: REMEDIES[r] for r in chosen},
        n_images=len(lab.target),
    )
    return _result("remedies", runs, summary, lab.target_names, settings, start)


def _replace_backgrounds(images, silhouettes, rng):
    """Repaint each picture's background (outside its silhouette) in one colour."""
    images = images.copy()
    colours = rng.integers(0, 256, size=(len(images), 3), dtype=np.uint8)
    for k in range(len(images)):
        images[k][~silhouettes[k]] = colours[k]
    return images


def shortcut_experiment(
    *,
    nuisance="background",
    remedies=None,
    n_seeds=3,
    n_per_class=None,
    test_size=0.3,
    models=("two_layer_cnn", "color_histogram_svm"),
    image_size=None,
    epochs=None,
    weights="auto",
    quick=False,
    cache_dir=None,
    random_state=0,
    verbose=0,
):
    """Measure shortcut learning: a nuisance that gives the answer away in training.

    The pictures come from
    :func:`~animecls.datasets.make_shortcut_characters`: in the training part
    each picture carries its own class's nuisance (a background colour, a
    watermark in a corner); in the test part the nuisance is drawn
    independently of the class. A model that learned the nuisance instead of
    the character is right on test pictures whose nuisance *agrees* with the
    class and wrong on those where it *disagrees*. Conditions:

    * ``control``: trained with the nuisance independent of the class (no
      shortcut to learn);
    * ``shortcut``: trained with every training picture's nuisance agreeing;
    * one condition per remedy of :data:`SHORTCUT_REMEDIES`, each applied to
      the shortcut training set.

    Parameters
    ----------
    nuisance : {"background", "watermark"}, default="background"
        The nuisance drawn on the pictures.
    remedies : list of str, default=None
        Names from :data:`SHORTCUT_REMEDIES`; None means all that apply to
        ``nuisance`` (``"background_replacement"`` needs backgrounds).
    n_seeds : int, default=3
        Data sets drawn (seeds ``random_state``...), one model per condition
        and seed.
    n_per_class : int, default=None
        Pictures per character; None as
        :func:`~animecls.datasets.make_shortcut_characters` (185 in all).
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    models : list of str, default=("two_layer_cnn", "color_histogram_svm")
        Which of :data:`~animecls.comparison.MODEL_NAMES` to train: the
        report's CNN, and an SVM on colour histograms, which sees colours
        only (a background colour included) and no shapes.
    image_size, epochs, weights, quick, cache_dir, random_state, verbose
        As in :func:`learning_curve`.

    Returns
    -------
    result : Bunch
        ``kind="shortcut"``, ``runs`` (one per condition, model and seed, with
        ``agree_accuracy`` and ``disagree_accuracy``), ``summary`` (per
        condition and model: test accuracy ``mean``, ``std``, ``low``,
        ``high``; the same with prefixes ``agree_`` and ``disagree_``; and
        ``drop``, agreeing minus disagreeing accuracy), ``n_classes``,
        ``chance``, ``settings``.
    """
    from ._characters import DEFAULT_CHARACTERS, make_shortcut_characters

    start = time.perf_counter()
    if nuisance not in ("background", "watermark"):
        raise ValueError(
            'nuisance must be "background" or "watermark". '
            f"Received: nuisance={nuisance!r}"
        )
    applicable = [
        r
        for r in SHORTCUT_REMEDIES
        if r != "background_replacement" or nuisance == "background"
    ]
    chosen = list(applicable if remedies is None else remedies)
    if any(r not in applicable for r in chosen):
        raise ValueError(
            f"remedies must be names from {applicable} for nuisance={nuisance!r}. "
            f"Received: remedies={remedies!r}"
        )
    n_seeds = _check_count(n_seeds, "n_seeds")
    test_size = _check_test_size(test_size)
    names = _check_models(models)
    size, epochs = _size_and_epochs(None, image_size, epochs, quick)
    vgg_weights, label = _weights(names, weights, verbose)
    conditions = ["control", "shortcut", *chosen]
    runs = []
    for k in range(n_seeds):
        seed = int(random_state) + k
        cached = {}
        for condition in conditions:
            correlation = {
                # Each class's nuisance equally likely: nothing to learn from it.
                "control": 1 / len(DEFAULT_CHARACTERS),
                "weaker_correlation": 0.9,
            }.get(condition, 1.0)
            if correlation not in cached:
                cached[correlation] = make_shortcut_characters(
                    n_per_class,
                    nuisance=nuisance,
                    train_correlation=correlation,
                    test_size=test_size,
                    image_size=size,
                    random_state=seed,
                    return_masks="background_replacement" in chosen,
                )
            data = cached[correlation]
            target_names = list(data["target_names"])
            images = np.asarray(data["images"])
            is_test = np.asarray(data["is_test"], dtype=bool)
            if condition == "background_replacement":
                train = ~is_test
                images = images.copy()
                images[train] = _replace_backgrounds(
                    images[train],
                    np.asarray(data["silhouettes"])[train],
                    np.random.default_rng(seed),
                )
            lab = _Lab(
                {**data, "images": images},
                epochs=epochs,
                vgg_weights=vgg_weights,
                weights_label=label,
                seed=random_state,
                cache=cache_dir,
            )
            train = np.random.default_rng(seed).permutation(np.flatnonzero(~is_test))
            n_fit = int(len(train) * (1 - _VALIDATION_FRACTION))
            fit_idx, val_idx = train[:n_fit], train[n_fit:]
            test_idx = np.flatnonzero(is_test)
            agrees = np.asarray(data["nuisance"])[test_idx] == lab.target[test_idx]
            for name in names:
                _log(verbose, f"seed {seed}, {condition}: {name}")
                cnn = {"augmentation": True} if condition == "augmentation" else None
                row, y_pred = lab.fit(
                    name, fit_idx, test_idx, val_idx, seed=seed, cnn=cnn
                )
                right = y_pred == lab.target[test_idx]
                row.update(
                    condition=condition,
                    train_correlation=correlation,
                    agree_accuracy=float(right[agrees].mean())
                    if agrees.any()
                    else None,
                    disagree_accuracy=float(right[~agrees].mean())
                    if (~agrees).any()
                    else None,
                    n_agree=int(agrees.sum()),
                    n_disagree=int((~agrees).sum()),
                )
                runs.append(row)
    summary = []
    groups = _group(runs, ("condition", "model"))
    for condition in conditions:
        for name in names:
            group = groups[(condition, name)]
            agree = _interval([r["agree_accuracy"] for r in group])
            disagree = _interval([r["disagree_accuracy"] for r in group])
            summary.append(
                {
                    "condition": condition,
                    "model": name,
                    **_interval([r["test_accuracy"] for r in group]),
                    **_prefixed("agree", agree),
                    **_prefixed("disagree", disagree),
                    "drop": None
                    if agree["mean"] is None or disagree["mean"] is None
                    else agree["mean"] - disagree["mean"],
                }
            )
    settings = _common_settings(
        f"make_shortcut_characters(nuisance={nuisance!r})",
        names,
        size,
        epochs,
        label,
        quick,
        random_state,
    )
    settings.update(
        nuisance=nuisance,
        n_seeds=n_seeds,
        n_per_class=n_per_class,
        test_size=test_size,
        conditions={
            "control": "trained with the nuisance independent of the class",
            "shortcut": "trained with every picture's nuisance agreeing",
            **{r: SHORTCUT_REMEDIES[r] for r in chosen},
        },
    )
    return _result("shortcut", runs, summary, target_names, settings, start)


def _cell(value, digits=3):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _mean_interval(row, prefix=""):
    mean, low, high = (row[f"{prefix}{k}"] for k in ("mean", "low", "high"))
    if mean is None:
        return "-"
    if low is None:
        return f"{mean:.3f}"
    return f"{mean:.3f} ({low:.2f} to {high:.2f})"


_KINDS = ("learning_curve", "repeated_splits", "remedies", "shortcut")


def _check_result(result):
    kind = result.get("kind") if isinstance(result, dict) else None
    if kind not in _KINDS:
        raise ValueError(
            f"result must come from an animecls.experiments function (kind one of "
            f"{list(_KINDS)}). Received: kind={kind!r}"
        )
    return kind


def summary_markdown(result):
    """Return an experiment's summary as a Markdown table with a caption.

    Parameters
    ----------
    result : Bunch
        What :func:`learning_curve`, :func:`repeated_splits`,
        :func:`measure_remedies` or :func:`shortcut_experiment` returned.

    Returns
    -------
    text : str
        One row per summary entry: mean over seeds with its 95% t-interval,
        the standard deviation, and the columns of that kind of experiment;
        then a line saying how many runs and which VGG16 weights.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> from animecls.experiments import repeated_splits, summary_markdown
    >>> data = make_characters(8, image_size=(32, 32))
    >>> result = repeated_splits(data, n_splits=2, models=["pixels_svm"], quick=True)
    >>> summary_markdown(result).splitlines()[0].split(" | ")[:3]
    ['| model', 'test accuracy, mean (95% CI)', 'std']
    """
    kind = _check_result(result)
    if kind == "learning_curve":
        header = [
            "model",
            "per character",
            "test accuracy, mean (95% CI)",
            "std",
            "train accuracy",
        ]
        rows = [
            [
                r["model"],
                str(r["train_size"]),
                _mean_interval(r),
                _cell(r["std"]),
                _cell(r["train_accuracy_mean"]),
            ]
            for r in result.summary
        ]
    elif kind == "repeated_splits":
        header = [
            "model",
            "test accuracy, mean (95% CI)",
            "std",
            "min",
            "median",
            "max",
            "gap (train - val)",
        ]
        rows = [
            [
                r["model"],
                _mean_interval(r),
                _cell(r["std"]),
                _cell(r["min"]),
                _cell(r["median"]),
                _cell(r["max"]),
                _cell(r["gap_mean"]),
            ]
            for r in result.summary
        ]
    elif kind == "remedies":
        header = [
            "remedy",
            "model",
            "test accuracy, mean (95% CI)",
            "std",
            "change vs baseline",
            "gap (train - val), mean (95% CI)",
            "epochs",
        ]
        rows = [
            [
                r["remedy"],
                r["model"],
                _mean_interval(r),
                _cell(r["std"]),
                "-" if r["change"] is None else f"{r['change']:+.3f}",
                _mean_interval(r, "gap_"),
                _cell(r["epochs_mean"], 1),
            ]
            for r in result.summary
        ]
    else:
        header = [
            "condition",
            "model",
            "test accuracy, mean (95% CI)",
            "nuisance agrees",
            "nuisance disagrees",
            "drop",
        ]
        rows = [
            [
                r["condition"],
                r["model"],
                _mean_interval(r),
                _mean_interval(r, "agree_"),
                _mean_interval(r, "disagree_"),
                _cell(r["drop"]),
            ]
            for r in result.summary
        ]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    settings = result.settings
    runs = len(result.runs)
    size = settings["image_size"]
    caption = (
        f"{runs} runs at {size[0]}x{size[1]}, chance {result.chance:.3f}; the "
        "interval is the 95% t-interval of the mean over seeds (each run's "
        "Wilson interval is in runs.csv)"
    )
    if settings["weights"] != "-":
        caption += f"; VGG16 weights: {settings['weights']}"
    return "\n".join(lines) + "\n\n" + caption + ".\n"


def save_results(result, out_dir):
    """Write an experiment's runs, summary, figure and settings to a new folder.

    Parameters
    ----------
    result : Bunch
        What an experiment function returned.
    out_dir : path-like
        Folder to create; it must not exist. The files are written into
        ``<out_dir>.incomplete`` and renamed to ``out_dir`` once all are
        there, so an interrupted run never looks finished.

    Returns
    -------
    path : pathlib.Path
        ``out_dir``, holding ``runs.csv`` (one row per fitted model),
        ``summary.md`` (:func:`summary_markdown`), ``figure.png`` and
        ``settings.json``.
    """
    import matplotlib.pyplot as plt

    from . import plotting

    kind = _check_result(result)
    final = Path(out_dir)
    if final.exists():
        raise FileExistsError(
            f"{os.fspath(final)!r} already exists; results never overwrite an "
            f"earlier run. Received: out_dir={os.fspath(out_dir)!r}"
        )
    partial = final.with_name(final.name + ".incomplete")
    _start_run_dir(partial)
    columns = []
    for run in result.runs:
        columns += [k for k in run if k not in columns]
    with open(partial / "runs.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for run in result.runs:
            writer.writerow({k: "" if run.get(k) is None else run[k] for k in columns})
    (partial / "summary.md").write_text(summary_markdown(result), encoding="utf-8")
    with open(partial / "settings.json", "w", encoding="utf-8") as f:
        json.dump(
            dict(result.settings, kind=kind, target_names=result.target_names),
            f,
            indent=1,
        )
    draw = {
        "learning_curve": plotting.plot_learning_curve,
        "repeated_splits": plotting.plot_repeated_splits,
        "remedies": plotting.plot_remedies,
        "shortcut": plotting.plot_shortcut,
    }[kind]
    ax = draw(result)
    ax.figure.savefig(partial / "figure.png", dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    (partial / _INCOMPLETE_MARKER).unlink()
    partial.rename(final)
    return final
