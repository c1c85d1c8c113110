"""Plots for tiny-data image classification, drawn with matplotlib.

Every ``plot_*`` function of animecls, here and in
[`animecls.leakage.plot_duplicate_pairs`][] and
[`animecls.interpretation.plot_grad_cam`][], follows one rule:

- A plot of one panel takes ``ax=None``, a plot of several panels
  ``axes=None``. It draws into what you pass, or into a new figure when
  None.
- It returns the ``matplotlib.figure.Figure`` it drew on: the new
  figure, or the one your Axes belong to (the whole figure, also when they
  sit in a subfigure). Save it with ``figure.savefig(...)`` and close it with
  ``plt.close(figure)``; the panels of a new figure are ``figure.axes``, row
  by row.
- A plot with nothing to show still returns a Figure, which says so: the
  title "No confident mistakes" when every prediction is right, the words
  "no duplicates" when no pair was found. A script that saves every figure
  never meets None. Input that cannot be drawn (no pictures, an empty
  table, Axes of two different figures) raises ValueError.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> import numpy as np
>>> from animecls.plotting import plot_image_grid
>>> pictures = np.zeros((3, 8, 8, 3))
>>> figure = plot_image_grid(pictures, ncols=3)
>>> type(figure).__name__, len(figure.axes)
('Figure', 3)

Several plots in one figure: each returns the figure it shares.

>>> figure, axes = plt.subplots(2, 3)
>>> plot_image_grid(pictures, axes=axes[0]) is figure
True
>>> plt.close("all")
"""

import os

import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay

from ._figures import figure_of
from ._history import history_dict as _history_dict
from ._store import PictureFile
from .registry import model_label

__all__ = [
    "plot_comparison",
    "plot_confident_mistakes",
    "plot_confusion_matrix",
    "plot_embedding_projection",
    "plot_history",
    "plot_image_grid",
    "plot_learning_curve",
    "plot_predictions",
    "plot_remedies",
    "plot_repeated_splits",
    "plot_samples",
    "plot_shortcut",
]

_RIGHT = "#1b7837"
_WRONG = "#c51b7d"


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _chance_line(ax, chance, *, vertical=False):
    """Draw the accuracy of guessing, the same way on every plot."""
    line = ax.axvline if vertical else ax.axhline
    line(chance, color="0.3", ls=":", lw=1, label="chance")


def _resolve_chance(chance, auto):
    """Return the chance level to draw: ``auto`` for "auto", else ``chance``."""
    if isinstance(chance, str):
        if chance != "auto":
            raise ValueError(
                f'chance must be "auto", a number or None. Received: chance={chance!r}'
            )
        return auto
    return chance


def _chance_of(history):
    """Return 1 / n_classes for a keras History whose model has n outputs."""
    try:
        n_outputs = int(history.model.output_shape[-1])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return 1 / n_outputs if n_outputs >= 2 else None


def plot_history(history, *, metrics=("accuracy", "loss"), chance="auto", axes=None):
    """Plot training against validation curves, the report's "Train vs Val".

    Parameters
    ----------
    history : keras.callbacks.History or dict
        What ``model.fit`` returns, or its ``.history`` dict.
    metrics : sequence of str, default=("accuracy", "loss")
        One panel per metric; ``val_<metric>`` is drawn beside it when present.
    chance : "auto", float or None, default="auto"
        Accuracy of guessing (``1 / n_classes``), drawn as a dotted line on
        accuracy panels: an accuracy means little until you see how far it
        is above chance. ``"auto"`` takes the number of classes from the
        model of a keras History (a plain dict does not know it: pass the
        value); None draws no line.
    axes : array-like of matplotlib Axes, default=None
        One Axes per metric; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on: one panel per metric, with the epoch of lowest
        validation loss marked on each.
    """
    chance = _resolve_chance(chance, _chance_of(history))
    values = _history_dict(history)
    missing = [m for m in metrics if m not in values]
    if missing:
        raise ValueError(
            f"history has no {', '.join(missing)}. Received keys: {sorted(values)}"
        )
    if axes is None:
        _, axes = _pyplot().subplots(
            1, len(metrics), figsize=(4.5 * len(metrics), 3.5), layout="constrained"
        )
    axes = np.atleast_1d(axes)
    best = int(np.argmin(values["val_loss"])) + 1 if "val_loss" in values else None
    for ax, metric in zip(axes, metrics, strict=True):
        epochs = np.arange(1, len(values[metric]) + 1)
        ax.plot(epochs, values[metric], marker="o", ms=3, label="train")
        if f"val_{metric}" in values:
            ax.plot(
                epochs, values[f"val_{metric}"], marker="o", ms=3, label="validation"
            )
        if best is not None:
            ax.axvline(best, color="0.5", ls="--", lw=1, label=f"best epoch ({best})")
        if chance is not None and "acc" in metric:
            _chance_line(ax, chance)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"Train vs validation {metric}")
        ax.legend(fontsize="small")
    return figure_of(axes)


def plot_confusion_matrix(
    y_true, y_pred, *, class_names=None, normalize=None, ax=None, cmap="Blues"
):
    """Plot a confusion matrix with scikit-learn's ``ConfusionMatrixDisplay``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted class numbers.
    class_names : list of str, default=None
        Class names for the axes.
    normalize : {"true", "pred", "all"}, default=None
        Passed to ``sklearn.metrics.confusion_matrix``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    cmap : str, default="Blues"
        Colour map.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on. The counts themselves are
        ``sklearn.metrics.confusion_matrix`` of the same arguments, or
        the ``confusion_matrix`` of [`evaluate`][animecls.evaluation.evaluate].
    """
    labels = None if class_names is None else np.arange(len(class_names))
    if ax is None:
        # Room for long character names under and beside the matrix.
        _, ax = _pyplot().subplots(figsize=(5.5, 5), layout="constrained")
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=labels,
        display_labels=class_names,
        normalize=normalize,
        cmap=cmap,
        ax=ax,
        colorbar=False,
        xticks_rotation=30,
    )
    ax.set_title("Confusion matrix")
    return figure_of(ax)


def plot_image_grid(images, *, titles=None, title_colors=None, ncols=6, axes=None):
    """Show pictures in a grid, each with an optional coloured title.

    Parameters
    ----------
    images : array-like of shape (n, height, width, 3)
        Pictures, ``uint8`` or floats in [0, 1].
    titles : list of str, default=None
        One title per picture.
    title_colors : list of str, default=None
        One matplotlib colour per title.
    ncols : int, default=6
        Pictures per row when a new figure is made.
    axes : array-like of matplotlib Axes, default=None
        At least ``n`` Axes to draw into; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on; cells beyond ``n`` are switched off.
    """
    return figure_of(
        _draw_image_grid(
            images, titles=titles, title_colors=title_colors, ncols=ncols, axes=axes
        )
    )


def _draw_image_grid(images, *, titles=None, title_colors=None, ncols=6, axes=None):
    """Draw ``plot_image_grid`` and return its flattened Axes.

    For the plots that draw more over the pictures (Grad-CAM heat, pair
    titles): they need the cells, not the figure.
    """
    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(
            "images must be a non-empty (n, height, width, channels) array. "
            f"Received shape: {images.shape}"
        )
    n = len(images)
    if axes is None:
        ncols = max(1, min(int(ncols), n))
        nrows = -(-n // ncols)
        _, axes = _pyplot().subplots(
            nrows,
            ncols,
            figsize=(1.9 * ncols, 2.1 * nrows),
            squeeze=False,
            layout="constrained",
        )
    axes = np.asarray(axes).ravel()
    if len(axes) < n:
        raise ValueError(f"axes has {len(axes)} cells for {n} images. Received: {n}")
    for k, ax in enumerate(axes):
        ax.set_axis_off()
        if k >= n:
            continue
        ax.imshow(images[k])
        if titles is not None:
            style = {} if title_colors is None else {"color": title_colors[k]}
            ax.set_title(titles[k], fontsize="small", **style)
    return axes


def plot_samples(
    images, target, class_names, *, n_per_class=6, random_state=0, axes=None
):
    """Show a few pictures of each class, one row per class.

    Parameters
    ----------
    images : array-like of shape (n, height, width, 3)
        Pictures.
    target : array-like of shape (n,)
        Class numbers.
    class_names : list of str
        Class names; each row is titled with its name.
    n_per_class : int, default=6
        Pictures per row (fewer when a class has fewer).
    random_state : int, default=0
        Which pictures are drawn.
    axes : array-like of matplotlib Axes, default=None
        ``n_classes * n_per_class`` Axes, read row by row, one row per
        class; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on: one row of pictures per class.
    """
    # Pictures read from disk stay there: only the chosen ones are read.
    images = images if isinstance(images, PictureFile) else np.asarray(images)
    target = np.asarray(target)
    rng = np.random.default_rng(random_state)
    n_classes = len(class_names)
    if axes is None:
        _, axes = _pyplot().subplots(
            n_classes,
            n_per_class,
            figsize=(1.7 * n_per_class, 1.9 * n_classes),
            squeeze=False,
            layout="constrained",
        )
    axes = np.asarray(axes, dtype=object)
    if axes.size != n_classes * n_per_class:
        raise ValueError(
            f"axes must hold {n_classes} rows of {n_per_class} Axes "
            f"(n_classes * n_per_class). Received: {axes.size} Axes"
        )
    axes = axes.reshape(n_classes, n_per_class)
    for row, name in enumerate(class_names):
        members = np.flatnonzero(target == row)
        chosen = rng.choice(members, min(n_per_class, len(members)), replace=False)
        _draw_image_grid(images[np.sort(chosen)], axes=axes[row])
        axes[row, 0].set_title(name, loc="left", fontsize="medium")
    return figure_of(axes)


def plot_predictions(images, y_pred, class_names, *, y_true=None, ncols=6, axes=None):
    """Show pictures titled with the predicted name, as the report did.

    Each picture is titled ``Name: <predicted character>``. When ``y_true``
    is given, right answers are green and wrong ones magenta, with the true
    name added.

    Parameters
    ----------
    images : array-like of shape (n, height, width, 3)
        Pictures.
    y_pred : array-like of shape (n,)
        Predicted class numbers.
    class_names : list of str
        Class names.
    y_true : array-like of shape (n,), default=None
        True class numbers, for unlabeled pictures leave None.
    ncols : int, default=6
        Pictures per row.
    axes : array-like of matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on.
    """
    y_pred = np.asarray(y_pred)
    titles = [f"Name: {class_names[p]}" for p in y_pred]
    colors = None
    if y_true is not None:
        y_true = np.asarray(y_true)
        colors = [
            _RIGHT if p == t else _WRONG for p, t in zip(y_pred, y_true, strict=True)
        ]
        titles = [
            title if p == t else f"{title}\n(true: {class_names[t]})"
            for title, p, t in zip(titles, y_pred, y_true, strict=True)
        ]
    return plot_image_grid(
        images, titles=titles, title_colors=colors, ncols=ncols, axes=axes
    )


def plot_confident_mistakes(
    images, y_true, probabilities, class_names, *, n=6, axes=None
):
    """Show the wrong predictions the model was most sure of.

    A model with no mistake is a result, not an error: the figure then says
    so in its title rather than raising, so a loop that plots each model's
    mistakes keeps going on the best one.

    Parameters
    ----------
    images : array-like of shape (n_samples, height, width, 3)
        Test pictures.
    y_true : array-like of shape (n_samples,)
        True class numbers.
    probabilities : array-like of shape (n_samples, n_classes)
        Predicted class probabilities.
    class_names : list of str
        Class names.
    n : int, default=6
        How many mistakes to show at most.
    axes : array-like of matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on. When every prediction is right, its (first)
        Axes is blank and titled "No confident mistakes: all <n> predictions
        are right".
    """
    probabilities = np.asarray(probabilities)
    y_true = np.asarray(y_true)
    y_pred = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    if len(wrong) == 0:
        if axes is None:
            _, axes = _pyplot().subplots(figsize=(4, 1), layout="constrained")
        axes = np.ravel(np.asarray(axes, dtype=object))
        for ax in axes:
            ax.set_axis_off()
        axes[0].set_title(
            f"No confident mistakes: all {len(y_true)} predictions are right",
            fontsize="small",
        )
        return figure_of(axes)
    confidence = probabilities[wrong, y_pred[wrong]]
    order = wrong[np.argsort(-confidence)][:n]
    titles = [
        f"{class_names[y_pred[k]]} ({probabilities[k, y_pred[k]]:.0%})\n"
        f"true: {class_names[y_true[k]]}"
        for k in order
    ]
    return plot_image_grid(
        (images if isinstance(images, PictureFile) else np.asarray(images))[order],
        titles=titles,
        title_colors=[_WRONG] * len(order),
        ncols=min(n, len(order)),
        axes=axes,
    )


def plot_comparison(results, *, chance=None, axes=None):
    """Compare models: test accuracy with its interval, and training time.

    Parameters
    ----------
    results : sequence of dict
        One dict per model with ``model`` (name), ``test_accuracy``,
        ``accuracy_low`` and ``accuracy_high`` (the interval), and optionally
        ``fit_time_s`` (seconds): the rows of
        [`compare_models`][animecls.comparison.compare_models]'s ``table``.
    chance : float, default=None
        Accuracy of guessing, drawn as a dotted line.
    axes : pair of matplotlib Axes, default=None
        Where to draw accuracy and time; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on: the accuracy panel and the time panel.
    """
    results = list(results)
    if not results:
        raise ValueError("results is empty. Received: []")
    names = [model_label(r) for r in results]
    accuracy = np.array([r["test_accuracy"] for r in results])
    low = np.array([r["accuracy_low"] for r in results])
    high = np.array([r["accuracy_high"] for r in results])
    if axes is None:
        _, axes = _pyplot().subplots(
            1,
            2,
            figsize=(9, 0.6 * len(results) + 1.6),
            sharey=True,
            layout="constrained",
            width_ratios=(2, 1),
        )
    axes = np.atleast_1d(axes)
    rows = np.arange(len(results))[::-1]
    axes[0].errorbar(
        accuracy,
        rows,
        xerr=[accuracy - low, high - accuracy],
        fmt="o",
        capsize=4,
        color="C0",
    )
    if chance is not None:
        _chance_line(axes[0], chance, vertical=True)
        axes[0].legend(fontsize="small", loc="lower left")
    axes[0].set_yticks(rows, names)
    axes[0].set_xlim(0, 1.02)
    axes[0].set_xlabel("test accuracy (95% interval)")
    if len(axes) > 1:
        times = [r.get("fit_time_s", np.nan) for r in results]
        axes[1].barh(rows, times, color="C1")
        axes[1].set_yticks(rows, names)
        axes[1].set_xlabel("training time (s)")
    return figure_of(axes)


def plot_embedding_projection(
    features, target, class_names, *, method="pca", ax=None, random_state=0
):
    """Project features to 2-D and colour each picture by its class.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Embeddings or other features.
    target : array-like of shape (n_samples,)
        Class numbers.
    class_names : list of str
        Class names, for the legend.
    method : {"pca", "tsne"}, default="pca"
        ``sklearn.decomposition.PCA``, or
        ``sklearn.manifold.TSNE`` (slower; shows neighbourhoods, not
        distances).
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    random_state : int, default=0
        Seed for t-SNE.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on.
    """
    features = np.asarray(features, dtype=float).reshape(len(features), -1)
    target = np.asarray(target)
    if method == "pca":
        from sklearn.decomposition import PCA

        points = PCA(n_components=2).fit_transform(features)
    elif method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(features) - 1) / 3)
        points = TSNE(
            n_components=2, perplexity=perplexity, random_state=random_state
        ).fit_transform(features)
    else:
        raise ValueError(f'method must be "pca" or "tsne". Received: method={method!r}')
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(5, 4.5), layout="constrained")
    for k, name in enumerate(class_names):
        chosen = target == k
        ax.scatter(points[chosen, 0], points[chosen, 1], s=18, label=name, alpha=0.8)
    ax.set_title(f"{method.upper() if method == 'pca' else 't-SNE'} of the features")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize="small")
    return figure_of(ax)


def _experiment(result, kind):
    found = result.get("kind") if isinstance(result, dict) else None
    if found != kind:
        raise ValueError(
            f"result must be what animecls.experiments returns for {kind!r}. "
            f"Received: kind={found!r}"
        )
    return result


def _data_note(result):
    """Name the data set a title shows: a folder by its own name."""
    data = result.settings.get("data")
    if not data or data == "a Bunch":
        return ""
    if data == "the embedded default characters":
        return f", {data}"
    return f", {os.path.basename(os.path.normpath(data))}"


def _weights_note(result):
    weights = result.settings.get("weights", "-")
    if weights == "-":
        return ""
    if weights.startswith("none"):
        return "\nVGG16 with random weights, not ImageNet"
    return f"\nVGG16 weights: {weights}"


def _error(row, prefix=""):
    """Distances from the mean to the interval's ends (0 for a single run)."""
    mean = row[f"{prefix}mean"]
    low, high = row[f"{prefix}low"], row[f"{prefix}high"]
    if low is None:
        return 0.0, 0.0
    return mean - low, high - mean


def plot_learning_curve(result, *, chance="auto", ax=None):
    """Plot test accuracy against training pictures per character, per model.

    Parameters
    ----------
    result : Bunch
        What [`learning_curve`][animecls.experiments.learning_curve] returned.
    chance : "auto", float or None, default="auto"
        Accuracy of guessing, drawn as a dotted line; ``"auto"`` uses
        ``result.chance``, None draws no line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on: one line per model (mean over seeds) with its 95%
        t-interval shaded.
    """
    result = _experiment(result, "learning_curve")
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(6.5, 4.2), layout="constrained")
    models = list(dict.fromkeys(r["model"] for r in result.summary))
    sizes = sorted({r["train_size"] for r in result.summary})
    whole = {r["train_size"] for r in result.summary if r.get("all")}
    # Evenly spaced sizes: "all" is often close to the largest size asked for.
    position = {size: k for k, size in enumerate(sizes)}
    for k, model in enumerate(models):
        rows = [r for r in result.summary if r["model"] == model]
        x = [position[r["train_size"]] for r in rows]
        mean = np.array([r["mean"] for r in rows])
        low = np.array([r["mean"] if r["low"] is None else r["low"] for r in rows])
        high = np.array([r["mean"] if r["high"] is None else r["high"] for r in rows])
        ax.plot(x, mean, marker="o", ms=4, color=f"C{k}", label=model)
        ax.fill_between(x, low, high, color=f"C{k}", alpha=0.15, lw=0)
    if (chance := _resolve_chance(chance, result.chance)) is not None:
        _chance_line(ax, chance)
    ax.set_xticks(
        range(len(sizes)), [f"all ({s})" if s in whole else str(s) for s in sizes]
    )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("training pictures per character")
    ax.set_ylabel("test accuracy (mean, 95% interval)")
    n_seeds = result.settings.get("n_seeds")
    ax.set_title(
        f"Learning curves over {n_seeds} seeds"
        + _data_note(result)
        + _weights_note(result)
    )
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure_of(ax)


def plot_repeated_splits(result, *, chance="auto", ax=None):
    """Show each model's test accuracy over repeated splits: box and points.

    Parameters
    ----------
    result : Bunch
        What [`repeated_splits`][animecls.experiments.repeated_splits]
        returned.
    chance : "auto", float or None, default="auto"
        Accuracy of guessing, drawn as a dotted line; ``"auto"`` uses
        ``result.chance``, None draws no line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on, with one row per model: a box of the splits'
        accuracies, each split a dot.
    """
    result = _experiment(result, "repeated_splits")
    models = [r["model"] for r in result.summary]
    if ax is None:
        _, ax = _pyplot().subplots(
            figsize=(6.5, 0.7 * len(models) + 1.8), layout="constrained"
        )
    rows = np.arange(len(models))[::-1]
    values = [
        [r["test_accuracy"] for r in result.runs if r["model"] == m] for m in models
    ]
    ax.boxplot(
        values,
        positions=rows,
        orientation="horizontal",
        widths=0.5,
        showfliers=False,
        medianprops={"color": "C1"},
    )
    rng = np.random.default_rng(0)
    for row, accuracy in zip(rows, values, strict=True):
        # A little vertical jitter so equal accuracies stay visible.
        ax.scatter(
            accuracy,
            row + rng.uniform(-0.12, 0.12, len(accuracy)),
            s=14,
            color="C0",
            alpha=0.7,
            zorder=3,
        )
    if (chance := _resolve_chance(chance, result.chance)) is not None:
        _chance_line(ax, chance, vertical=True)
        # The chance line is the only labelled artist.
        ax.legend(fontsize="small", loc="lower left")
    ax.set_yticks(rows, models)
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("test accuracy, one dot per split")
    n = result.settings.get("n_splits")
    ax.set_title(
        f"The same protocol over {n} splits"
        + _data_note(result)
        + _weights_note(result)
    )
    return figure_of(ax)


def plot_remedies(result, *, chance="auto", ax=None):
    """Plot each remedy's test accuracy, its paired change and its gap.

    Parameters
    ----------
    result : Bunch
        What [`measure_remedies`][animecls.experiments.measure_remedies]
        returned.
    chance : "auto", float or None, default="auto"
        Accuracy of guessing, drawn as a dotted line; ``"auto"`` uses
        ``result.chance``, None draws no line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on, with one row per remedy: its test accuracy, the
        paired change against its baseline on the same splits (the evidence
        to judge it by: an interval clear of 0 is an effect) and the gap
        (train minus validation accuracy), each with its 95% t-interval.
    """
    result = _experiment(result, "remedies")
    summary = result.summary
    remedies = [r["remedy"] for r in summary]
    if ax is None:
        _, ax = _pyplot().subplots(
            figsize=(6.5, 0.6 * len(remedies) + 1.8), layout="constrained"
        )
    rows = np.arange(len(remedies))[::-1]
    for prefix, label, offset, marker, color in (
        ("", "test accuracy", 0.22, "o", "C0"),
        ("change_", "change vs baseline (paired)", 0.0, "D", "C2"),
        ("gap_", "gap (train - validation)", -0.22, "s", "C3"),
    ):
        if prefix == "change_":
            shown = [r for r in summary if r["change"] is not None]
            keys = [dict(r, change_mean=r["change"]) for r in shown]
        else:
            shown = keys = summary
        if not shown:
            continue
        means = np.array([r[f"{prefix}mean"] for r in keys], dtype=float)
        errors = np.array([_error(r, prefix) for r in keys]).T
        at = np.array([rows[remedies.index(r["remedy"])] for r in shown])
        ax.errorbar(
            means,
            at + offset,
            xerr=errors,
            fmt=marker,
            capsize=3,
            label=label,
            color=color,
        )
    if (chance := _resolve_chance(chance, result.chance)) is not None:
        _chance_line(ax, chance, vertical=True)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_yticks(rows, remedies)
    ax.set_xlim(min(-0.05, ax.get_xlim()[0]), 1.02)
    ax.set_xlabel("accuracy, or difference in accuracy (mean, 95% interval)")
    n = result.settings.get("n_seeds")
    ax.set_title(
        f"One remedy at a time, {n} splits" + _data_note(result) + _weights_note(result)
    )
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure_of(ax)


def plot_shortcut(result, *, chance="auto", ax=None):
    """Compare test accuracy where the nuisance agrees and disagrees with the class.

    Parameters
    ----------
    result : Bunch
        What [`shortcut_experiment`][animecls.experiments.shortcut_experiment]
        returned.
    chance : "auto", float or None, default="auto"
        Accuracy of guessing, drawn as a dotted line; ``"auto"`` uses
        ``result.chance``, None draws no line.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on, with two bars per condition (and model), mean
        over seeds with its 95% t-interval: test pictures whose nuisance
        agrees with their class, and those whose nuisance belongs to another
        class.
    """
    result = _experiment(result, "shortcut")
    rows = result.summary
    several = len({r["model"] for r in rows}) > 1
    labels = [
        f"{r['condition']}: {r['model']}" if several else r["condition"] for r in rows
    ]
    if ax is None:
        _, ax = _pyplot().subplots(
            figsize=(8, 0.55 * len(rows) + 2), layout="constrained"
        )
    positions = np.arange(len(rows))[::-1]
    for prefix, label, offset, color in (
        ("agree_", "nuisance agrees with the class", 0.2, "C2"),
        ("disagree_", "nuisance of another class", -0.2, "C3"),
    ):
        means = np.array(
            [np.nan if r[f"{prefix}mean"] is None else r[f"{prefix}mean"] for r in rows]
        )
        errors = np.array(
            [(0, 0) if r[f"{prefix}mean"] is None else _error(r, prefix) for r in rows]
        ).T
        ax.barh(
            positions + offset,
            means,
            height=0.4,
            xerr=errors,
            capsize=3,
            color=color,
            label=label,
        )
    if (chance := _resolve_chance(chance, result.chance)) is not None:
        _chance_line(ax, chance, vertical=True)
    ax.set_yticks(positions, labels)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("test accuracy (mean, 95% interval)")
    nuisance = result.settings.get("nuisance", "")
    ax.set_title(
        f"Shortcut learning: {nuisance} nuisance, {result.settings.get('n_seeds')} "
        "seeds" + _weights_note(result)
    )
    # Below the panel: the condition labels already take the left side.
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    return figure_of(ax)
