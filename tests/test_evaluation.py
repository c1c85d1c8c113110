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


def _counts(*n_correct, n_val=26):
    return [k / n_val for k in n_correct]


# The cases on the report's 26 validation pictures: train 1.0 at the
# end, validation 23 of 26 with its loss still falling, and 13 of 26 with its
# loss rising for the last 3 epochs.
STILL_FALLING = _history(
    [0.70, 0.90, 0.97, 1.00],
    _counts(17, 20, 22, 23),
    [0.80, 0.35, 0.12, 0.05],
    [0.85, 0.55, 0.42, 0.38],
)
CLEAR = _history(
    [0.60, 0.90, 1.00, 1.00, 1.00, 1.00],
    _counts(11, 13, 14, 13, 13, 13),
    [0.90, 0.30, 0.08, 0.04, 0.02, 0.01],
    [1.00, 0.90, 0.85, 0.95, 1.10, 1.30],
)


def test_gap_of_23_of_26_with_falling_loss_is_not_overfitting():
    summary = generalization_gap(STILL_FALLING, n_val=26)
    assert summary.verdict == "inconclusive"
    assert summary.n_val == 26 and summary.gap == pytest.approx(3 / 26)
    assert summary.val_accuracy_interval == pytest.approx(accuracy_interval(23, 26))
    low, high = summary.gap_interval
    assert low == pytest.approx(1 - accuracy_interval(23, 26)[1])
    assert 0 < low < 0.1 < high  # the gap's interval straddles the tolerance
    assert "23 of 26" in summary.explanation
    assert "not enough validation pictures to tell" in summary.explanation
    assert "still falling" in summary.explanation
    assert not summary.loss_turned and summary.best_epoch == 4


def test_gap_of_13_of_26_with_rising_loss_is_overfitting():
    summary = generalization_gap(CLEAR, n_val=26)
    assert summary.verdict == "overfitting"
    assert summary.gap_interval[0] > 0.1
    assert summary.loss_turned and summary.best_epoch == 3
    assert summary.epochs_since_best == 3
    assert "13 of 26" in summary.explanation and "epoch 3" in summary.explanation


def test_same_gap_on_more_validation_pictures_decides():
    # 0.885 against a training accuracy of 1.0: the gap's interval narrows
    # with the pictures, but it stays astride 0.1 until there are well over
    # a thousand of them; a gap of 0.2 is decided by 260.
    assert generalization_gap(STILL_FALLING, n_val=260).verdict == "inconclusive"
    wide = _history([0.9, 1.0], [0.8, 0.8], [0.5, 0.1], [0.6, 0.5])
    assert generalization_gap(wide, n_val=10).verdict == "inconclusive"
    assert generalization_gap(wide, n_val=260).verdict == "overfitting"


def test_gap_overfitting_like_the_report():
    # 18 of 26 against 1.0: overfitting on the gap alone, loss or no loss.
    history = _history(
        [0.35, 0.7, 0.95, 1.0],
        _counts(8, 16, 18, 18),
        [1.1, 0.6, 0.2, 0.05],
        [1.1, 0.8, 0.7, 0.9],
    )
    summary = generalization_gap(history, n_val=26)
    assert summary.verdict == "overfitting"
    assert summary.best_epoch == 3 and not summary.loss_turned
    assert summary.gap == pytest.approx(8 / 26)
    assert "0.308" in summary.explanation and "18 of 26" in summary.explanation


def test_gap_turned_validation_loss_is_overfitting_after_patience_epochs():
    # Validation right to within a picture, but its loss lowest at epoch 2 and
    # 50% higher 3 epochs later.
    history = _history(
        [0.6, 0.9, 0.98, 1.0, 1.0],
        _counts(16, 24, 25, 25, 25),
        [0.9, 0.3, 0.1, 0.05, 0.02],
        [0.9, 0.3, 0.35, 0.4, 0.45],
    )
    summary = generalization_gap(history, n_val=26)
    assert summary.verdict == "overfitting" and summary.loss_turned
    assert "epoch 2" in summary.explanation and "50%" in summary.explanation
    assert generalization_gap(history, n_val=26, patience=4).verdict == "inconclusive"
    # A new low at the last epoch but one: no turn yet.
    wobble = dict(history, val_loss=[0.9, 0.3, 0.35, 0.29, 0.45])
    assert not generalization_gap(wobble, n_val=26).loss_turned


def test_a_small_absolute_rise_of_a_nearly_perfect_model_is_no_turn():
    # 25 of 26 right, loss lowest at epoch 2 (0.05) and 60% higher at the
    # end, but only 0.03 higher: one picture a little less sure, not a turn.
    history = _history(
        [0.6, 0.9, 1.0, 1.0, 1.0],
        _counts(16, 25, 25, 25, 25),
        [0.9, 0.3, 0.1, 0.05, 0.02],
        [0.9, 0.05, 0.06, 0.07, 0.08],
    )
    summary = generalization_gap(history, n_val=26)
    assert not summary.loss_turned
    assert summary.verdict == "inconclusive"
    assert "more than 0.1 above" in summary.explanation
    # The same curve a whole nat higher has turned.
    shifted = dict(history, val_loss=[1.9, 0.5, 0.6, 0.65, 0.7])
    assert generalization_gap(shifted, n_val=26).loss_turned


def test_gap_fitting_needs_enough_validation_pictures():
    fitting = _history([0.8, 0.97], [0.8, 25 / 26], [0.5, 0.1], [0.5, 0.15])
    assert generalization_gap(fitting, n_val=26).verdict == "inconclusive"
    on_260 = dict(fitting, val_accuracy=[0.8, 250 / 260])
    summary = generalization_gap(on_260, n_val=260)
    assert summary.verdict == "fitting" and summary.gap_interval[1] <= 0.1
    assert "within the tolerated 0.10" in summary.explanation


def test_gap_underfitting():
    under = _history([0.4, 0.5], _counts(10, 12), [1.0, 0.9], [1.0, 0.95])
    summary = generalization_gap(under, n_val=26)
    assert summary.verdict == "underfitting"
    assert "below 0.90" in summary.explanation


def test_gap_without_n_val_reads_only_the_loss_curve():
    # The old rule called this "overfitting" from the raw 0.115; without the
    # number of pictures the gap cannot be weighed at all.
    summary = generalization_gap(STILL_FALLING)
    assert summary.verdict == "inconclusive" and summary.n_val is None
    assert summary.gap_interval is None and "pass n_val" in summary.explanation
    assert generalization_gap(CLEAR).verdict == "overfitting"  # the loss turned


def test_gap_reads_n_val_and_the_kept_epoch_from_a_fit_model_history():
    class History:
        history = CLEAR
        n_val = 26
        best_epoch = None

    assert generalization_gap(History()).n_val == 26
    assert generalization_gap(History(), n_val=26).verdict == "overfitting"
    with pytest.raises(ValueError, match="recorded.*Received: n_val=56"):
        generalization_gap(History(), n_val=56)
    # Early stopping kept epoch 3's weights: the later epochs are not judged.
    History.best_epoch = 3
    summary = generalization_gap(History())
    assert summary.best_epoch == 3 and summary.epochs_since_best == 0
    assert summary.final_val_accuracy == pytest.approx(14 / 26)


def test_gap_accepts_keras_history_object_and_rejects_bad_input():
    class History:
        history = STILL_FALLING

    assert generalization_gap(History(), n_val=26).best_epoch == 4
    with pytest.raises(ValueError, match="Missing: val_accuracy, val_loss"):
        generalization_gap({"accuracy": [0.5], "loss": [1.0]})
    with pytest.raises(TypeError, match="Received: list"):
        generalization_gap([0.5, 0.6])


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (
            {"val_loss": [0.85, 0.55, float("nan"), 0.38]},
            {},
            r"val_loss is not a finite number at epoch 3.*"
            r"Received: val_loss=nan at epoch 3",
        ),
        (
            {"loss": [0.80, float("inf"), 0.12, 0.05]},
            {},
            r"loss is not a finite number at epoch 2.*Received: loss=inf at epoch 2",
        ),
        (
            {"accuracy": [0.70, 0.90, 0.97, float("nan")]},
            {"n_val": 26},
            r"accuracy is not a finite number at epoch 4.*Received: accuracy=nan",
        ),
        (
            {"val_accuracy": [0.5, 0.6, 0.7, 88.5]},
            {},
            r"between 0 and 1. Received: val_accuracy=88.5 at epoch 4",
        ),
        (
            {"loss": [0.8, 0.35, 0.12]},
            {},
            r"one value per epoch.*accuracy=4, val_accuracy=4, loss=3, val_loss=4",
        ),
        (
            {},
            {"n_val": 56},
            r"not a whole number of right answers out of 56 pictures "
            r"\(49.54 of 56\).*Received: n_val=56",
        ),
        (
            {},
            {"n_val": 0},
            r"n_val must be an integer of at least 1. Received: n_val=0",
        ),
        ({}, {"n_val": True}, r"Received: n_val=True"),
        ({}, {"n_val": 26.0}, r"Received: n_val=26.0"),
        ({}, {"overfit_gap": 1.5}, r"overfit_gap must be .*Received: overfit_gap=1.5"),
        ({}, {"patience": 0}, r"Received: patience=0"),
        ({}, {"n_val": 26, "confidence": 1}, r"Received: confidence=1"),
    ],
)
def test_gap_bad_input_is_named(change, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generalization_gap(dict(STILL_FALLING, **change), **kwargs)


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
        (
            lambda: paired_difference([0.9, 0.8], [0.7]),
            r"Received: a=\[0.9, 0.8\], b=\[0.7\]$",
        ),
        (
            lambda: paired_difference([[0.9], [0.8]], [[0.7], [0.6]]),
            r"flat list.*Received: a=\[\[0.9\], \[0.8\]\], b=\[\[0.7\], \[0.6\]\]$",
        ),
        (lambda: paired_difference(0.9, 0.7), r"Received: a=0.9, b=0.7$"),
        (lambda: mean_interval([0.9, float("nan")]), r"Received: values=\[0.9, nan\]"),
        (lambda: mean_interval([[0.9], [0.8]]), "flat list"),
        (lambda: mean_interval([0.9, 0.8], confidence=95), "Received: confidence=95"),
    ],
)
def test_interval_helpers_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
