"""Evaluate classifiers honestly on tiny test sets.

With 56 test pictures one mistake moves accuracy by almost two points, so
every accuracy here comes with a confidence interval, and two models are
compared with a paired test on the same pictures rather than by their
accuracies alone.
"""

import numpy as np
from scipy import stats
from sklearn.metrics import classification_report, confusion_matrix, log_loss
from sklearn.utils import Bunch

from ._history import history_dict
from ._store import PictureFile
from ._validation import check_choice, check_count, check_fraction, is_int

__all__ = [
    "accuracy_interval",
    "evaluate",
    "generalization_gap",
    "mcnemar_test",
    "mean_interval",
    "paired_difference",
]

_INTERVAL_METHODS = ("wilson", "exact")

_CURVES = ("accuracy", "val_accuracy", "loss", "val_loss")

# How far above its lowest value the validation loss must end to count as
# having turned. Like the patience, a convention: the mean cross-entropy of a
# few dozen pictures jumps by tenths when one picture flips between confidently
# right and confidently wrong, so small wobbles after the lowest epoch are noise.
_LOSS_TURN_RISE = 0.2
# ... and by at least this much in absolute terms (nats of mean cross-entropy):
# a relative rise alone condemns a model that is nearly always right. On 26
# validation pictures 0.1 is 2.6 nats in all, e.g. one picture going from 90%
# sure of its class to 7%; a loss of 0.05 ending at 0.08 (60% up) is one
# picture growing a little less sure, not overfitting.
_LOSS_TURN_MIN_RISE = 0.1

# How close to a whole number of right answers val_accuracy * n_val must be:
# Keras' float32 accuracies and three-decimal records are far closer, and an
# n_val that is not the number of pictures the accuracy was measured on is
# usually much further off.
_COUNT_TOLERANCE = 0.25


def accuracy_interval(n_correct, n_total, *, confidence=0.95, method="wilson"):
    """Return a confidence interval for an accuracy of ``n_correct / n_total``.

    Parameters
    ----------
    n_correct : int
        Number of correctly classified test pictures.
    n_total : int
        Number of test pictures.
    confidence : float, default=0.95
        Confidence level of the interval.
    method : {"wilson", "exact"}, default="wilson"
        ``"wilson"`` is the Wilson score interval, which behaves well near 0
        and 1 and for small samples; ``"exact"`` is the Clopper-Pearson
        interval from the binomial distribution, wider and never below its
        nominal level. Both come from ``scipy.stats.binomtest``.

    Returns
    -------
    low, high : float
        The interval's bounds, within [0, 1].

    Raises
    ------
    ValueError
        If ``n_correct`` or ``n_total`` is not an integer (a float such as
        53.7, a string, a bool), or ``n_correct`` is not in
        ``[0, n_total]``.

    Examples
    --------
    The report's 54 correct answers out of 56 (0.964):

    >>> low, high = accuracy_interval(54, 56)
    >>> round(low, 2), round(high, 2)
    (0.88, 0.99)
    """
    for name, value in (("n_correct", n_correct), ("n_total", n_total)):
        if not is_int(value):
            # int() would quietly turn 53.7 into 53, and "54" into 54.
            raise ValueError(
                f"{name} must be an integer: a number of test pictures. For an "
                "accuracy, pass round(accuracy * n_total) right answers. "
                f"Received: {name}={value!r}"
            )
    n_correct, n_total = int(n_correct), int(n_total)
    if n_total <= 0:
        raise ValueError(f"n_total must be positive. Received: n_total={n_total}")
    if not 0 <= n_correct <= n_total:
        raise ValueError(
            "n_correct must be between 0 and n_total. "
            f"Received: n_correct={n_correct}, n_total={n_total}"
        )
    confidence = check_fraction(confidence, "confidence")
    method = check_choice(method, "method", _INTERVAL_METHODS)
    interval = stats.binomtest(n_correct, n_total).proportion_ci(
        confidence_level=confidence, method=method
    )
    return float(interval.low), float(interval.high)


def mean_interval(values, *, confidence=0.95, bounds=(-np.inf, np.inf)):
    """Return the mean of ``values`` (one per seed or split) and its t-interval.

    The interval is Student's t-interval of the mean, the usual summary of a
    few repeated runs: with 5 seeds it is about 1.24 standard deviations wide
    on each side (t = 2.78 for 4 degrees of freedom, over the square root
    of 5), far wider than the spread of the runs suggests.

    Parameters
    ----------
    values : array-like of float
        One number per run; None values (a run that could not measure it)
        are left out.
    confidence : float, default=0.95
        Confidence level of the interval.
    bounds : (float, float), default=(-inf, inf)
        Clip the interval to these, e.g. (0, 1) for accuracies.

    Returns
    -------
    result : Bunch
        ``n_runs``, ``mean``, ``std`` (with ``ddof=1``), ``low`` and
        ``high``; the last three are None for fewer than two runs, and all
        four for none.

    Examples
    --------
    >>> result = mean_interval([0.91, 0.93, 0.89, 0.95, 0.93], bounds=(0, 1))
    >>> round(result.mean, 3), round(result.low, 3), round(result.high, 3)
    (0.922, 0.894, 0.95)
    """
    confidence = check_fraction(confidence, "confidence")
    values = np.asarray([v for v in values if v is not None], dtype=float)
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ValueError(
            "values must be a flat list of finite numbers. Received: "
            f"values={values.tolist()!r}"
        )
    n = len(values)
    result = Bunch(n_runs=n, mean=None, std=None, low=None, high=None)
    if n == 0:
        return result
    result.mean = float(values.mean())
    if n < 2:
        return result
    result.std = float(values.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * result.std / np.sqrt(n)
    result.low = float(max(bounds[0], result.mean - half))
    result.high = float(min(bounds[1], result.mean + half))
    return result


def paired_difference(a, b, *, confidence=0.95):
    """Return how much ``a`` beats ``b`` on the same splits, with its interval.

    Two models measured on the same seeds share each split's luck (an easy
    test set is easy for both), so the per-seed differences ``a - b`` scatter
    much less than either model's accuracies: their t-interval
    ([`mean_interval`][animecls.evaluation.mean_interval]) is the honest
    evidence that one model is better, and the one to quote. An interval that
    holds 0 means the runs cannot tell the two apart.

    Parameters
    ----------
    a, b : array-like of float
        One number per split, in the same order of splits.
    confidence : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    result : Bunch
        As [`mean_interval`][animecls.evaluation.mean_interval], of the
        differences (bounded to [-1, 1]).

    Examples
    --------
    >>> cnn = [0.84, 0.68, 0.73, 0.79, 0.77]
    >>> svm = [0.86, 0.88, 0.89, 0.95, 0.96]
    >>> result = paired_difference(svm, cnn)
    >>> round(result.mean, 3), round(result.low, 3), round(result.high, 3)
    (0.146, 0.056, 0.236)
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        # Naming each list keeps clear which one is short (or not flat).
        raise ValueError(
            "a and b must each be a flat list of one number per split, the "
            f"same splits in the same order. Received: a={a.tolist()!r}, "
            f"b={b.tolist()!r}"
        )
    return mean_interval(a - b, confidence=confidence, bounds=(-1.0, 1.0))


def mcnemar_test(y_true, y_pred_a, y_pred_b):
    """Test whether two classifiers differ on the same test pictures.

    McNemar's test looks only at the pictures where exactly one of the two
    models is right: ``b`` where only model A is right, ``c`` where only
    model B is. If the models were equally good, each such picture would be
    a coin flip, so the p-value is the exact two-sided binomial test of ``b``
    successes in ``b + c`` trials with probability 1/2. The exact test is
    right for the small counts of tiny test sets, where the chi-squared
    approximation is not.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes.
    y_pred_a, y_pred_b : array-like of shape (n_samples,)
        Predictions of the two models on the same pictures, in the same order.

    Returns
    -------
    result : Bunch
        ``only_a_correct`` (b), ``only_b_correct`` (c), ``both_correct``,
        ``both_wrong`` and ``pvalue``. A large p-value means the test set
        cannot tell the two models apart.

    Raises
    ------
    ValueError
        If the three are not 1-D of one length, or do not hold labels of one
        type (class names in one, class numbers in another, or both in one).

    Examples
    --------
    Two models with equal accuracy that disagree on four pictures:

    >>> result = mcnemar_test([0, 1, 1, 0, 1], [0, 1, 0, 1, 1], [1, 0, 1, 0, 1])
    >>> result.only_a_correct, result.only_b_correct, result.pvalue
    (2, 2, 1.0)
    """
    given = {"y_true": y_true, "y_pred_a": y_pred_a, "y_pred_b": y_pred_b}
    y_true, y_pred_a, y_pred_b = (np.asarray(y) for y in (y_true, y_pred_a, y_pred_b))
    if not (y_true.ndim == y_pred_a.ndim == y_pred_b.ndim == 1):
        raise ValueError(
            "y_true, y_pred_a and y_pred_b must be 1-D. Received shapes: "
            f"{y_true.shape}, {y_pred_a.shape}, {y_pred_b.shape}"
        )
    if not (len(y_true) == len(y_pred_a) == len(y_pred_b)):
        raise ValueError(
            "y_true, y_pred_a and y_pred_b must have the same length. "
            f"Received lengths: {len(y_true)}, {len(y_pred_a)}, {len(y_pred_b)}"
        )
    _check_label_types(**given)
    a_right = y_pred_a == y_true
    b_right = y_pred_b == y_true
    only_a = int(np.sum(a_right & ~b_right))
    only_b = int(np.sum(~a_right & b_right))
    discordant = only_a + only_b
    # With no disagreement at all there is no evidence either way.
    pvalue = 1.0 if discordant == 0 else stats.binomtest(only_a, discordant).pvalue
    return Bunch(
        only_a_correct=only_a,
        only_b_correct=only_b,
        both_correct=int(np.sum(a_right & b_right)),
        both_wrong=int(np.sum(~a_right & ~b_right)),
        pvalue=float(pvalue),
    )


def _label_type(labels):
    """Return "numbers", "strings" or "mixed labels": what ``labels`` holds."""
    # A list is looked at before NumPy converts it: np.asarray(["a", 1]) turns
    # the 1 into the string "1".
    array = labels if isinstance(labels, np.ndarray) else np.asarray(labels, object)
    if array.dtype.kind in "biuf":
        return "numbers"
    if array.dtype.kind in "US":
        return "strings"
    kinds = {
        "strings"
        if isinstance(v, str | bytes)
        else "numbers"
        if isinstance(v, int | float | np.number)
        else "mixed labels"
        for v in array.ravel().tolist()
    }
    return kinds.pop() if len(kinds) == 1 else "mixed labels"


def _check_label_types(**arrays):
    """Refuse labels that ``==`` cannot compare: names against numbers."""
    types = {name: _label_type(labels) for name, labels in arrays.items()}
    if len(set(types.values())) == 1 and "mixed labels" not in types.values():
        return
    received = ", ".join(
        f"{name} of {kind} ({_preview(np.asarray(arrays[name], object))})"
        for name, kind in types.items()
    )
    raise ValueError(
        "y_true, y_pred_a and y_pred_b must hold labels of one type, all class "
        "numbers or all class names: a name never equals a number, so every "
        "prediction would count as wrong. Convert them with the model's "
        f"class_names. Received: {received}"
    )


def _preview(labels, limit=3):
    values = labels.tolist()[:limit]
    shown = ", ".join(repr(v) for v in values)
    return shown + (", ..." if len(labels) > limit else "")


def _is_scikit_learn_estimator(model):
    return hasattr(model, "get_params") and hasattr(model, "fit")


def evaluate(model, X, y, *, class_names=None, confidence=0.95):
    """Evaluate a Keras model or a scikit-learn classifier on a test set.

    Parameters
    ----------
    model : keras.Model or scikit-learn classifier
        A Keras model whose ``predict`` returns class probabilities, or a
        fitted scikit-learn classifier (``predict``, and ``predict_proba``
        when it has one).
    X : array-like
        Test pictures (or features, for a scikit-learn pipeline that takes
        them).
    y : array-like of shape (n_samples,)
        True class numbers.
    class_names : list of str, default=None
        Class names for the report; ``class 0``, ``class 1``... when None.
    confidence : float, default=0.95
        Confidence level of the accuracy interval.

    Returns
    -------
    result : Bunch
        ``accuracy``, ``accuracy_interval`` (Wilson), ``n_correct``,
        ``n_samples``, ``loss`` (cross-entropy of the probabilities, None
        when the model gives none), ``report`` (scikit-learn's
        ``sklearn.metrics.classification_report`` as a dict) and
        ``report_text``, ``confusion_matrix``, ``y_true``, ``y_pred`` and
        ``probabilities`` (None when the model gives none).
    """
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(
            f"y must be a non-empty 1-D array of class numbers. Received shape: "
            f"{y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same length. Received: {len(X)} and {len(y)}"
        )
    if _is_scikit_learn_estimator(model):
        probabilities = (
            np.asarray(model.predict_proba(X))
            if hasattr(model, "predict_proba")
            else None
        )
        y_pred = np.asarray(model.predict(X))
    else:
        if isinstance(X, PictureFile):
            # Pictures on disk are read a few batches at a time, never all at
            # once; 256 is a multiple of predict's batches of 32, so the
            # numbers are those of one predict over every picture.
            probabilities = np.concatenate(
                [np.asarray(model.predict(b, verbose=0)) for b in X.batches(256)]
            )
        else:
            probabilities = np.asarray(model.predict(X, verbose=0))
        y_pred = probabilities.argmax(axis=1)

    n_classes = (
        probabilities.shape[1]
        if probabilities is not None
        else int(max(y.max(), y_pred.max())) + 1
    )
    if class_names is None:
        class_names = [f"class {k}" for k in range(n_classes)]
    class_names = list(class_names)
    if len(class_names) != n_classes:
        raise ValueError(
            f"class_names has {len(class_names)} names but the model "
            f"predicts {n_classes} classes. Received: class_names={class_names}"
        )
    labels = np.arange(n_classes)
    n_correct = int(np.sum(y_pred == y))
    loss = (
        None
        if probabilities is None
        else float(log_loss(y, probabilities, labels=labels))
    )
    return Bunch(
        accuracy=n_correct / len(y),
        accuracy_interval=accuracy_interval(n_correct, len(y), confidence=confidence),
        n_correct=n_correct,
        n_samples=len(y),
        loss=loss,
        report=classification_report(
            y,
            y_pred,
            labels=labels,
            target_names=class_names,
            output_dict=True,
            zero_division=0,
        ),
        report_text=classification_report(
            y, y_pred, labels=labels, target_names=class_names, zero_division=0
        ),
        confusion_matrix=confusion_matrix(y, y_pred, labels=labels),
        class_names=class_names,
        y_true=y,
        y_pred=y_pred,
        probabilities=probabilities,
    )


def generalization_gap(
    history,
    *,
    n_val=None,
    overfit_gap=0.1,
    underfit_accuracy=0.9,
    patience=3,
    confidence=0.95,
):
    """Say whether a training run overfits, in plain words and with its evidence.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        The object ``model.fit`` returns, or its ``.history`` dict: per-epoch
        lists under ``accuracy``, ``val_accuracy``, ``loss`` and ``val_loss``.
        A History from [`fit_model`][animecls.training.fit_model] with
        ``early_stopping`` is read up to the epoch whose weights were kept
        (its ``best_epoch``).
    n_val : int or None, default=None
        Number of validation pictures ``val_accuracy`` was measured on. None
        reads ``history.n_val``, which
        [`fit_model`][animecls.training.fit_model] and
        [`fit_transfer_head`][animecls.training.fit_transfer_head] record;
        when history cannot tell it either, the accuracy gap is not weighed
        (see Notes).
    overfit_gap : float, default=0.1
        The largest gap between training and validation accuracy that still
        counts as fitting. The gap's interval, not the gap itself, is
        compared with it.
    underfit_accuracy : float, default=0.9
        Final training accuracy below this counts as underfitting, unless the
        gap shows overfitting: the model has not learned its training set.
    patience : int, default=3
        Epochs without a new lowest validation loss, at the end of the run,
        before the loss curve counts as having turned (the criterion of
        ``fit_model(..., early_stopping=patience)``).
    confidence : float, default=0.95
        Confidence level of the validation accuracy's interval.

    Returns
    -------
    summary : Bunch
        ``verdict`` (``"overfitting"``, ``"underfitting"``, ``"fitting"`` or
        ``"inconclusive"``) and ``explanation``, sentences giving the numbers
        behind it; ``final_train_accuracy``, ``final_val_accuracy``, ``gap``
        (final train minus validation accuracy), ``n_val``,
        ``val_accuracy_interval`` and ``gap_interval`` (``(low, high)``, None
        without ``n_val``), ``best_epoch`` (1-based, lowest validation loss),
        ``best_val_loss``, ``val_loss_rise`` (final minus lowest validation
        loss), ``epochs_since_best`` and ``loss_turned``.

    Raises
    ------
    ValueError
        When a curve is missing, the curves differ in length, a loss or an
        accuracy is NaN or infinite (training broke down at that epoch: there
        is nothing to judge), an accuracy is outside [0, 1], or
        ``val_accuracy`` is not a whole number of right answers out of
        ``n_val``.

    See Also
    --------
    accuracy_interval : The Wilson interval the gap's interval comes from.

    Notes
    -----
    Two pieces of evidence are read from the last epoch of the curves.

    *The accuracy gap, weighed by the number of validation pictures.* The
    training accuracy is the model's score on the very pictures it was
    fitted to, a fixed property of the trained model, so it is taken as it
    is. The validation accuracy is an estimate, from ``n_val`` pictures, of
    the model's accuracy on new pictures; its Wilson interval
    ([`accuracy_interval`][animecls.evaluation.accuracy_interval]) gives an
    interval for the gap, ``(train - val_high, train - val_low)``. The gap
    counts as overfitting when the interval lies wholly above
    ``overfit_gap``, as fitting when it lies wholly at or below it, and as
    undecided when it holds values on both sides: there are not enough
    validation pictures to tell.

    *The validation loss curve's turn.* The loss has turned when its lowest
    value came at least ``patience`` epochs before the end and the last value
    is more than 20% and more than 0.1 above it (conventions, like the
    patience: the mean loss of a few dozen pictures jumps when one picture
    flips between confidently right and confidently wrong, and a loss of
    0.05 that ends at 0.08 is one picture growing less sure, not a turn).
    The model then keeps growing more confident on validation pictures it
    gets wrong.

    The verdict is ``"overfitting"`` when the gap shows it, or when the loss
    turned while training accuracy is at least ``underfit_accuracy``;
    otherwise ``"underfitting"`` when training accuracy is below
    ``underfit_accuracy``; otherwise ``"fitting"`` when the gap's interval
    lies at or below ``overfit_gap``; otherwise ``"inconclusive"``. Without
    ``n_val`` the gap is never weighed: only the loss curve and the training
    accuracy speak, and a run they do not condemn is ``"inconclusive"``, not
    ``"fitting"``. (Comparing the raw gap with 0.1, as this function once
    did, turns the luck of one or two pictures into a verdict.)

    A worked example, the report's split: 26 validation pictures, one of them
    worth 1/26 = 0.038 of accuracy. A run ends with training accuracy 1.0 and
    23 of 26 validation pictures right (0.885), a gap of 0.115. The Wilson
    interval of 23/26 is 0.71 to 0.96, so the gap lies between 0.04 and
    0.29: on both sides of 0.1, and the verdict is ``"inconclusive"`` unless
    the loss curve turned. With 13 of 26 right (0.5) the interval is 0.32 to
    0.68, the gap between 0.32 and 0.68, and the verdict ``"overfitting"``
    whatever the loss did. With training accuracy 1.0, ``"fitting"`` needs
    the gap at most 0.1 even at its largest, a validation interval starting
    at 0.9 or above: 26 of 26 is not enough (0.87 to 1.0); it takes 35 of 35,
    or 121 of 127 (0.95). Deciding a gap as close to 0.1 as 0.115 takes well
    over a thousand validation pictures.

    Examples
    --------
    The worked example, with validation loss still falling at the last epoch:

    >>> history = {
    ...     "accuracy": [0.70, 0.90, 0.97, 1.00],
    ...     "val_accuracy": [17 / 26, 20 / 26, 22 / 26, 23 / 26],
    ...     "loss": [0.80, 0.35, 0.12, 0.05],
    ...     "val_loss": [0.85, 0.55, 0.42, 0.38],
    ... }
    >>> summary = generalization_gap(history, n_val=26)
    >>> summary.verdict
    'inconclusive'
    >>> [round(bound, 2) for bound in summary.gap_interval]
    [0.04, 0.29]

    The clear case: half of the 26 validation pictures right, and validation
    loss rising for the last 3 epochs:

    >>> history = {
    ...     "accuracy": [0.60, 0.90, 1.00, 1.00, 1.00, 1.00],
    ...     "val_accuracy": [11 / 26, 13 / 26, 14 / 26, 13 / 26, 13 / 26, 13 / 26],
    ...     "loss": [0.90, 0.30, 0.08, 0.04, 0.02, 0.01],
    ...     "val_loss": [1.00, 0.90, 0.85, 0.95, 1.10, 1.30],
    ... }
    >>> summary = generalization_gap(history, n_val=26)
    >>> summary.verdict, summary.best_epoch, summary.loss_turned
    ('overfitting', 3, True)

    Where "fitting" starts for a model perfect on its training pictures:

    >>> [round(accuracy_interval(n, n)[0], 3) for n in (26, 34, 35)]
    [0.871, 0.898, 0.901]
    """
    metrics = history_dict(history)
    missing = [key for key in _CURVES if not metrics.get(key)]
    if missing:
        raise ValueError(
            "history needs per-epoch accuracy, val_accuracy, loss and val_loss "
            "(train with validation data). Missing: " + ", ".join(missing)
        )
    lengths = {key: len(metrics[key]) for key in _CURVES}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "history's curves must hold one value per epoch each. Received "
            "lengths: " + ", ".join(f"{key}={n}" for key, n in lengths.items())
        )
    kept = getattr(history, "best_epoch", None)
    if kept is not None and 1 <= kept < lengths["val_loss"]:
        # Early stopping restored the weights of epoch `kept`: the epochs after
        # it belong to weights that were thrown away.
        metrics = {key: metrics[key][:kept] for key in _CURVES}
    for key in _CURVES:
        for epoch, value in enumerate(metrics[key], start=1):
            if not np.isfinite(value):
                raise ValueError(
                    f"history's {key} is not a finite number at epoch {epoch}: "
                    "training broke down there (often a learning rate too high, "
                    "or pictures holding NaN), and no verdict can be read from "
                    f"it. Received: {key}={value} at epoch {epoch}"
                )
            if key.endswith("accuracy") and not 0 <= value <= 1:
                raise ValueError(
                    f"history's {key} must be between 0 and 1. Received: "
                    f"{key}={value} at epoch {epoch}"
                )
    n_val = _validation_size(n_val, history)
    overfit_gap = check_fraction(overfit_gap, "overfit_gap", closed=True)
    underfit_accuracy = check_fraction(
        underfit_accuracy, "underfit_accuracy", closed=True
    )
    patience = check_count(patience, "patience")

    train_acc = metrics["accuracy"][-1]
    val_acc = metrics["val_accuracy"][-1]
    gap = train_acc - val_acc
    val_loss = np.asarray(metrics["val_loss"])
    best = int(np.argmin(val_loss))
    since = len(val_loss) - 1 - best
    rise = float(val_loss[-1] - val_loss[best])
    loss_turned = bool(
        since >= patience
        and val_loss[-1] > (1 + _LOSS_TURN_RISE) * val_loss[best]
        and rise > _LOSS_TURN_MIN_RISE
    )

    if n_val is None:
        val_interval = gap_interval = None
        gap_shows = None
        gap_text = (
            f"The gap between training ({train_acc:.3f}) and validation "
            f"({val_acc:.3f}) accuracy, {gap:.3f}, cannot be weighed without "
            "the number of validation pictures: pass n_val."
        )
    else:
        n_correct = _correct_count(val_acc, n_val)
        val_interval = accuracy_interval(n_correct, n_val, confidence=confidence)
        gap_interval = (train_acc - val_interval[1], train_acc - val_interval[0])
        if gap_interval[0] > overfit_gap:
            gap_shows = "overfitting"
            reading = (
                f"above the tolerated {overfit_gap:.2f} even at its smallest: "
                "the model does clearly worse on new pictures than on its own."
            )
        elif gap_interval[1] <= overfit_gap:
            gap_shows = "fitting"
            reading = f"within the tolerated {overfit_gap:.2f} even at its largest."
        else:
            gap_shows = "inconclusive"
            reading = (
                f"on both sides of the tolerated {overfit_gap:.2f}: not enough "
                "validation pictures to tell."
            )
        gap_text = (
            f"Validation accuracy was {n_correct} of {n_val} ({val_acc:.3f}); "
            f"with {n_val} validation pictures its {confidence:.0%} interval is "
            f"{val_interval[0]:.2f} to {val_interval[1]:.2f}, so the gap to "
            f"training accuracy ({train_acc:.3f}) is {gap:.3f}, somewhere "
            f"between {gap_interval[0]:.2f} and {gap_interval[1]:.2f}, {reading}"
        )

    if len(val_loss) == 1:
        loss_text = "One epoch gives no validation loss curve to read."
    elif loss_turned:
        # A lowest loss of exactly 0 (every picture right with certainty) has
        # no percentage to rise by.
        above = f"{rise / val_loss[best]:.0%} " if val_loss[best] > 0 else ""
        loss_text = (
            f"Validation loss was lowest at epoch {best + 1} "
            f"({val_loss[best]:.3f}) and, {since} epochs later, ended at "
            f"{val_loss[-1]:.3f}, {above}above it: the model kept growing more "
            "confident on validation pictures it gets wrong."
        )
    elif since == 0:
        loss_text = (
            f"Validation loss is still falling: its lowest value "
            f"({val_loss[best]:.3f}) is at the last epoch."
        )
    else:
        loss_text = (
            f"Validation loss was lowest at epoch {best + 1} "
            f"({val_loss[best]:.3f}) and ended at {val_loss[-1]:.3f}: not yet "
            f"the turn ({patience} epochs without a new low, ending more than "
            f"{_LOSS_TURN_RISE:.0%} and more than {_LOSS_TURN_MIN_RISE} above "
            "it) that shows overfitting."
        )

    if gap_shows == "overfitting":
        verdict, explanation = "overfitting", f"{gap_text} {loss_text}"
    elif loss_turned and train_acc >= underfit_accuracy:
        verdict, explanation = "overfitting", f"{loss_text} {gap_text}"
    elif train_acc < underfit_accuracy:
        verdict = "underfitting"
        explanation = (
            f"Training accuracy ended at {train_acc:.2f}, below "
            f"{underfit_accuracy:.2f}: the model has not learned even its "
            "training pictures; train longer or give it more capacity. "
            f"{gap_text}"
        )
    elif gap_shows == "fitting":
        verdict, explanation = "fitting", f"{gap_text} {loss_text}"
    else:
        verdict, explanation = "inconclusive", f"{gap_text} {loss_text}"
    return Bunch(
        verdict=verdict,
        explanation=explanation,
        final_train_accuracy=train_acc,
        final_val_accuracy=val_acc,
        gap=gap,
        n_val=n_val,
        val_accuracy_interval=val_interval,
        gap_interval=gap_interval,
        best_epoch=best + 1,
        best_val_loss=float(val_loss[best]),
        val_loss_rise=rise,
        epochs_since_best=since,
        loss_turned=loss_turned,
    )


def _validation_size(n_val, history):
    """Return ``n_val``, or the size ``history`` recorded; None when neither says."""
    recorded = getattr(history, "n_val", None)
    if n_val is None:
        n_val = recorded
        if n_val is None:
            return None
    n_val = check_count(n_val, "n_val")
    if recorded is not None and recorded != n_val:
        raise ValueError(
            f"n_val disagrees with the {recorded} validation pictures the "
            f"history recorded (history.n_val). Received: n_val={n_val}"
        )
    return n_val


def _correct_count(val_acc, n_val):
    """Return the number of right answers behind ``val_acc`` out of ``n_val``."""
    right = val_acc * n_val
    n_correct = round(right)
    if abs(right - n_correct) > _COUNT_TOLERANCE:
        raise ValueError(
            f"val_accuracy ({val_acc:.4f}) is not a whole number of right "
            f"answers out of {n_val} pictures ({right:.2f} of {n_val}): n_val "
            "must be the number of validation pictures it was measured on. "
            f"Received: n_val={n_val}"
        )
    return n_correct
