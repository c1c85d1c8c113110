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
from ._validation import check_choice, check_fraction

__all__ = [
    "accuracy_interval",
    "evaluate",
    "generalization_gap",
    "mcnemar_test",
    "mean_interval",
    "paired_difference",
]

_INTERVAL_METHODS = ("wilson", "exact")


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
        nominal level. Both come from :func:`scipy.stats.binomtest`.

    Returns
    -------
    low, high : float
        The interval's bounds, within [0, 1].

    Examples
    --------
    The report's 54 correct answers out of 56 (0.964):

    >>> low, high = accuracy_interval(54, 56)
    >>> round(low, 2), round(high, 2)
    (0.88, 0.99)
    """
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
    few repeated runs: with 5 seeds it is about 1.4 standard deviations wide
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
    (:func:`mean_interval`) is the honest evidence that one model is better,
    and the one to quote. An interval that holds 0 means the runs cannot tell
    the two apart.

    Parameters
    ----------
    a, b : array-like of float
        One number per split, in the same order of splits.
    confidence : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    result : Bunch
        As :func:`mean_interval`, of the differences (bounded to [-1, 1]).

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
        raise ValueError(
            "a and b must hold one number per split, the same splits in the "
            f"same order. Received: {a.shape[0] if a.ndim else a!r} and "
            f"{b.shape[0] if b.ndim else b!r} numbers"
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

    Examples
    --------
    Two models with equal accuracy that disagree on four pictures:

    >>> result = mcnemar_test([0, 1, 1, 0, 1], [0, 1, 0, 1, 1], [1, 0, 1, 0, 1])
    >>> result.only_a_correct, result.only_b_correct, result.pvalue
    (2, 2, 1.0)
    """
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
        :func:`~sklearn.metrics.classification_report` as a dict) and
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


def generalization_gap(history, *, overfit_gap=0.1, underfit_accuracy=0.9):
    """Summarise how far a training run generalises, in plain words.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        The object ``model.fit`` returns, or its ``.history`` dict: per-epoch
        lists under ``accuracy``, ``val_accuracy``, ``loss`` and ``val_loss``.
    overfit_gap : float, default=0.1
        Training accuracy above validation accuracy by more than this, at the
        last epoch, counts as overfitting.
    underfit_accuracy : float, default=0.9
        Final training accuracy below this, with no overfitting gap, counts
        as underfitting: the model has not even learned its training set.

    Returns
    -------
    summary : Bunch
        ``best_epoch`` (1-based, lowest validation loss), ``best_val_loss``,
        ``final_train_accuracy``, ``final_val_accuracy``, ``gap`` (final
        train minus validation accuracy), ``val_loss_rise`` (final minus best
        validation loss), ``verdict`` (``"overfitting"``, ``"underfitting"``
        or ``"fitting"``) and ``explanation``, a sentence saying why.

    Notes
    -----
    The verdict is ``"overfitting"`` when the final gap exceeds
    ``overfit_gap``, or when validation loss ended more than 20% above its
    best value while training accuracy kept at or above
    ``underfit_accuracy`` (the model grew confident on pictures it gets
    wrong). Otherwise it is ``"underfitting"`` when final training accuracy
    is below ``underfit_accuracy``, and ``"fitting"`` when neither holds.
    """
    metrics = history_dict(history)
    missing = [
        key
        for key in ("accuracy", "val_accuracy", "loss", "val_loss")
        if not metrics.get(key)
    ]
    if missing:
        raise ValueError(
            "history needs per-epoch accuracy, val_accuracy, loss and val_loss "
            "(train with validation data). Missing: " + ", ".join(missing)
        )
    val_loss = np.asarray(metrics["val_loss"])
    best = int(np.argmin(val_loss))
    train_acc = metrics["accuracy"][-1]
    val_acc = metrics["val_accuracy"][-1]
    gap = train_acc - val_acc
    rise = float(val_loss[-1] - val_loss[best])
    loss_rose = val_loss[-1] > 1.2 * val_loss[best] and best < len(val_loss) - 1

    if gap > overfit_gap:
        verdict = "overfitting"
        explanation = (
            f"Training accuracy ({train_acc:.2f}) ended {gap:.2f} above "
            f"validation accuracy ({val_acc:.2f}), more than {overfit_gap:.2f}: "
            "the model learned its training pictures better than the task."
        )
    elif loss_rose and train_acc >= underfit_accuracy:
        verdict = "overfitting"
        explanation = (
            f"Validation loss was lowest at epoch {best + 1} "
            f"({val_loss[best]:.3f}) and ended at {val_loss[-1]:.3f}: the model "
            "kept growing more confident on validation pictures it gets wrong."
        )
    elif train_acc < underfit_accuracy:
        verdict = "underfitting"
        explanation = (
            f"Training accuracy ended at {train_acc:.2f}, below "
            f"{underfit_accuracy:.2f}: the model has not learned even its "
            "training pictures; train longer or give it more capacity."
        )
    else:
        verdict = "fitting"
        explanation = (
            f"Training ({train_acc:.2f}) and validation ({val_acc:.2f}) accuracy "
            f"ended within {overfit_gap:.2f} of each other and validation loss "
            "did not climb away from its best value."
        )
    return Bunch(
        best_epoch=best + 1,
        best_val_loss=float(val_loss[best]),
        final_train_accuracy=train_acc,
        final_val_accuracy=val_acc,
        gap=gap,
        val_loss_rise=rise,
        verdict=verdict,
        explanation=explanation,
    )
