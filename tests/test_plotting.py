import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.utils import Bunch  # noqa: E402

from animecls.plotting import (  # noqa: E402
    plot_comparison,
    plot_confident_mistakes,
    plot_confusion_matrix,
    plot_embedding_projection,
    plot_history,
    plot_image_grid,
    plot_learning_curve,
    plot_predictions,
    plot_remedies,
    plot_repeated_splits,
    plot_samples,
    plot_shortcut,
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


COMPARED = [
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
PROBABILITIES = np.array(
    [[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]]
)


def _experiment(kind, summary, runs=()):
    """The few fields of an animecls.experiments result that its plot reads."""
    return Bunch(kind=kind, summary=summary, runs=list(runs), chance=1 / 3, settings={})


INTERVAL = {"mean": 0.6, "low": 0.5, "high": 0.7}
EXPERIMENTS = {
    "learning_curve": _experiment(
        "learning_curve",
        [dict(INTERVAL, model="svm", train_size=size) for size in (5, 10)],
    ),
    "repeated_splits": _experiment(
        "repeated_splits",
        [{"model": "svm"}],
        [{"model": "svm", "test_accuracy": a} for a in (0.5, 0.7)],
    ),
    "remedies": _experiment(
        "remedies",
        [
            dict(
                INTERVAL, remedy=name, gap_mean=0.3, gap_low=0.2, gap_high=0.4, **change
            )
            for name, change in (
                ("none", {"change": None}),
                ("l2", {"change": -0.1, "change_low": -0.2, "change_high": 0.05}),
            )
        ],
    ),
    "shortcut": _experiment(
        "shortcut",
        [
            {
                "condition": "planted",
                "model": "cnn",
                **{
                    f"{side}_{key}": v
                    for side in ("agree", "disagree")
                    for key, v in INTERVAL.items()
                },
            }
        ],
    ),
}
# Each plot with its arguments and how many panels it needs.
PLOTS = {
    "history": (plot_history, (HISTORY,), {"chance": 1 / 3}, 2),
    "confusion_matrix": (plot_confusion_matrix, ([0, 1, 2], [0, 2, 2]), {}, 1),
    "image_grid": (plot_image_grid, (_images(3),), {}, 3),
    "samples": (plot_samples, (_images(3), [0, 1, 2], NAMES), {"n_per_class": 1}, 3),
    "predictions": (plot_predictions, (_images(3), [0, 1, 2], NAMES), {}, 3),
    "confident_mistakes": (
        plot_confident_mistakes,
        (_images(4), [0, 0, 0, 1], PROBABILITIES, NAMES),
        {"n": 3},
        3,
    ),
    "comparison": (plot_comparison, (COMPARED,), {}, 2),
    "embedding_projection": (
        plot_embedding_projection,
        (np.random.default_rng(0).normal(size=(9, 4)), np.repeat([0, 1, 2], 3), NAMES),
        {},
        1,
    ),
    "learning_curve": (plot_learning_curve, (EXPERIMENTS["learning_curve"],), {}, 1),
    "repeated_splits": (
        plot_repeated_splits,
        (EXPERIMENTS["repeated_splits"],),
        {},
        1,
    ),
    "remedies": (plot_remedies, (EXPERIMENTS["remedies"],), {}, 1),
    "shortcut": (plot_shortcut, (EXPERIMENTS["shortcut"],), {}, 1),
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_every_plot_returns_the_figure_it_drew_on(name):
    plot, args, kwargs, n_panels = PLOTS[name]
    figure = plot(*args, **kwargs)
    assert type(figure) is Figure
    assert len(figure.axes) == n_panels
    # Into given Axes: the figure they belong to, even inside a subfigure.
    root = plt.figure()
    given = root.subfigures(1, 2)[1].subplots(1, n_panels, squeeze=False)[0]
    keyword = "ax" if n_panels == 1 else "axes"
    given = given[0] if n_panels == 1 else given
    assert plot(*args, **kwargs, **{keyword: given}) is root
    assert all(ax.has_data() or ax.images for ax in np.ravel(given))


@pytest.mark.parametrize("kind", ["learning_curve", "repeated_splits", "remedies"])
def test_experiment_titles_name_the_data_set(kind):
    plot = PLOTS[kind][0]
    for data, expected in (
        ("/home/me/class/anime-faces-6/", ", anime-faces-6"),
        ("the embedded default characters", ", the embedded default characters"),
    ):
        result = Bunch(**{**EXPERIMENTS[kind], "settings": {"data": data}})
        title = plot(result).axes[0].get_title()
        assert expected in title and "/home" not in title
        plt.close("all")


def test_one_panel_takes_ax_several_take_axes():
    import inspect

    from animecls import plotting
    from animecls.leakage import plot_duplicate_pairs

    assert sorted(f"plot_{name}" for name in PLOTS) == sorted(plotting.__all__)
    for name, (plot, *_, n_panels) in PLOTS.items():
        parameters = inspect.signature(plot).parameters
        assert parameters["ax" if n_panels == 1 else "axes"].default is None, name
        assert ("axes" if n_panels == 1 else "ax") not in parameters, name
    assert inspect.signature(plot_duplicate_pairs).parameters["axes"].default is None


def test_axes_of_two_figures_are_refused():
    (_, left), (_, right) = plt.subplots(), plt.subplots()
    with pytest.raises(ValueError, match="Received: Axes of 2 figures"):
        plot_image_grid(_images(2), axes=[left, right])


def test_history_marks_best_epoch_and_chance():
    axes = plot_history(HISTORY, chance=1 / 3).axes
    assert len(axes) == 2
    acc_labels = [line.get_label() for line in axes[0].get_lines()]
    assert acc_labels == ["train", "validation", "best epoch (2)", "chance"]
    assert list(axes[0].get_lines()[1].get_ydata()) == HISTORY["val_accuracy"]
    assert "chance" not in [line.get_label() for line in axes[1].get_lines()]


def test_history_draws_into_given_axes_and_rejects_missing_metric():
    figure, ax = plt.subplots()
    assert plot_history(HISTORY, metrics=("loss",), axes=ax) is figure
    assert ax.get_title() == "Train vs validation loss"
    with pytest.raises(ValueError, match="history has no auc"):
        plot_history(HISTORY, metrics=("auc",))


def test_confusion_matrix_draws_the_counts_with_names():
    figure = plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], class_names=NAMES)
    (ax,) = figure.axes
    assert ax.get_title() == "Confusion matrix"
    assert ax.images[0].get_array().tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 2]]
    assert [t.get_text() for t in ax.get_xticklabels()] == NAMES


def test_image_grid_titles_and_unused_cells():
    axes = plot_image_grid(_images(5), titles=list("abcde"), ncols=3).axes
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert not axes[5].images
    with pytest.raises(ValueError, match=r"Received shape: \(8, 8, 3\)"):
        plot_image_grid(_images(1)[0])


def test_predictions_titles_like_the_report():
    axes = plot_predictions(_images(3), [0, 1, 2], NAMES, y_true=[0, 2, 2]).axes
    titles = [ax.get_title() for ax in axes[:3]]
    assert titles[0] == "Name: Marin"
    assert titles[1] == "Name: Micchon\n(true: Yor)"
    assert axes[1].title.get_color() != axes[0].title.get_color()
    unlabeled = plot_predictions(_images(2), [2, 2], NAMES).axes
    assert unlabeled[0].get_title() == "Name: Yor"


def test_samples_one_row_per_class():
    target = np.repeat([0, 1, 2], 3)
    figure = plot_samples(_images(9), target, NAMES, n_per_class=2)
    axes = np.reshape(figure.axes, (3, 2))
    assert [axes[r, 0].get_title(loc="left") for r in range(3)] == NAMES
    _, wrong = plt.subplots(2, 2)
    with pytest.raises(ValueError, match="3 rows of 2 Axes.*Received: 4 Axes"):
        plot_samples(_images(9), target, NAMES, n_per_class=2, axes=wrong)


def test_confident_mistakes_sorted_by_confidence():
    y_true = [0, 0, 0, 1]  # wrong: #1 (0.7), #2 (0.8), #3 (0.6)
    figure = plot_confident_mistakes(_images(4), y_true, PROBABILITIES, NAMES, n=2)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["Yor (80%)\ntrue: Marin", "Micchon (70%)\ntrue: Marin"]


def test_confident_mistakes_without_a_mistake_is_a_figure_that_says_so():
    right = [0, 1, 2, 0]
    figure = plot_confident_mistakes(_images(4), right, PROBABILITIES, NAMES)
    assert type(figure) is Figure
    (ax,) = figure.axes
    assert ax.get_title() == "No confident mistakes: all 4 predictions are right"
    assert not ax.images and not ax.axison
    given, axes = plt.subplots(1, 3)
    assert (
        plot_confident_mistakes(_images(4), right, PROBABILITIES, NAMES, axes=axes)
        is given
    )
    assert axes[0].get_title().startswith("No confident mistakes")
    assert not any(ax.axison for ax in axes)


def test_comparison_draws_intervals_and_times():
    results = COMPARED
    axes = plot_comparison(results, chance=1 / 3).axes
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
    (ax,) = plot_embedding_projection(features, target, NAMES, method=method).axes
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

    axes = plot_history(FakeHistory()).axes
    chance_lines = [ln for ln in axes[0].lines if ln.get_label() == "chance"]
    assert [ln.get_ydata()[0] for ln in chance_lines] == [0.25]
    # A dict does not know the classes; None turns the line off.
    for history, chance in ((HISTORY, "auto"), (FakeHistory(), None)):
        axes = plot_history(history, chance=chance).axes
        assert "chance" not in [ln.get_label() for ln in axes[0].lines]


def test_history_rejects_an_unknown_chance_word():
    with pytest.raises(ValueError, match="Received: chance='guess'"):
        plot_history(HISTORY, chance="guess")
