"""Experiments that show why small-data models overfit, and what helps.

Each function trains the models of [`animecls.registry`][] many times, through
the same fit-and-score path as
[`compare_models`][animecls.comparison.compare_models] (so a run's row has the
comparison's columns), and summarises the spread, so a lecture can show
measured effects rather than one run's number:

* [`learning_curve`][animecls.experiments.learning_curve]: test accuracy as the
  training pictures per character grow, where feature extraction + SVM beats
  training from scratch;
* [`repeated_splits`][animecls.experiments.repeated_splits]: the report's
  single 70/30 split rerun over many seeds, how much one split's number moves;
* [`measure_remedies`][animecls.experiments.measure_remedies]: the report's CNN
  with one remedy at a time, its effect on the generalisation gap and on test
  accuracy;
* [`shortcut_experiment`][animecls.experiments.shortcut_experiment]: a nuisance
  (background colour, watermark) that predicts the character in training but
  not in test, and the drop it causes.

Every function returns a Bunch with ``kind``, ``runs`` (one dict per fitted
model, with its Wilson interval), ``summary`` (mean, standard deviation and
95% t-interval of the mean over seeds), ``n_classes``, ``chance`` and
``settings``; [`summary_markdown`][animecls.experiments.summary_markdown]
prints it and [`save_results`][animecls.experiments.save_results] writes it
with its figure.

The pictures default to 96x96 (the report used 250x250) so that all four
analyses on the embedded default set run in tens of minutes, not hours, on
two CPU cores (each generated table of the docs says how long it took). At
96x96 the report's Flatten CNN still has 9.4 million parameters, about 90
thousand per picture of the report's 103 training pictures: far more than
the pictures can pin down, as the report's 63 million were, so the lessons
about overfitting carry over while each training takes seconds. VGG16
features of all pictures are computed once per data set (and kept on disk
with ``cache_dir``); every seed and size reuses them.
"""

import contextlib
import json
import math
import time

import numpy as np
from sklearn.utils import Bunch

from . import __version__
from ._engine import (
    QUICK,
    Workspace,
    check_drawn_weights,
    check_split_classes,
    describe_data,
    drawn_weights_label,
    fit_and_score,
    load_data,
    log,
    resolve_image_size,
    resolve_models,
    resolve_weights,
    split_parts,
)
from ._files import RunFolder, check_apart, write_rows
from ._validation import check_count, check_seed, check_test_size
from .evaluation import mean_interval, paired_difference
from .registry import MODELS, model_label

__all__ = [
    "DEFAULT_IMAGE_SIZE",
    "REMEDIES",
    "REMEDY_MAX_EPOCHS",
    "REMEDY_PATIENCE",
    "SHORTCUT_REMEDIES",
    "learning_curve",
    "measure_remedies",
    "repeated_splits",
    "results_folder",
    "save_results",
    "shortcut_experiment",
    "summary_markdown",
]

DEFAULT_IMAGE_SIZE = (96, 96)
"""Picture size of the experiments when neither ``image_size`` nor a Bunch
sets it: small enough for many trainings, large enough that the report's
Flatten CNN keeps millions of parameters (see the module notes).
"""

# The report's protocol: the last 20% of the training part for validation.
_VALIDATION_FRACTION = 0.2
_CONFIDENCE = 0.95

REMEDIES = {
    "none": "the report's CNN as it is: Flatten, Dense(256), dropout 0.5",
    "augmentation": "random flips, rotations, zooms, shifts and contrast "
    "(make_augmentation) in front of the CNN",
    "no_dropout": "dropout 0 instead of the report's 0.5: what its dropout buys",
    "fixed_epochs": "the report's fixed schedule (every epoch of its recipe, "
    "no early stopping, the last weights kept): what stopping on validation "
    "loss buys",
    "l2": "L2 penalty 1e-3 on the convolution and dense kernels",
    "global_pooling": "GlobalAveragePooling2D instead of Flatten",
    "small_head": "Dense(32) instead of Dense(256)",
    "transfer_frozen": "the report's Model 2: frozen VGG16, the head trained on "
    "its features",
    "transfer_finetune": "Model 2, then VGG16 from block5_conv1 unfrozen and "
    "fine-tuned (unfreeze_top, recipe vgg16_finetune)",
    "drawn_frozen": "the drawn backbone animecls pretrained and ships, frozen, "
    "the head trained on its features (drawn_transfer): transfer learning "
    "offline, against the CNN from scratch",
    "drawn_finetune": "drawn_transfer, then the backbone's last block unfrozen "
    "and fine-tuned (recipe drawn_finetune)",
}
"""The remedies [`measure_remedies`][animecls.experiments.measure_remedies] knows.

Each changes one thing; the values say what.
"""

REMEDY_PATIENCE = 20
"""Default patience of [`measure_remedies`][animecls.experiments.measure_remedies]:
epochs without a new lowest validation loss before a run stops.

Chosen for the slowest starter: the CNN with global pooling keeps its
validation loss near that of a uniform guess (ln 3 for three characters)
for its first epochs before it starts to learn, and a patience half as long
stopped it there, at chance. The report's CNN, whose validation loss turns
after a few epochs, still stops long before the most epochs; the remedies
tables give the epochs each remedy ran.
"""

REMEDY_MAX_EPOCHS = 100
"""Default most epochs of each training phase in
[`measure_remedies`][animecls.experiments.measure_remedies]; early stopping
ends nearly every run well before it (the tables give the epochs run).
"""

# Each remedy: the registry model it changes, and the knobs it turns.
_REMEDY_OPTIONS = {
    "none": ("two_layer_cnn", {}),
    "augmentation": ("two_layer_cnn", {"augmentation": True}),
    "no_dropout": ("two_layer_cnn", {"dropout": 0.0}),
    "fixed_epochs": ("two_layer_cnn", {}),
    "l2": ("two_layer_cnn", {"l2": 1e-3}),
    "global_pooling": ("two_layer_cnn", {"pooling": "avg"}),
    "small_head": ("two_layer_cnn", {"dense_units": 32}),
    "transfer_frozen": ("vgg16_transfer", {}),
    "transfer_finetune": ("vgg16_transfer", {"finetune": True}),
    "drawn_frozen": ("drawn_transfer", {}),
    "drawn_finetune": ("drawn_transfer", {"finetune": True}),
}
# The remedies that train on the recipe's schedule, not with early stopping.
_FIXED_SCHEDULE = {"fixed_epochs"}
# Which run each remedy is compared with.
# The VGG16 remedies are compared among themselves (random weights offline);
# the drawn backbone against the CNN from scratch: that is its lesson.
_BASELINES = {
    "transfer_finetune": "transfer_frozen",
    "transfer_frozen": None,
    "drawn_finetune": "drawn_frozen",
}

SHORTCUT_REMEDIES = {
    "augmentation": "random flips, rotations, zooms, shifts and contrast in front "
    "of the CNN (other models train as without it)",
    "weaker_correlation": "only 90% of the training pictures carry their own "
    "class's nuisance (train_correlation=0.9)",
    "background_replacement": 'nuisance="background" only: every training '
    "picture's background, found with the silhouettes, repainted in a random "
    "colour",
}
"""The remedies [`shortcut_experiment`][animecls.experiments.shortcut_experiment] knows.

Each is applied to the shortcut training set; the values say how.
"""


def _setup(data, models, image_size, epochs, weights, drawn_weights, quick, verbose):
    """Resolve the models, the size and both backbones' weights; load the pictures.

    Returns the entries, the size, the epochs, the keyword arguments of
    ``Workspace`` that name the weights, and the pictures.
    """
    entries = resolve_models(models)
    needs_vgg16 = any(spec.vgg16_features for spec, _ in entries)
    size = resolve_image_size(
        data, image_size, quick, default=DEFAULT_IMAGE_SIZE, needs_vgg16=needs_vgg16
    )
    if epochs is None and quick:
        epochs = QUICK["epochs"]
    if epochs is not None:
        epochs = check_count(epochs, "epochs")
    # Checked even when no model uses it, and before VGG16's weights (which
    # may try the network): a typo should not wait for the model that needs it.
    drawn_weights = check_drawn_weights(drawn_weights)
    weights, label = resolve_weights(weights, verbose) if needs_vgg16 else (None, "-")
    backbones = {
        "weights": weights,
        "weights_label": label,
        "drawn_weights": drawn_weights,
    }
    bunch = None if data is False else load_data(data, size, verbose)
    return entries, size, epochs, backbones, bunch


def _workspace(bunch, backbones, seed, epochs, cache_dir):
    return Workspace(bunch, **backbones, seed=seed, epochs=epochs, cache_dir=cache_dir)


def _checked_splits(
    space, test_size, seeds, verbose=0, validation_split=_VALIDATION_FRACTION
):
    """Every seed's report split, made and checked before any training.

    Each is the report's protocol (``split_parts`` of the engine):
    a split whose fit, validation or test part lacks a class raises a
    ``ValueError`` naming the seed, the class and its counts, before the
    first model trains rather than after the seeds before it. With
    ``validation_split=0`` (the learning curve) nothing validates and the
    fit part is the whole training part.
    """
    splits = []
    for seed in seeds:
        split = split_parts(
            space.target,
            list(space.class_names),
            test_size=test_size,
            validation_split=validation_split,
            random_state=seed,
            who="seed",
            verbose=verbose,
        )
        splits.append((split.train, split.validation, split.test))
    return splits


def _interval(values, *, bounds=(0.0, 1.0)):
    """Mean, standard deviation and 95% t-interval of the mean of ``values``."""
    return dict(mean_interval(values, confidence=_CONFIDENCE, bounds=bounds))


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
        class_names=list(lab_names),
        n_classes=len(lab_names),
        chance=1 / len(lab_names),
        settings=settings,
    )


def _common_settings(data, models, size, epochs, backbones, quick, random_state):
    return {
        "data": describe_data(data),
        "models": list(models),
        "image_size": list(size),
        "epochs": epochs if epochs is not None else "recipe",
        "weights": backbones["weights_label"],
        "drawn_weights": drawn_weights_label(backbones["drawn_weights"]),
        "quick": bool(quick),
        "random_state": int(random_state),
        "interval": "95% t-interval of the mean over seeds; each run's Wilson "
        "interval is in its row (accuracy_low, accuracy_high)",
    }


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
    drawn_weights="drawn",
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
        As in [`compare_models`][animecls.comparison.compare_models].
    train_sizes : sequence of int or None, default=(5, 10, 20, 40, None)
        Training pictures per character; None means the whole training part
        (the smallest class's count). Each must fit in every class's
        training part.
    n_seeds : int, default=3
        Splits and subsamples, seeds ``random_state``, ``random_state + 1``...
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    models : list of str, default=None
        Which of [`animecls.registry.MODELS`][] (or models of your own, as in
        [`compare_models`][animecls.comparison.compare_models]); all built-in
        ones when None.
    image_size : int or tuple of int, default=None
        None: [`DEFAULT_IMAGE_SIZE`][animecls.experiments.DEFAULT_IMAGE_SIZE]
        (96x96), 64x64 with ``quick=True``, or the size of the pictures in a
        Bunch.
    epochs : int, default=None
        Epochs of both networks; None keeps the report's recipes (15 and
        10), 5 with ``quick=True``.
    weights : "auto", "imagenet", None or path-like, default="auto"
        VGG16 weights, as in
        [`compare_models`][animecls.comparison.compare_models]; the weights
        used are recorded in every run and in ``settings``.
    drawn_weights : "drawn", None or path-like, default="drawn"
        Weights of the drawn backbone, as in
        [`compare_models`][animecls.comparison.compare_models]: None measures
        the same network without pretraining, on the same splits.
    quick : bool, default=False
        64x64 pictures and 5 epochs, the quick preset of
        [`compare_models`][animecls.comparison.compare_models]: minutes instead
        of tens of minutes.
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
    random_state = check_seed(random_state)
    n_seeds = check_count(n_seeds, "n_seeds")
    test_size = check_test_size(test_size)
    sizes = list(train_sizes)
    if not sizes or any(s is not None for s in sizes if not _is_positive_int(s)):
        raise ValueError(
            "train_sizes must be a non-empty list of positive integers or None. "
            f"Received: train_sizes={train_sizes!r}"
        )
    entries, size, epochs, backbones, bunch = _setup(
        data,
        models,
        image_size,
        epochs,
        weights,
        drawn_weights,
        quick,
        verbose,
    )
    names = [spec.name for spec, _ in entries]
    space = _workspace(bunch, backbones, random_state, epochs, cache_dir)
    # Every seed's split (checked as every experiment's is) and subsamples,
    # made before any training, so a split leaving a class out or a size too
    # large for one seed's split fails before the first model trains. The
    # training part is whole: the report's split without its validation cut
    # (the same pictures, in the same order).
    seeds = [int(random_state) + k for k in range(n_seeds)]
    splits = _checked_splits(space, test_size, seeds, verbose, validation_split=0)
    plans = []
    for seed, (train, _, test) in zip(seeds, splits, strict=True):
        rng = np.random.default_rng(seed)
        by_class = [
            rng.permutation(train[space.target[train] == c])
            for c in range(space.n_classes)
        ]
        available = min(len(members) for members in by_class)
        # "all" trained once when it equals a size asked for: the same run
        # twice would narrow the interval.
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
        plans.append((seed, test, by_class, plan))
    runs = []
    for seed, test, by_class, plan in plans:
        for per_class, requested in plan.items():
            chosen = np.concatenate([members[:per_class] for members in by_class])
            for entry in entries:
                log(verbose, f"seed {seed}, {per_class} per class: {entry[0].name}")
                row = fit_and_score(entry, space, chosen, test, seed=seed).row
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
    settings = _common_settings(
        data, names, size, epochs, backbones, quick, random_state
    )
    settings.update(
        n_seeds=n_seeds,
        test_size=test_size,
        train_sizes=[s if s is None else int(s) for s in sizes],
        n_images=len(space.target),
    )
    return _result("learning_curve", runs, summary, space.class_names, settings, start)


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
    drawn_weights="drawn",
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
        As in [`compare_models`][animecls.comparison.compare_models].
    n_splits : int, default=10
        Number of splits (seeds).
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    models, image_size, epochs, weights, drawn_weights, quick, cache_dir
        As in [`learning_curve`][animecls.experiments.learning_curve].
    random_state, verbose
        As in [`learning_curve`][animecls.experiments.learning_curve].

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
    random_state = check_seed(random_state)
    n_splits = check_count(n_splits, "n_splits")
    test_size = check_test_size(test_size)
    entries, size, epochs, backbones, bunch = _setup(
        data,
        models,
        image_size,
        epochs,
        weights,
        drawn_weights,
        quick,
        verbose,
    )
    names = [spec.name for spec, _ in entries]
    space = _workspace(bunch, backbones, random_state, epochs, cache_dir)
    seeds = [int(random_state) + k for k in range(n_splits)]
    splits = _checked_splits(space, test_size, seeds, verbose)
    runs = []
    for k, (seed, (fit_idx, val_idx, test_idx)) in enumerate(
        zip(seeds, splits, strict=True)
    ):
        for entry in entries:
            log(verbose, f"split {k + 1}/{n_splits}: {entry[0].name}")
            runs.append(
                fit_and_score(entry, space, fit_idx, test_idx, val_idx, seed=seed).row
            )
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
    settings = _common_settings(
        data, names, size, epochs, backbones, quick, random_state
    )
    settings.update(n_splits=n_splits, test_size=test_size, n_images=len(space.target))
    return _result("repeated_splits", runs, summary, space.class_names, settings, start)


def measure_remedies(
    data=None,
    *,
    remedies=None,
    n_seeds=5,
    test_size=0.3,
    patience=REMEDY_PATIENCE,
    image_size=None,
    epochs=None,
    weights="auto",
    drawn_weights="drawn",
    quick=False,
    cache_dir=None,
    random_state=0,
    verbose=0,
):
    """Train the report's CNN with one remedy at a time and measure each.

    Every remedy of [`REMEDIES`][animecls.experiments.REMEDIES] changes one
    thing in the report's recipe. Each is trained on the same repeated splits
    (the report's protocol, seeds ``random_state``...), and each split's
    test part is new pictures for that split: a remedy is judged by its
    accuracy over many held-out parts, never by one test set reused for
    choosing. Its effect is the paired difference against its baseline on
    the same splits ([`paired_difference`][animecls.evaluation.paired_difference]):
    the per-split differences with their 95% t-interval, and a reading,
    ``"helped"`` or ``"hurt"`` when the interval leaves out 0, else ``"no
    clear difference"``.

    Every run but ``"fixed_epochs"`` gets the training it needs: up to
    ``epochs`` epochs, stopped once the validation loss has not reached a new
    low for ``patience`` epochs, with the best epoch's weights kept. A remedy
    that learns more slowly (augmentation, global pooling) so trains longer
    instead of being cut off at the report's 15 epochs. The generalisation
    gap is the accuracy on the training pictures minus that on the
    validation pictures, both measured after training in inference mode (the
    accuracy Keras logs during training has dropout and augmentation
    switched on, which would flatter exactly those remedies).

    Parameters
    ----------
    data : None, path-like or Bunch, default=None
        As in [`compare_models`][animecls.comparison.compare_models].
    remedies : list of str, default=None
        Names from [`REMEDIES`][animecls.experiments.REMEDIES]; all when None.
        ``"none"`` is the baseline of the CNN remedies, ``"transfer_frozen"``
        that of ``"transfer_finetune"``; a baseline is added when missing.
    n_seeds : int, default=5
        Splits (and model seeds) per remedy. Five is about the fewest that
        give a paired interval narrow enough to read.
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    patience : int, default=REMEDY_PATIENCE
        Epochs without a new lowest validation loss before a run stops
        ([`fit_model`][animecls.training.fit_model]'s ``early_stopping``).
    epochs : int, default=None
        The most epochs of each training phase; None means
        [`REMEDY_MAX_EPOCHS`][animecls.experiments.REMEDY_MAX_EPOCHS] (5 with
        ``quick``). ``"fixed_epochs"`` trains exactly ``epochs`` epochs, or
        its recipe's when None.
    image_size, weights, drawn_weights, quick, cache_dir
        As in [`learning_curve`][animecls.experiments.learning_curve].
    random_state, verbose
        As in [`learning_curve`][animecls.experiments.learning_curve].

    Returns
    -------
    result : Bunch
        ``kind="remedies"``, ``runs`` (one per remedy and seed, with
        ``remedy``), ``summary`` (per remedy: test accuracy ``mean``,
        ``std``, ``low``, ``high``; the gap's ``gap_mean``, ``gap_std``,
        ``gap_low``, ``gap_high``; ``baseline``; the paired difference to the
        baseline's test accuracy ``change``, ``change_low``, ``change_high``
        and its ``reading``, None for a baseline; ``epochs_mean``),
        ``n_classes``, ``chance``, ``settings``.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> from animecls.experiments import measure_remedies
    >>> data = make_characters(8, image_size=(32, 32))
    >>> result = measure_remedies(data, remedies=["global_pooling"], n_seeds=2,
    ...                           quick=True)  # doctest: +SKIP
    >>> [row["remedy"] for row in result.summary]  # doctest: +SKIP
    ['none', 'global_pooling']
    >>> result.summary[1]["reading"]  # doctest: +SKIP
    'no clear difference'
    """
    start = time.perf_counter()
    random_state = check_seed(random_state)
    n_seeds = check_count(n_seeds, "n_seeds")
    test_size = check_test_size(test_size)
    patience = check_count(patience, "patience")
    chosen = list(REMEDIES if remedies is None else remedies)
    unknown = [r for r in chosen if r not in REMEDIES]
    if unknown or not chosen:
        raise ValueError(
            f"remedies must be a non-empty list of names from {list(REMEDIES)}. "
            f"Received: remedies={remedies!r}"
        )
    # Baselines have baselines (drawn_finetune -> drawn_frozen -> none): add
    # until every remedy's is there.
    pending = list(chosen)
    while pending:
        baseline = _BASELINES.get(pending.pop(), "none")
        if baseline is not None and baseline not in chosen:
            chosen.append(baseline)
            pending.append(baseline)
    # Dictionary order: baselines first, then the remedies in REMEDIES' order.
    chosen = [r for r in REMEDIES if r in chosen]
    names = [n for n in MODELS if any(_REMEDY_OPTIONS[r][0] == n for r in chosen)]
    entries, size, schedule, backbones, bunch = _setup(
        data,
        names,
        image_size,
        epochs,
        weights,
        drawn_weights,
        quick,
        verbose,
    )
    most = REMEDY_MAX_EPOCHS if schedule is None else schedule
    entry_of = {spec.name: (spec, item) for spec, item in entries}
    # The workspace's epochs are the fixed schedule's: None keeps each recipe's.
    space = _workspace(bunch, backbones, random_state, schedule, cache_dir)
    seeds = [int(random_state) + k for k in range(n_seeds)]
    splits = _checked_splits(space, test_size, seeds, verbose)
    runs = []
    for seed, (fit_idx, val_idx, test_idx) in zip(seeds, splits, strict=True):
        for remedy in chosen:
            log(verbose, f"seed {seed}: {remedy}")
            name, options = _REMEDY_OPTIONS[remedy]
            fixed = remedy in _FIXED_SCHEDULE
            row = fit_and_score(
                entry_of[name],
                space,
                fit_idx,
                test_idx,
                val_idx,
                seed=seed,
                options=options if fixed else {**options, "early_stopping": patience},
                epochs=None if fixed else most,
            ).row
            row["remedy"] = remedy
            runs.append(row)
    groups = _group(runs, ("remedy",))
    accuracies = {r: [x["test_accuracy"] for x in groups[(r,)]] for r in chosen}
    summary = []
    for remedy in chosen:
        group = groups[(remedy,)]
        baseline = _BASELINES.get(remedy, "none")
        if baseline is None or remedy == baseline:
            baseline = None
            change = {"change": None, "change_low": None, "change_high": None}
        else:
            difference = paired_difference(accuracies[remedy], accuracies[baseline])
            change = {
                "change": difference.mean,
                "change_low": difference.low,
                "change_high": difference.high,
            }
        summary.append(
            {
                "remedy": remedy,
                "model": group[0]["model"],
                **_interval(accuracies[remedy]),
                **_prefixed(
                    "gap", _interval([r["gap"] for r in group], bounds=(-1.0, 1.0))
                ),
                "baseline": baseline,
                **change,
                "reading": None if baseline is None else _reading(change),
                "epochs_mean": float(np.mean([r["epochs_run"] for r in group])),
            }
        )
    settings = _common_settings(
        data, names, size, schedule, backbones, quick, random_state
    )
    settings.update(
        n_seeds=n_seeds,
        test_size=test_size,
        patience=patience,
        most_epochs=most,
        remedies={r: REMEDIES[r] for r in chosen},
        n_images=len(space.target),
    )
    return _result("remedies", runs, summary, space.class_names, settings, start)


def _reading(change):
    """Say what a paired interval shows: helped, hurt, or no clear difference."""
    if change["change_low"] is None:
        return "one seed: no interval"
    if change["change_low"] > 0:
        return "helped"
    if change["change_high"] < 0:
        return "hurt"
    return "no clear difference"


def _shortcut_labels(n_per_class, test_size, seed):
    """``(target, is_test, class_names)`` of ``make_shortcut_characters``, undrawn.

    The drawing's first steps, without its pictures (microseconds, not
    seconds per seed): the classes sorted by name, their counts, one stream
    seed per class, then each class's test pictures. The nuisance is drawn
    after them and the pictures from the streams, so neither changes these.
    ``shortcut_experiment`` checks the drawn set's split again, so a drawing
    that came to differ would be checked all the same, only later.
    """
    from ._characters import (
        DEFAULT_CHARACTERS,
        _character_streams,
        _check_counts,
        _test_counts,
    )

    given = tuple(DEFAULT_CHARACTERS)
    rng = np.random.default_rng(seed)
    designs, counts, _ = _character_streams(
        given, _check_counts(n_per_class, len(given)), rng
    )
    target = np.repeat(np.arange(len(designs)), counts)
    is_test = np.zeros(len(target), dtype=bool)
    for label, n_test in enumerate(_test_counts(counts, test_size)):
        members = np.flatnonzero(target == label)
        is_test[rng.choice(members, size=n_test, replace=False)] = True
    return target, is_test, [d.name for d in designs]


def _check_shortcut_split(target, class_names, is_test, seed, n_per_class, verbose=0):
    """Return one seed's shortcut split, checked: ``(fit, validation, test)``.

    The drawing fixed the test part (its nuisance is drawn apart from the
    class); the training part is shuffled and its last 20% validates, as
    Keras' validation_split does. Checked as every split is
    (``check_split_classes``), a class missing from validation said in the
    log when ``verbose``.
    """
    train = np.random.default_rng(seed).permutation(np.flatnonzero(~is_test))
    n_fit = int(len(train) * (1 - _VALIDATION_FRACTION))
    fit_idx, val_idx = train[:n_fit], train[n_fit:]
    test_idx = np.flatnonzero(is_test)
    check_split_classes(
        target,
        class_names,
        {"fit": fit_idx, "validation": val_idx, "test": test_idx},
        how=f"the validation part is the last {_VALIDATION_FRACTION:.0%} "
        "of the shuffled training part, as Keras' validation_split cuts it",
        received=f"seed={seed}, n_per_class={n_per_class!r}",
        verbose=verbose,
        note=f"with seed {seed} (the last {_VALIDATION_FRACTION:.0%} of the "
        "shuffled training part validates)",
    )
    return fit_idx, val_idx, test_idx


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
    drawn_weights="drawn",
    quick=False,
    cache_dir=None,
    random_state=0,
    verbose=0,
):
    """Measure shortcut learning: a nuisance that gives the answer away in training.

    The pictures come from
    [`make_shortcut_characters`][animecls.datasets.make_shortcut_characters]:
    in the training part each picture carries its own class's nuisance (a
    background colour, a watermark in a corner); in the test part the nuisance
    is drawn independently of the class. A model that learned the nuisance
    instead of the character is right on test pictures whose nuisance *agrees*
    with the class and wrong on those where it *disagrees*. Conditions:

    * ``control``: trained with the nuisance independent of the class (no
      shortcut to learn);
    * ``shortcut``: trained with every training picture's nuisance agreeing;
    * one condition per remedy of
      [`SHORTCUT_REMEDIES`][animecls.experiments.SHORTCUT_REMEDIES], each
      applied to the shortcut training set.

    Parameters
    ----------
    nuisance : {"background", "watermark"}, default="background"
        The nuisance drawn on the pictures.
    remedies : list of str, default=None
        Names from
        [`SHORTCUT_REMEDIES`][animecls.experiments.SHORTCUT_REMEDIES]; None
        means all that apply to ``nuisance`` (``"background_replacement"``
        needs backgrounds).
    n_seeds : int, default=3
        Data sets drawn (seeds ``random_state``...), one model per condition
        and seed.
    n_per_class : int, default=None
        Pictures per character; None as
        [`make_shortcut_characters`][animecls.datasets.make_shortcut_characters]
        (185 in all).
    test_size : float, default=0.3
        Fraction of the pictures kept for testing.
    models : list of str, default=("two_layer_cnn", "color_histogram_svm")
        Which of [`animecls.registry.MODELS`][] to train: the
        report's CNN, and an SVM on colour histograms, which sees colours
        only (a background colour included) and no shapes.
    image_size, epochs, weights, drawn_weights, quick, cache_dir
        As in [`learning_curve`][animecls.experiments.learning_curve].
    random_state, verbose
        As in [`learning_curve`][animecls.experiments.learning_curve].

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
    random_state = check_seed(random_state)
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
    n_seeds = check_count(n_seeds, "n_seeds")
    test_size = check_test_size(test_size)
    entries, size, epochs, backbones, _ = _setup(
        False,
        models,
        image_size,
        epochs,
        weights,
        drawn_weights,
        quick,
        verbose,
    )
    names = [spec.name for spec, _ in entries]
    conditions = ["control", "shortcut", *chosen]
    seeds = [int(random_state) + k for k in range(n_seeds)]
    # Every seed's split, checked before the first model trains: which
    # picture is whose and which are tested do not depend on the nuisance,
    # so they are worked out without drawing a picture.
    for seed in seeds:
        target, is_test, class_names = _shortcut_labels(n_per_class, test_size, seed)
        _check_shortcut_split(
            target, class_names, is_test, seed, n_per_class, verbose=verbose
        )
    runs = []
    for seed in seeds:
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
            class_names = list(data["class_names"])
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
            space = _workspace(
                {**data, "images": images},
                backbones,
                random_state,
                epochs,
                cache_dir,
            )
            # The split checked up front, now from the drawing itself (the
            # same, unless the drawing changed: then checked here).
            fit_idx, val_idx, test_idx = _check_shortcut_split(
                space.target, class_names, is_test, seed, n_per_class
            )
            agrees = np.asarray(data["nuisance"])[test_idx] == space.target[test_idx]
            for entry in entries:
                spec = entry[0]
                log(verbose, f"seed {seed}, {condition}: {spec.name}")
                # Augmentation is a knob of the networks that have it; the
                # other models train as without it.
                augment = condition == "augmentation" and "augmentation" in spec.knobs
                outcome = fit_and_score(
                    entry,
                    space,
                    fit_idx,
                    test_idx,
                    val_idx,
                    seed=seed,
                    options={"augmentation": True} if augment else None,
                )
                row = outcome.row
                right = outcome.evaluation.y_pred == space.target[test_idx]
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
        backbones,
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
    return _result("shortcut", runs, summary, class_names, settings, start)


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


def _change_cell(row):
    """Write a paired difference, signed, with its interval and its baseline."""
    if row["change"] is None:
        return "-"
    text = f"{row['change']:+.3f}"
    if row["change_low"] is not None:
        text += f" ({row['change_low']:+.2f} to {row['change_high']:+.2f})"
    return f"{text} vs {row['baseline']}"


_KINDS = ("learning_curve", "repeated_splits", "remedies", "shortcut")


def _check_result(result):
    kind = result.get("kind") if isinstance(result, dict) else None
    if kind not in _KINDS:
        raise ValueError(
            f"result must come from an animecls.experiments function (kind one of "
            f"{list(_KINDS)}). Received: kind={kind!r}"
        )
    return kind


def _model_cell(row, result):
    """Return the model's name, with "(random weights)" where its runs had them."""
    weights = next(
        (run["weights"] for run in result.runs if run["model"] == row["model"]), "-"
    )
    return model_label({"model": row["model"], "weights": weights})


def summary_markdown(result):
    """Return an experiment's summary as a Markdown table with a caption.

    Parameters
    ----------
    result : Bunch
        What [`learning_curve`][animecls.experiments.learning_curve],
        [`repeated_splits`][animecls.experiments.repeated_splits],
        [`measure_remedies`][animecls.experiments.measure_remedies] or
        [`shortcut_experiment`][animecls.experiments.shortcut_experiment]
        returned.

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
                _model_cell(r, result),
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
                _model_cell(r, result),
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
            "change vs baseline, paired (95% CI)",
            "reading",
            "gap (train - val), mean (95% CI)",
            "epochs run",
        ]
        rows = [
            [
                r["remedy"],
                _model_cell(r, result),
                _mean_interval(r),
                _change_cell(r),
                "baseline" if r["reading"] is None else r["reading"],
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
                _model_cell(r, result),
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
    if kind == "remedies":
        caption += (
            f"; every run but fixed_epochs trains up to {settings['most_epochs']} "
            f"epochs and stops after {settings['patience']} without a new lowest "
            "validation loss, keeping the best epoch's weights; a change is the "
            "mean of the per-split differences to the baseline on the same "
            "splits, and its reading says whether the interval leaves out 0"
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
        ``<out_dir>.incomplete`` (claimed first: another call writing the same
        ``out_dir`` fails before writing anything, and touches nothing of this
        one's) and renamed to ``out_dir`` once all are there, so an
        interrupted save never looks finished; a rerun replaces what it left.
        ``animecls`` commands claim the folder before training, so a run whose
        ``--out`` cannot be written fails before it starts.

    Returns
    -------
    path : pathlib.Path
        ``out_dir``, holding ``runs.csv`` (one row per fitted model),
        ``summary.md``
        ([`summary_markdown`][animecls.experiments.summary_markdown]),
        ``figure.png`` and ``settings.json``.
    """
    kind = _check_result(result)
    folder = RunFolder(out_dir)
    folder.claim()
    return _save_results(result, folder, kind)


@contextlib.contextmanager
def results_folder(out_dir, *, cache_dir=None, name="out_dir"):
    """Claim a new results folder before an experiment runs; yield its saver.

    An experiment takes minutes to hours; a folder it cannot write, or that
    another run is writing, should fail before it starts, not after.
    Inside the ``with`` block the folder is claimed (``<out_dir>.incomplete``,
    as [`save_results`][animecls.experiments.save_results] does), and the
    yielded function saves a result into it and returns ``out_dir``. On an
    error or Ctrl-C, or when the block ends without saving, the claim is let
    go (a started save is kept, marked incomplete, for a rerun to replace).

    Parameters
    ----------
    out_dir : path-like
        Folder to create; it must not exist.
    cache_dir : path-like, default=None
        The run's feature cache, refused when it overlaps ``out_dir``.
    name : str, default="out_dir"
        How error messages name the folder (the command line passes
        ``"--out"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from animecls.datasets import make_characters
    >>> from animecls.experiments import repeated_splits, results_folder
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "splits"
    >>> with results_folder(out) as save:
    ...     result = repeated_splits(make_characters(8, image_size=(32, 32)),
    ...                              n_splits=2, models=["pixels_svm"], quick=True)
    ...     path = save(result)
    >>> sorted(p.name for p in path.iterdir())
    ['figure.png', 'runs.csv', 'settings.json', 'summary.md']
    """
    check_apart(
        out_dir,
        cache_dir,
        "cache_dir" if name.isidentifier() else "--cache-dir",
        option=name,
    )
    folder = RunFolder(out_dir, option=name)
    folder.claim()
    try:
        yield lambda result: _save_results(result, folder)
    finally:
        # After a save the folder is finished and this lets nothing go.
        folder.abandon()


def _save_results(result, folder, kind=None):
    """Write ``result`` into a claimed ``RunFolder`` and finish it.

    The command line claims the folder before training and saves through
    this; on an error or Ctrl-C the folder is abandoned (kept, marked
    incomplete, for a rerun to replace).
    """
    import matplotlib.pyplot as plt

    from . import plotting

    try:
        kind = kind or _check_result(result)
        partial = folder.start()
        columns = []
        for run in result.runs:
            columns += [k for k in run if k not in columns]
        write_rows(partial / "runs.csv", result.runs, columns)
        (partial / "summary.md").write_text(summary_markdown(result), encoding="utf-8")
        with open(partial / "settings.json", "w", encoding="utf-8") as f:
            json.dump(
                dict(result.settings, kind=kind, class_names=result.class_names),
                f,
                indent=1,
            )
        draw = {
            "learning_curve": plotting.plot_learning_curve,
            "repeated_splits": plotting.plot_repeated_splits,
            "remedies": plotting.plot_remedies,
            "shortcut": plotting.plot_shortcut,
        }[kind]
        figure = draw(result)
        figure.savefig(partial / "figure.png", dpi=100, bbox_inches="tight")
        plt.close(figure)
        return folder.finish()
    except BaseException:
        folder.abandon()
        raise
