import numpy as np
import pytest
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from animecls.evaluation import (
    accuracy_interval,
    evaluate,
    generalization_gap,
    mcnemar_test,
    mean_interval,
    paired_difference,
)


def test_report_accuracy_interval_is_wide():
    # The report's 54/56: the docs quote "roughly 0.88 to 0.99".
    low, high = accuracy_interval(54, 56)
    assert 0.87 < low < 0.89 and 0.98 < high < 0.995
    exact_low, exact_high = accuracy_interval(54, 56, method="exact")
    assert exact_low < low and exact_high > high


def test_interval_contains_estimate_and_narrows_with_n():
    for n in (10, 100, 1000):
        low, high = accuracy_interval(int(0.7 * n), n)
        assert low < 0.7 < high
    width = [np.subtract(*accuracy_interval(7 * k, 10 * k)[::-1]) for k in (1, 10)]
    assert width[1] < width[0]
    assert accuracy_interval(0, 5)[0] == 0.0 and accuracy_interval(5, 5)[1] == 1.0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((3, 0), {}, "Received: n_total=0"),
        ((7, 5), {}, "Received: n_correct=7, n_total=5"),
        ((1, 5), {"confidence": 1.5}, "Received: confidence=1.5"),
        ((1, 5), {"method": "normal"}, "Received: method='normal'"),
        (
            (1, 5),
            {"confidence": True},
            r"confidence must be a number in \(0, 1\)\. Received: confidence=True$",
        ),
        (
            (1, 5),
            {"method": "normal"},
            r"method must be one of 'wilson', 'exact'\. Received: method='normal'$",
        ),
    ],
)
def test_interval_rejects_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        accuracy_interval(*args, **kwargs)


def test_mcnemar_equal_accuracy_says_nothing():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 56)
    a, b = y.copy(), y.copy()
    a[:2] = (y[:2] + 1) % 3  # both 54/56, wrong on different pictures
    b[2:4] = (y[2:4] + 1) % 3
    result = mcnemar_test(y, a, b)
    assert (result.only_a_correct, result.only_b_correct) == (2, 2)
    assert result.both_correct == 52 and result.both_wrong == 0
    assert result.pvalue == 1.0
    assert mcnemar_test(y, y, y).pvalue == 1.0


def test_mcnemar_detects_a_clear_difference():
    y = np.zeros(40, dtype=int)
    a = y.copy()
    b = y.copy()
    b[:15] = 1  # B wrong on 15 pictures A gets right
    result = mcnemar_test(y, a, b)
    assert result.only_a_correct == 15 and result.only_b_correct == 0
    assert result.pvalue == pytest.approx(2 * 0.5**15)


def test_mcnemar_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="Received lengths: 3, 2, 3"):
        mcnemar_test([0, 1, 0], [0, 1], [0, 1, 1])


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n // 3)
    X = rng.normal(size=(n, 4)) + y[:, None] * 2.0
    return X, y


def test_evaluate_scikit_learn_classifier():
    X, y = _blobs()
    model = LogisticRegression().fit(X, y)
    result = evaluate(model, X, y, class_names=["a", "b", "c"])
    assert result.accuracy == pytest.approx(np.mean(model.predict(X) == y))
    assert result.accuracy_interval[0] <= result.accuracy <= result.accuracy_interval[1]
    assert result.confusion_matrix.shape == (3, 3)
    assert result.confusion_matrix.sum() == len(y)
    assert result.probabilities.shape == (60, 3)
    assert result.loss > 0
    assert set(result.report) >= {"a", "b", "c", "accuracy"}
    assert "precision" in result.report_text


def test_evaluate_without_probabilities_has_no_loss():
    X, y = _blobs()
    result = evaluate(LinearSVC().fit(X, y), X, y)
    assert result.loss is None and result.probabilities is None
    assert result.class_names == ["class 0", "class 1", "class 2"]


class _ProbabilityModel:
    """Stands in for a Keras model: predict returns probabilities."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities, dtype=float)

    def predict(self, X, verbose=0):
        return self.probabilities[: len(X)]


def test_evaluate_keras_like_model_uses_argmax_and_log_loss():
    probabilities = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.5, 0.2, 0.3]]
    y = np.array([0, 1, 2])
    result = evaluate(_ProbabilityModel(probabilities), np.zeros((3, 2)), y)
    assert list(result.y_pred) == [0, 1, 0]
    expected = -np.mean(np.log([0.8, 0.7, 0.3]))
    assert result.loss == pytest.approx(expected)


def test_evaluate_rejects_bad_input():
    X, y = _blobs()
    model = DummyClassifier().fit(X, y)
    with pytest.raises(ValueError, match="Received: 60 and 59"):
        evaluate(model, X, y[:-1])
    with pytest.raises(ValueError, match="non-empty"):
        evaluate(model, X[:0], y[:0])
    with pytest.raises(ValueError, match="class_names has 2 names"):
        evaluate(model, X, y, class_names=["a", "b"])


def _history(train, val, loss, val_loss):
    return {"accuracy": train, "val_accuracy": val, "loss": loss, "val_loss": val_loss}


def test_gap_overfitting_like_the_report():
    history = _history(
        [0.35, 0.7, 0.95, 1.0],
        [0.3, 0.6, 0.7, 0.72],
        [1.1, 0.6, 0.2, 0.05],
        [1.1, 0.8, 0.7, 0.9],
    )
    summary = generalization_gap(history)
    assert summary.verdict == "overfitting"
    assert summary.best_epoch == 3
    assert summary.gap == pytest.approx(0.28)
    assert "0.28" in summary.explanation


def test_gap_rising_validation_loss_is_overfitting():
    history = _history(
        [0.6, 0.9, 0.98], [0.6, 0.93, 0.95], [0.9, 0.3, 0.1], [0.9, 0.3, 0.5]
    )
    summary = generalization_gap(history)
    assert summary.verdict == "overfitting" and "epoch 2" in summary.explanation


def test_gap_fitting_and_underfitting():
    fitting = _history([0.8, 0.97], [0.8, 0.95], [0.5, 0.1], [0.5, 0.15])
    assert generalization_gap(fitting).verdict == "fitting"
    under = _history([0.4, 0.5], [0.4, 0.48], [1.0, 0.9], [1.0, 0.95])
    assert generalization_gap(under).verdict == "underfitting"


def test_gap_accepts_keras_history_object_and_rejects_bad_input():
    class History:
        history = _history([0.8, 0.97], [0.8, 0.95], [0.5, 0.1], [0.5, 0.15])

    assert generalization_gap(History()).best_epoch == 2
    with pytest.raises(ValueError, match="Missing: val_accuracy, val_loss"):
        generalization_gap({"accuracy": [0.5], "loss": [1.0]})
    with pytest.raises(TypeError, match="Received: list"):
        generalization_gap([0.5, 0.6])


def test_mean_interval_is_students_t_interval():
    values = [0.91, 0.93, 0.89, 0.95, 0.93]
    result = mean_interval(values)
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
    )
    assert result.n_runs == 5
    assert result.low == pytest.approx(low) and result.high == pytest.approx(high)
    assert mean_interval(values, bounds=(0, 0.94)).high == 0.94


def test_mean_interval_of_few_runs_says_it_has_no_interval():
    assert mean_interval([]).mean is None
    one = mean_interval([0.8, None])
    assert (one.n_runs, one.mean, one.low, one.high) == (1, 0.8, None, None)


def test_paired_difference_is_tighter_than_either_interval():
    # Each split's luck is shared: b is a a little worse on every split.
    a = np.array([0.95, 0.80, 0.88, 0.70, 0.91])
    b = a - np.array([0.05, 0.04, 0.06, 0.05, 0.05])
    result = paired_difference(a, b)
    assert result.mean == pytest.approx(0.05)
    assert 0 < result.low < 0.05 < result.high
    assert result.high - result.low < mean_interval(a).high - mean_interval(a).low
    expected = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (result.low, result.high) == pytest.approx((expected.low, expected.high))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: paired_difference([0.9, 0.8], [0.7]), "Received: 2 and 1 numbers"),
        (lambda: mean_interval([0.9, float("nan")]), r"Received: values=\[0.9, nan\]"),
        (lambda: mean_interval([[0.9], [0.8]]), "flat list"),
        (lambda: mean_interval([0.9, 0.8], confidence=95), "Received: confidence=95"),
    ],
)
def test_interval_helpers_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
