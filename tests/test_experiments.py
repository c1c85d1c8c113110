import csv
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("keras")

from animecls import _weights  # noqa: E402
from animecls.comparison import ImageNetFallbackWarning  # noqa: E402
from animecls.datasets import make_characters  # noqa: E402
from animecls.experiments import (  # noqa: E402
    REMEDIES,
    _interval,
    learning_curve,
    measure_remedies,
    repeated_splits,
    save_results,
    shortcut_experiment,
    summary_markdown,
)
from animecls.plotting import (  # noqa: E402
    plot_learning_curve,
    plot_remedies,
    plot_repeated_splits,
    plot_shortcut,
)

SVMS = ["pixels_svm", "color_histogram_svm"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tiny():
    # 8 per class: 8 test pictures, 5 or 6 training pictures per class.
    return make_characters(8, image_size=(32, 32), random_state=1)


@pytest.fixture(scope="module")
def curve(tiny):
    return learning_curve(
        tiny,
        train_sizes=(2, None),
        n_seeds=2,
        models=["two_layer_cnn", "vgg16_svm", "pixels_svm"],
        weights=None,
        quick=True,
        epochs=2,
    )


@pytest.fixture(scope="module")
def splits(tiny):
    return repeated_splits(tiny, n_splits=3, models=SVMS, quick=True)


@pytest.fixture(scope="module")
def remedies(tiny):
    return measure_remedies(
        tiny,
        remedies=["fixed_epochs", "transfer_finetune"],
        n_seeds=2,
        weights=None,
        quick=True,
        epochs=2,
        patience=1,
    )


@pytest.fixture(scope="module")
def shortcut():
    return shortcut_experiment(
        nuisance="background",
        n_per_class=8,
        n_seeds=2,
        models=["color_histogram_svm"],
        remedies=["weaker_correlation", "background_replacement"],
        image_size=32,
        quick=True,
    )


def test_learning_curve_runs_every_model_size_and_seed(curve):
    assert curve.kind == "learning_curve"
    assert len(curve.runs) == 3 * 2 * 2
    assert curve.n_classes == 3 and curve.chance == pytest.approx(1 / 3)
    # None is the whole training part: 5 pictures per class here
    assert sorted({r["train_size"] for r in curve.runs}) == [2, 5]
    assert {r["n_train"] for r in curve.runs} == {6, 15}
    # every size of one seed is tested on the same pictures
    assert {r["n_test"] for r in curve.runs} == {8}
    for row in curve.summary:
        assert row["n_runs"] == 2
        assert row["low"] <= row["mean"] <= row["high"]
    weights = {r["weights"] for r in curve.runs if r["model"].startswith("vgg16")}
    assert weights == {"none"} and curve.settings["weights"] == "none"
    assert {r["weights"] for r in curve.runs if r["model"] == "pixels_svm"} == {"-"}


def test_learning_curve_is_deterministic(tiny):
    first, second = (
        learning_curve(tiny, train_sizes=(3,), models=SVMS, quick=True)
        for _ in range(2)
    )
    assert [r["test_accuracy"] for r in first.runs] == [
        r["test_accuracy"] for r in second.runs
    ]


def test_repeated_splits_summarise_the_spread(splits):
    assert [r["model"] for r in splits.summary] == SVMS
    for row in splits.summary:
        accuracy = [
            r["test_accuracy"] for r in splits.runs if r["model"] == row["model"]
        ]
        assert row["n_runs"] == 3
        assert row["min"] == min(accuracy) and row["max"] == max(accuracy)
        assert row["median"] == pytest.approx(np.median(accuracy))
        assert row["std"] == pytest.approx(np.std(accuracy, ddof=1))
    # the report's protocol: validation pictures held out of training
    assert all(r["n_val"] > 0 and r["gap"] is not None for r in splits.runs)
    assert splits.settings["weights"] == "-"


def test_interval_is_the_t_interval_of_the_mean():
    summary = _interval([0.6, 0.7, 0.8])
    assert summary["mean"] == pytest.approx(0.7)
    assert summary["std"] == pytest.approx(0.1)
    # t(0.975, 2 df) = 4.303
    assert summary["low"] == pytest.approx(0.7 - 4.3027 * 0.1 / 3**0.5, abs=1e-4)
    assert summary["high"] == pytest.approx(0.7 + 4.3027 * 0.1 / 3**0.5, abs=1e-4)
    assert _interval([0.5])["low"] is None
    assert _interval([0.9, 1.0, 1.0])["high"] == 1.0


def test_remedies_add_their_baselines_and_measure_the_gap(remedies):
    names = [r["remedy"] for r in remedies.summary]
    assert names == ["none", "fixed_epochs", "transfer_frozen", "transfer_finetune"]
    rows = {r["remedy"]: r for r in remedies.summary}
    assert rows["none"]["change"] is None and rows["transfer_frozen"]["change"] is None
    assert rows["none"]["reading"] is None and rows["none"]["baseline"] is None
    for run in remedies.runs:
        assert run["gap"] == pytest.approx(run["train_accuracy"] - run["val_accuracy"])
    models = {r["remedy"]: r["model"] for r in remedies.runs}
    assert models["transfer_finetune"] == "vgg16_transfer"
    assert models["fixed_epochs"] == "two_layer_cnn"
    # fine-tuning adds its own epochs after the head's
    assert (
        rows["transfer_finetune"]["epochs_mean"]
        > rows["transfer_frozen"]["epochs_mean"]
    )
    assert remedies.settings["patience"] == 1
    assert remedies.settings["most_epochs"] == 2
    assert set(remedies.settings["remedies"]) <= set(REMEDIES)


def test_remedies_report_paired_differences_on_the_same_splits(remedies):
    from animecls.evaluation import paired_difference

    rows = {r["remedy"]: r for r in remedies.summary}
    for remedy, baseline in (
        ("fixed_epochs", "none"),
        ("transfer_finetune", "transfer_frozen"),
    ):
        mine, theirs = (
            [r["test_accuracy"] for r in remedies.runs if r["remedy"] == name]
            for name in (remedy, baseline)
        )
        expected = paired_difference(mine, theirs)
        row = rows[remedy]
        assert row["baseline"] == baseline
        assert row["change"] == pytest.approx(expected.mean)
        assert row["change_low"] == pytest.approx(expected.low)
        assert row["change_high"] == pytest.approx(expected.high)
        assert row["reading"] in {"helped", "hurt", "no clear difference"}
    # Both runs of each remedy were on the splits of seeds 0 and 1.
    seeds = {r["remedy"]: [] for r in remedies.summary}
    for run in remedies.runs:
        seeds[run["remedy"]].append(run["seed"])
    assert all(s == [0, 1] for s in seeds.values())


def test_remedies_stop_early_except_the_fixed_schedule(tiny, monkeypatch):
    # Every run but fixed_epochs is given early stopping with the patience
    # and the most epochs; fixed_epochs trains its schedule to the end.
    import animecls.experiments

    real = animecls.experiments.fit_and_score
    given = {}

    def recording(entry, space, *args, options=None, epochs=None, **kwargs):
        given[len(given)] = (dict(options or {}), epochs)
        return real(entry, space, *args, options=options, epochs=epochs, **kwargs)

    monkeypatch.setattr(animecls.experiments, "fit_and_score", recording)
    result = measure_remedies(
        tiny,
        remedies=["fixed_epochs", "l2"],
        n_seeds=1,
        quick=True,
        epochs=4,
        patience=1,
    )
    remedies = [r["remedy"] for r in result.runs]
    by_remedy = dict(zip(remedies, given.values(), strict=True))
    assert by_remedy["none"] == ({"early_stopping": 1}, 4)
    assert by_remedy["l2"] == ({"l2": 1e-3, "early_stopping": 1}, 4)
    assert by_remedy["fixed_epochs"] == ({}, None)
    epochs = {r["remedy"]: r["epochs_run"] for r in result.runs}
    assert epochs["fixed_epochs"] == 4  # quick's schedule is the given epochs


@pytest.mark.parametrize(
    "change, reading",
    [
        ({"change_low": 0.01, "change_high": 0.2}, "helped"),
        ({"change_low": -0.3, "change_high": -0.02}, "hurt"),
        ({"change_low": -0.1, "change_high": 0.1}, "no clear difference"),
        ({"change_low": None, "change_high": None}, "one seed: no interval"),
    ],
)
def test_remedy_readings_follow_the_paired_interval(change, reading):
    from animecls.experiments import _reading

    assert _reading(change) == reading


@pytest.mark.parametrize("n_per_class", [None, 3, [2, 5, 4]])
def test_the_shortcut_split_is_known_before_the_drawing(n_per_class):
    # shortcut_experiment checks every seed's split before drawing any set:
    # the classes and test pictures it works out are the drawing's own.
    from animecls.datasets import make_shortcut_characters
    from animecls.experiments import _shortcut_labels

    for seed in (0, 7):
        target, is_test, names = _shortcut_labels(n_per_class, 0.3, seed)
        data = make_shortcut_characters(
            n_per_class, image_size=32, random_state=seed, train_correlation=0.5
        )
        assert names == list(data.class_names)
        np.testing.assert_array_equal(target, data.target)
        np.testing.assert_array_equal(is_test, data.is_test)


def test_shortcut_splits_test_accuracy_by_agreement(shortcut):
    conditions = [r["condition"] for r in shortcut.summary]
    assert conditions == [
        "control",
        "shortcut",
        "weaker_correlation",
        "background_replacement",
    ]
    for run in shortcut.runs:
        assert run["n_agree"] + run["n_disagree"] == run["n_test"]
        assert run["n_disagree"] > 0
    rows = {r["condition"]: r for r in shortcut.summary}
    assert rows["shortcut"]["drop"] == pytest.approx(
        rows["shortcut"]["agree_mean"] - rows["shortcut"]["disagree_mean"]
    )
    # the control's training nuisances agree with the class only by chance
    control = [r for r in shortcut.runs if r["condition"] == "control"]
    assert [r["train_correlation"] for r in control] == pytest.approx([1 / 3] * 2)
    assert shortcut.settings["nuisance"] == "background"


@pytest.mark.parametrize(
    ("fixture", "heading"),
    [
        ("curve", "| model | per character |"),
        ("splits", "| model | test accuracy, mean (95% CI) | std | min |"),
        ("remedies", "| remedy | model |"),
        ("shortcut", "| condition | model |"),
    ],
)
def test_summary_markdown_has_one_row_per_summary_entry(fixture, heading, request):
    result = request.getfixturevalue(fixture)
    text = summary_markdown(result)
    assert text.startswith(heading)
    assert text.count("\n| ") == len(result.summary) + 1
    assert "t-interval" in text


@pytest.mark.parametrize(
    ("fixture", "plot"),
    [
        ("curve", plot_learning_curve),
        ("splits", plot_repeated_splits),
        ("remedies", plot_remedies),
        ("shortcut", plot_shortcut),
    ],
)
def test_every_plot_draws_the_chance_line(fixture, plot, request):
    result = request.getfixturevalue(fixture)
    figure, given = plt.subplots()
    assert plot(result, ax=given) is figure
    labels = [line.get_label() for line in given.get_lines()]
    assert "chance" in labels
    assert plot(result) is not figure
    # None turns the line off, as in plot_history; a number replaces it.
    lines = plot(result, chance=None).axes[0].lines
    assert "chance" not in [line.get_label() for line in lines]
    ax = plot(result, chance=0.5).axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "chance"]
    assert 0.5 in (line.get_xdata()[0], line.get_ydata()[0])


def test_figures_say_when_vgg16_had_random_weights(curve):
    assert "random weights" in plot_learning_curve(curve).axes[0].get_title()


def test_plot_refuses_another_kind_of_result(splits):
    with pytest.raises(ValueError, match="Received: kind='repeated_splits'"):
        plot_learning_curve(splits)


def test_save_results_writes_a_complete_folder(splits, tmp_path):
    out = save_results(splits, tmp_path / "splits")
    assert sorted(p.name for p in out.iterdir()) == [
        "figure.png",
        "runs.csv",
        "settings.json",
        "summary.md",
    ]
    with open(out / "runs.csv", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == len(splits.runs)
    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    assert settings["kind"] == "repeated_splits" and settings["n_splits"] == 3
    assert not (tmp_path / "splits.incomplete").exists()
    with pytest.raises(FileExistsError, match="already exists"):
        save_results(splits, out)


def test_save_results_never_deletes_a_folder_it_did_not_make(splits, tmp_path):
    users = tmp_path / "splits.incomplete"
    users.mkdir()
    (users / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="was not made by animecls"):
        save_results(splits, tmp_path / "splits")
    assert (users / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_save_results_replaces_what_an_interrupted_save_left(
    splits, tmp_path, monkeypatch
):
    import animecls.plotting

    def interrupted(result):
        raise KeyboardInterrupt

    monkeypatch.setattr(animecls.plotting, "plot_repeated_splits", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_results(splits, tmp_path / "splits")
    assert not (tmp_path / "splits").exists()
    monkeypatch.undo()
    out = save_results(splits, tmp_path / "splits")
    assert (out / "figure.png").exists()
    assert not (tmp_path / "splits.incomplete").exists()


def test_auto_weights_fall_back_loudly_and_are_recorded(tiny, monkeypatch):
    def offline():
        raise _weights.WeightsUnavailableError("no network")

    monkeypatch.setattr(_weights, "imagenet_weights_path", offline)
    with pytest.warns(ImageNetFallbackWarning, match="random weights"):
        result = repeated_splits(tiny, n_splits=1, models=["vgg16_svm"], quick=True)
    assert result.runs[0]["weights"] == "none (ImageNet unavailable)"
    assert result.settings["weights"] == "none (ImageNet unavailable)"


@pytest.mark.parametrize(
    ("function", "kwargs", "message"),
    [
        (learning_curve, {"train_sizes": (6,)}, r"smallest class has 5 .*\(6,\)"),
        (learning_curve, {"train_sizes": (0,)}, r"Received: train_sizes=\(0,\)"),
        (learning_curve, {"train_sizes": ()}, r"Received: train_sizes=\(\)"),
        (learning_curve, {"n_seeds": 0}, "Received: n_seeds=0"),
        (learning_curve, {"models": ["resnet"]}, r"Received: models=\['resnet'\]"),
        (learning_curve, {"test_size": 1.5}, "Received: test_size=1.5"),
        (repeated_splits, {"n_splits": 0}, "Received: n_splits=0"),
        (repeated_splits, {"epochs": 0}, "Received: epochs=0"),
        (measure_remedies, {"remedies": ["magic"]}, r"Received: remedies=\['magic'\]"),
        (measure_remedies, {"n_seeds": 1.5}, "Received: n_seeds=1.5"),
        (measure_remedies, {"patience": 0}, "Received: patience=0"),
        (measure_remedies, {"patience": None}, "Received: patience=None"),
        (
            repeated_splits,
            {"drawn_weights": "missing.weights.h5"},
            "Received: drawn_weights='missing.weights.h5'",
        ),
        (
            measure_remedies,
            {"drawn_weights": "drawn.h5"},
            "Received: drawn_weights='drawn.h5'",
        ),
    ],
)
def test_bad_arguments_are_refused(tiny, function, kwargs, message):
    options = {"models": SVMS} if function is not measure_remedies else {}
    with pytest.raises(ValueError, match=message):
        function(tiny, quick=True, **{**options, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nuisance": "sticker"}, "Received: nuisance='sticker'"),
        (
            {"nuisance": "watermark", "remedies": ["background_replacement"]},
            r"Received: remedies=\['background_replacement'\]",
        ),
        ({"n_seeds": 0}, "Received: n_seeds=0"),
    ],
)
def test_bad_shortcut_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shortcut_experiment(quick=True, **kwargs)


def test_summary_markdown_refuses_other_objects():
    with pytest.raises(ValueError, match="Received: kind=None"):
        summary_markdown({"table": []})


def test_summary_names_random_weight_models_as_such(curve):
    text = summary_markdown(curve)
    assert "| vgg16_svm (random weights) |" in text
    assert "| pixels_svm |" in text


def test_experiments_measure_the_drawn_backbone_without_pretraining(tiny):
    # What pretraining buys, on the same splits: the rows, the settings and
    # the summary all say the backbone had random weights.
    result = repeated_splits(
        tiny, n_splits=1, models=["drawn_svm"], quick=True, drawn_weights=None
    )
    assert result.runs[0]["weights"] == "none"
    assert result.settings["drawn_weights"] == "none"
    assert "| drawn_svm (random weights) |" in summary_markdown(result)
    shipped = repeated_splits(tiny, n_splits=1, models=["drawn_svm"], quick=True)
    assert shipped.settings["drawn_weights"] == "drawn"
    assert "| drawn_svm |" in summary_markdown(shipped)


def test_remedies_add_the_baselines_of_their_baselines(tiny):
    # drawn_finetune is judged against drawn_frozen, and drawn_frozen against
    # the CNN from scratch: asking for one brings in all three.
    result = measure_remedies(
        tiny, remedies=["drawn_finetune"], n_seeds=1, quick=True, epochs=1
    )
    assert [row["remedy"] for row in result.summary] == [
        "none",
        "drawn_frozen",
        "drawn_finetune",
    ]


def test_results_folder_claims_before_the_run_and_lets_go_after(splits, tmp_path):
    from animecls.experiments import results_folder

    out = tmp_path / "splits"
    with results_folder(out) as save:
        # Claimed: another save of the same folder fails at once.
        with pytest.raises(FileExistsError, match="Another animecls run"):
            save_results(splits, out)
        assert save(splits) == out
    assert (out / "summary.md").is_file()
    assert not (tmp_path / "splits.incomplete").exists()
    # A block that ends, by an error or without saving, leaves nothing.
    for name in ("failed", "unsaved"):
        with pytest.raises(RuntimeError) if name == "failed" else _nothing():
            with results_folder(tmp_path / name):
                if name == "failed":
                    raise RuntimeError("training broke")
        assert not list(tmp_path.glob(f"{name}*"))
    with pytest.raises(ValueError, match="is the run folder .* or inside it"):
        with results_folder(tmp_path / "run", cache_dir=tmp_path / "run" / "cache"):
            pass


def _nothing():
    import contextlib

    return contextlib.nullcontext()
