import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from animecls.plotting import (  # noqa: E402
    plot_comparison,
    plot_confident_mistakes,
    plot_confusion_matrix,
    plot_embedding_projection,
    plot_history,
    plot_image_grid,
    plot_predictions,
    plot_samples,
)

NAMES = ["Marin", "Micchon", "Yor"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _images(n=9, size=8):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)


HISTORY = {
    "accuracy": [0.4, 0.8, 1.0],
    "val_accuracy": [0.3, 0.6, 0.65],
    "loss": [1.0, 0.4, 0.1],
    "val_loss": [1.1, 0.7, 0.9],
}


def test_history_marks_best_epoch_and_chance():
    axes = plot_history(HISTORY, chance=1 / 3)
    assert len(axes) == 2
    acc_labels = [line.get_label() for line in axes[0].get_lines()]
    assert acc_labels == ["train", "validation", "best epoch (2)", "chance"]
    assert list(axes[0].get_lines()[1].get_ydata()) == HISTORY["val_accuracy"]
    assert "chance" not in [line.get_label() for line in axes[1].get_lines()]


def test_history_draws_into_given_axes_and_rejects_missing_metric():
    _, ax = plt.subplots()
    axes = plot_history(HISTORY, metrics=("loss",), axes=ax)
    assert axes[0] is ax
    with pytest.raises(ValueError, match="history has no auc"):
        plot_history(HISTORY, metrics=("auc",))


def test_confusion_matrix_reuses_scikit_learn_display():
    display = plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], target_names=NAMES)
    assert isinstance(display, ConfusionMatrixDisplay)
    assert display.confusion_matrix.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == NAMES


def test_image_grid_titles_and_unused_cells():
    axes = plot_image_grid(_images(5), titles=list("abcde"), ncols=3)
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert not axes[5].images
    with pytest.raises(ValueError, match=r"Received shape: \(8, 8, 3\)"):
        plot_image_grid(_images(1)[0])


def test_predictions_titles_like_the_report():
    axes = plot_predictions(_images(3), [0, 1, 2], NAMES, y_true=[0, 2, 2])
    titles = [ax.get_title() for ax in axes[:3]]
    assert titles[0] == "Name: Marin"
    assert titles[1] == "Name: Micchon\n(true: Yor)"
    assert axes[1].title.get_color() != axes[0].title.get_color()
    unlabeled = plot_predictions(_images(2), [2, 2], NAMES)
    assert unlabeled[0].get_title() == "Name: Yor"


def test_samples_one_row_per_class():
    target = np.repeat([0, 1, 2], 3)
    axes = plot_samples(_images(9), target, NAMES, n_per_class=2)
    assert axes.shape == (3, 2)
    assert [axes[r, 0].get_title(loc="left") for r in range(3)] == NAMES


def test_confident_mistakes_sorted_by_confidence():
    probabilities = np.array(
        [[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]]
    )
    y_true = [0, 0, 0, 1]  # wrong: #1 (0.7), #2 (0.8), #3 (0.6)
    axes = plot_confident_mistakes(_images(4), y_true, probabilities, NAMES, n=2)
    titles = [ax.get_title() for ax in axes]
    assert titles == ["Yor (80%)\ntrue: Marin", "Micchon (70%)\ntrue: Marin"]
    assert plot_confident_mistakes(_images(1), [0], [[1.0, 0, 0]], NAMES) is None


def test_comparison_draws_intervals_and_times():
    results = [
        {
            "model": "cnn",
            "test_accuracy": 0.9,
            "accuracy_low": 0.8,
            "accuracy_high": 0.95,
            "fit_time_s": 10.0,
        },
        {
            "model": "svm",
            "test_accuracy": 0.7,
            "accuracy_low": 0.6,
            "accuracy_high": 0.8,
            "fit_time_s": 1.0,
        },
    ]
    axes = plot_comparison(results, chance=1 / 3)
    # The first model is listed at the top.
    ticks = {t.get_text(): t.get_position()[1] for t in axes[0].get_yticklabels()}
    assert ticks["cnn"] > ticks["svm"]
    assert sorted(p.get_width() for p in axes[1].patches) == [1.0, 10.0]
    with pytest.raises(ValueError, match="results is empty"):
        plot_comparison([])
    # Separate axes: the time panel names its rows too.
    _, separate = plt.subplots(1, 2)
    plot_comparison(results, axes=separate)
    assert {t.get_text() for t in separate[1].get_yticklabels()} == {"cnn", "svm"}


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_projection(method):
    rng = np.random.default_rng(0)
    target = np.repeat([0, 1, 2], 10)
    features = rng.normal(size=(30, 5)) + target[:, None] * 3
    ax = plot_embedding_projection(features, target, NAMES, method=method)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == NAMES
    assert sum(len(c.get_offsets()) for c in ax.collections) == 30
    with pytest.raises(ValueError, match="Received: method='umap'"):
        plot_embedding_projection(features, target, NAMES, method="umap")


def test_history_draws_chance_from_the_model_of_a_keras_history():
    class FakeModel:
        output_shape = (None, 4)

    class FakeHistory:
        history = HISTORY
        model = FakeModel()

    axes = plot_history(FakeHistory())
    chance_lines = [ln for ln in axes[0].lines if ln.get_label() == "chance"]
    assert [ln.get_ydata()[0] for ln in chance_lines] == [0.25]
    # A dict does not know the classes; None turns the line off.
    for history, chance in ((HISTORY, "auto"), (FakeHistory(), None)):
        axes = plot_history(history, chance=chance)
        assert "chance" not in [ln.get_label() for ln in axes[0].lines]


def test_history_rejects_an_unknown_chance_word():
    with pytest.raises(ValueError, match="Received: chance='guess'"):
        plot_history(HISTORY, chance="guess")
