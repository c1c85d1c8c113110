import csv
import json
import re

import numpy as np
import pytest

pytest.importorskip("keras")

from animecls import _weights  # noqa: E402
from animecls.comparison import (  # noqa: E402
    MODEL_NAMES,
    ImageNetFallbackWarning,
    compare_models,
)
from animecls.datasets import make_characters, save_image_folder  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    return make_characters(12, image_size=(32, 32), random_state=1)


@pytest.fixture(scope="module")
def run(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "first"
    result = compare_models(tiny, epochs=1, weights=None, out_dir=out, verbose=0)
    return result, out


def test_every_model_gets_a_row_on_the_same_test_set(run):
    result, _ = run
    assert [row["model"] for row in result.table] == list(MODEL_NAMES)
    assert result.split["n_test"] == 11  # ceil(0.3 * 36)
    assert result.split["n_fit"] + result.split["n_val"] == 25
    for row in result.table:
        assert row["accuracy_low"] <= row["test_accuracy"] <= row["accuracy_high"]
        assert row["gap"] == pytest.approx(row["train_accuracy"] - row["val_accuracy"])
        assert row["verdict"] in {
            "overfitting",
            "fitting",
            "underfitting",
            "inconclusive",
        }
        assert row["parameters"] > 0 and row["fit_time_s"] >= 0
    weights = {row["model"]: row["weights"] for row in result.table}
    assert weights["vgg16_transfer"] == weights["vgg16_svm"] == "none"
    # the best model has no p-value against itself; every other one has one
    pvalues = [row["mcnemar_p_vs_best"] for row in result.table]
    assert sum(p is None for p in pvalues) == 1
    assert all(0 <= p <= 1 for p in pvalues if p is not None)


def _best_by_validation(table):
    """The first row of highest validation accuracy: what "best" saves."""
    return max(table, key=lambda row: row["val_accuracy"])["model"]


def _suffix(name):
    return ".skops" if name.endswith("_svm") else ".keras"


def test_run_folder_holds_table_figures_histories_and_the_best_model(run, tiny):
    from animecls.models import load_model, predict

    result, out = run
    assert result.run_dir == str(out)
    assert not out.with_name(out.name + ".incomplete").exists()
    with open(out / "results.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["model"] for r in rows] == list(MODEL_NAMES)
    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "| two_layer_cnn |" in markdown and "McNemar" in markdown
    histories = json.loads((out / "histories.json").read_text(encoding="utf-8"))
    assert len(histories["two_layer_cnn"]["val_loss"]) == 1
    for key in (
        "comparison",
        "samples",
        "curves_two_layer_cnn",
        "confusion_pixels_svm",
    ):
        assert (out / "figures" / f"{key}.png").stat().st_size > 1000
    # Only what the default promises: no model but the best by validation.
    assert sorted(p.name for p in out.iterdir()) == [
        "figures",
        "histories.json",
        "models",
        "results.csv",
        "results.md",
        "run.json",
    ]
    best = _best_by_validation(result.table)
    file = f"models/{best}{_suffix(best)}"
    assert [p.name for p in (out / "models").iterdir()] == [file[7:]]
    size = (out / file).stat().st_size
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["save_models"] == "best"
    assert record["saved_models"] == {best: {"file": file, "bytes": size}}
    assert record["models_not_saved"] == {}
    assert result.saved_models == {best: str(out / file)}
    assert f"Saved model, for `animecls predict`: `{file}`" in markdown
    assert "highest validation accuracy" in markdown
    # The saved model is the trained one: it loads and names the same pictures.
    pictures = tiny.images[:6]
    loaded = predict(load_model(out / file), pictures).labels
    trained = predict(result.models[best], pictures, class_names=result.class_names)
    assert list(loaded) == list(trained.labels)


def test_never_overwrites_an_earlier_run(run, tiny):
    _, out = run
    before = (out / "results.csv").read_bytes()
    with pytest.raises(FileExistsError, match="never writes into an earlier run"):
        compare_models(tiny, models=["pixels_svm"], out_dir=out, verbose=0)
    assert (out / "results.csv").read_bytes() == before


def test_same_seed_same_table(tiny):
    kwargs = {"models": ["two_layer_cnn", "pixels_svm"], "epochs": 1, "verbose": 0}
    first = compare_models(tiny, **kwargs)
    second = compare_models(tiny, **kwargs)
    for a, b in zip(first.table, second.table, strict=True):
        assert a["test_accuracy"] == b["test_accuracy"]
        assert a["val_accuracy"] == b["val_accuracy"]


def test_folder_and_bunch_give_the_same_split(tiny, tmp_path):
    save_image_folder(tiny, tmp_path / "set")
    kwargs = {"models": ["pixels_svm"], "verbose": 0}
    from_folder = compare_models(tmp_path / "set", image_size=32, **kwargs)
    from_bunch = compare_models(tiny, **kwargs)
    np.testing.assert_array_equal(
        from_folder.evaluations["pixels_svm"].y_true,
        from_bunch.evaluations["pixels_svm"].y_true,
    )
    assert from_folder.table[0]["test_accuracy"] == from_bunch.table[0]["test_accuracy"]


def test_auto_weights_fall_back_loudly_when_offline(tiny, monkeypatch):
    def offline():
        raise _weights.WeightsUnavailableError("no network")

    monkeypatch.setattr(_weights, "imagenet_weights_path", offline)
    with pytest.warns(ImageNetFallbackWarning, match="random weights"):
        result = compare_models(tiny, models=["vgg16_svm"], verbose=0)
    assert result.table[0]["weights"] == "none (ImageNet unavailable)"


def test_explicit_imagenet_offline_is_an_error(tiny, monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")  # as get_file raises

    monkeypatch.setattr("keras.utils.get_file", offline)
    with pytest.raises(_weights.WeightsUnavailableError, match="Three ways out"):
        compare_models(tiny, models=["vgg16_svm"], weights="imagenet", verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"models": ["resnet"]}, ValueError, r"Received: models=\['resnet'\]"),
        ({"models": []}, ValueError, r"Received: models=\[\]"),
        ({"epochs": 0}, ValueError, "Received: epochs=0"),
        ({"save_models": "some"}, ValueError, "Received: save_models='some'"),
        ({"save_models": None}, ValueError, "Received: save_models=None"),
        ({"save_models": 1}, ValueError, r"True \(all\) or False \(none\)\. Rec"),
        ({"validation_split": 1.0}, ValueError, "Received: validation_split=1.0"),
        ({"image_size": 16}, ValueError, "Received: image_size=16"),
        ({"image_size": 48}, ValueError, "data holds 32x32 pictures"),
        # Checked even when no model uses it, as the experiments do.
        (
            {"models": ["pixels_svm"], "drawn_weights": "missing.weights.h5"},
            ValueError,
            "Received: drawn_weights='missing.weights.h5'",
        ),
    ],
)
def test_bad_arguments(tiny, kwargs, error, message):
    with pytest.raises(error, match=message):
        compare_models(tiny, verbose=0, **kwargs)


def test_bad_data_type():
    with pytest.raises(TypeError, match="Received: data of type list"):
        compare_models([1, 2, 3], verbose=0)


def test_interrupted_run_never_looks_complete_and_can_be_rerun(
    tiny, tmp_path, monkeypatch
):
    from animecls import comparison

    out = tmp_path / "run"
    kwargs = {"models": ["pixels_svm"], "out_dir": out, "verbose": 0}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(comparison, "_save_figures", interrupted)
        with pytest.raises(KeyboardInterrupt):
            compare_models(tiny, **kwargs)
    assert not out.exists()
    partial = tmp_path / "run.incomplete"
    assert (partial / ".animecls-incomplete").exists()

    result = compare_models(tiny, **kwargs)
    assert result.run_dir == str(out) and not partial.exists()
    assert not (out / ".animecls-incomplete").exists()


def test_a_foreign_incomplete_folder_is_left_alone(tiny, tmp_path):
    foreign = tmp_path / "run.incomplete"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="was not made by animecls"):
        compare_models(tiny, models=["pixels_svm"], out_dir=tmp_path / "run", verbose=0)
    assert (foreign / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize("save_models", [False, "none"])
def test_models_can_be_left_unsaved(tiny, tmp_path, capsys, save_models):
    out = tmp_path / "run"
    result = compare_models(
        tiny, models=["pixels_svm"], out_dir=out, save_models=save_models
    )
    assert not (out / "models").exists() and result.saved_models == {}
    assert (out / "results.csv").exists()
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["save_models"] == "none" and record["saved_models"] == {}
    # Nothing says a model was saved.
    assert "Saved model" not in (out / "results.md").read_text(encoding="utf-8")
    (wrote,) = [
        line for line in capsys.readouterr().err.splitlines() if "Wrote" in line
    ]
    assert wrote == (
        f"Wrote {out}/ (results.md, results.csv, run.json, histories.json, figures/)."
    )


@pytest.mark.parametrize(
    ("validation", "saved"),
    [
        # Chosen as the worse of the two on the test pictures would be.
        ("1 - test", "worse on test"),
        ((0.5, 0.5), "pixels_svm"),  # a tie goes to the first in the table
        ((None, 0.1), "color_histogram_svm"),  # a score beats none
    ],
)
def test_the_best_model_is_chosen_by_validation_accuracy(
    tiny, tmp_path, monkeypatch, capsys, validation, saved
):
    from animecls import comparison

    real = comparison.fit_and_score
    names = ["pixels_svm", "color_histogram_svm"]

    def fit_and_score(entry, *args, **kwargs):
        outcome = real(entry, *args, **kwargs)
        row = outcome.row
        row["val_accuracy"] = (
            1 - row["test_accuracy"]
            if validation == "1 - test"
            else validation[names.index(row["model"])]
        )
        return outcome

    monkeypatch.setattr(comparison, "fit_and_score", fit_and_score)
    out = tmp_path / "run"
    result = compare_models(tiny, models=names, out_dir=out)
    if saved == "worse on test":
        accuracy = {row["model"]: row["test_accuracy"] for row in result.table}
        # The tiny set is drawn so that the two differ on the test pictures.
        assert accuracy[names[0]] != accuracy[names[1]]
        saved = min(names, key=accuracy.get)
    assert list(result.saved_models) == [saved]
    assert [p.name for p in (out / "models").iterdir()] == [f"{saved}.skops"]
    (wrote,) = [
        line for line in capsys.readouterr().err.splitlines() if "Wrote" in line
    ]
    assert re.search(
        rf"figures/, models/{saved}\.skops: [\d.]+ KiB, the best by validation "
        r"accuracy\)\.$",
        wrote,
    )


def test_saved_networks_leave_out_the_optimizer_state(tmp_path):
    import zipfile

    import h5py
    import keras

    from animecls.models import ModelFileError, load_model, save_model
    from animecls.training import fit_model

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8), np.arange(6) % 3
    model = tiny_cnn((32, 32, 3), 3)
    fit_model(model, x, y, recipe="two_layer_cnn", epochs=1, verbose=0)

    def weight_groups(path):
        with zipfile.ZipFile(path) as archive, archive.open("model.weights.h5") as f:
            with h5py.File(f, "r") as weights:
                return set(weights)

    small = save_model(model, tmp_path / "small.keras", class_names="abc")
    full = save_model(
        model, tmp_path / "full.keras", class_names="abc", include_optimizer=True
    )
    assert "optimizer" not in weight_groups(small)
    assert "optimizer" in weight_groups(full)
    # Plain Keras loads it uncompiled, as Keras 2 did without the optimizer;
    # load_model compiles it again with the saved settings.
    assert not keras.saving.load_model(small).compiled
    loaded = load_model(small)
    assert loaded.compiled and loaded.loss == "categorical_crossentropy"
    assert type(loaded.optimizer) is type(model.optimizer)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(5e-4)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    onehot = keras.utils.to_categorical(y, 3)
    assert loaded.evaluate(x, onehot, verbose=0) == pytest.approx(
        model.evaluate(x, onehot, verbose=0)
    )
    # The settings come from the file: checked as its config.json is.
    for compile_config, message in (
        (
            {"loss": {"module": "os", "class_name": "function", "config": "system"}},
            "holds code in its compile settings",
        ),
        (["adam"], "its 'compile_config' is not a JSON dict"),
    ):
        tampered = tmp_path / "tampered.keras"
        with zipfile.ZipFile(small) as source, zipfile.ZipFile(tampered, "w") as out:
            for member in source.namelist():
                data = source.read(member)
                if member == "animecls.json":
                    metadata = json.loads(data)
                    metadata["compile_config"] = compile_config
                    data = json.dumps(metadata)
                out.writestr(member, data)
        with pytest.raises(ModelFileError, match=message):
            load_model(tampered)
    with pytest.raises(ValueError, match="Received: include_optimizer='no'"):
        save_model(
            model, tmp_path / "x.keras", class_names="abc", include_optimizer="no"
        )


def _flat_logistic():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    def flatten(x):
        return x.reshape(len(x), -1) / 255.0

    return make_pipeline(FunctionTransformer(flatten), LogisticRegression(max_iter=200))


def tiny_cnn(input_shape, num_classes):
    import keras

    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def test_your_own_models_get_rows_like_the_built_in_ones(tiny, tmp_path, capsys):
    out = tmp_path / "run"
    result = compare_models(
        tiny,
        models=["pixels_svm", ("logistic", _flat_logistic()), tiny_cnn],
        epochs=1,
        out_dir=out,
        save_models="all",
    )
    assert [row["model"] for row in result.table] == [
        "pixels_svm",
        "logistic",
        "tiny_cnn",
    ]
    rows = {row["model"]: row for row in result.table}
    # 3 classes x 3,072 pixels of coefficients, and 3 intercepts
    assert rows["logistic"]["parameters"] == 3 * 32 * 32 * 3 + 3
    # Conv2D(4, 3x3) and Dense(3): (27 * 4 + 4) + (4 * 3 + 3)
    assert rows["tiny_cnn"]["parameters"] == 112 + 15
    assert rows["tiny_cnn"]["epochs_run"] == 1
    best = max(result.table, key=lambda row: row["test_accuracy"])["model"]
    assert all(
        (row["mcnemar_p_vs_best"] is None) == (row["model"] == best)
        for row in result.table
    )
    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "| logistic |" in markdown and "| tiny_cnn |" in markdown
    assert (out / "figures" / "confusion_logistic.png").exists()
    assert (out / "figures" / "curves_tiny_cnn.png").exists()
    # A network of your own is saved and loads for predict; an estimator
    # animecls cannot save without pickle is left out.
    assert sorted(p.name for p in (out / "models").iterdir()) == [
        "pixels_svm.skops",
        "tiny_cnn.keras",
    ]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["save_models"] == "all"
    assert list(record["saved_models"]) == ["pixels_svm", "tiny_cnn"]
    assert "pickle" in record["models_not_saved"]["logistic"]
    assert "logistic was not saved: Cannot save this pipeline" in markdown
    assert "`models/tiny_cnn.keras`" in markdown and "in all." in markdown
    err = capsys.readouterr().err
    assert "    logistic not saved: Cannot save this pipeline" in err
    assert re.search(r"figures/, models/ \(2 models, [\d.]+ KiB\)\)\.\n", err)


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (["pixels_svm", "pixels_svm"], r"\['pixels_svm'\] appear more than once"),
        ([_flat_logistic(), _flat_logistic()], "appear more than once"),
        ([("my model", _flat_logistic())], "Received: name='my model'"),
        ([("pixels_svm", _flat_logistic())], "Received: name='pixels_svm'"),
        ([42], "Received: 'int': 42"),
        ("pixels_svm", "Received: models='pixels_svm'"),
    ],
)
def test_bad_models_are_refused_before_training(tiny, models, message):
    with pytest.raises(ValueError, match=message):
        compare_models(tiny, models=models, verbose=0)


def test_a_builder_with_the_wrong_outputs_is_named(tiny):
    def two_outputs(input_shape, num_classes):
        return tiny_cnn(input_shape, 2)

    with pytest.raises(ValueError, match="'two_outputs' must end in 3 outputs"):
        compare_models(tiny, models=[two_outputs], epochs=1, verbose=0)


def test_both_vgg16_models_read_one_shared_base(tiny, monkeypatch):
    from animecls import _vgg16

    calls = []
    real = _vgg16.base_features

    def counting(extractor, x, **kwargs):
        calls.append(len(x))
        return real(extractor, x, **kwargs)

    monkeypatch.setattr(_vgg16, "base_features", counting)
    result = compare_models(
        tiny, models=["vgg16_transfer", "vgg16_svm"], epochs=1, weights=None, verbose=0
    )
    # once, for every picture of the run
    assert calls == [36]
    assert result.split["feature_times_s"]["vgg16"] > 0
    # the frozen base learns nothing: only the head's weights are counted
    head = result.models["vgg16_transfer"].get_layer("dense")
    assert result.table[0]["parameters"] == sum(
        int(np.prod(w.shape)) for w in result.models["vgg16_transfer"].trainable_weights
    )
    assert head.trainable


def test_the_saved_vgg16_svm_predicts_pictures_as_in_the_table(tiny, tmp_path):
    from animecls.datasets import split_indices
    from animecls.models import predict

    out = tmp_path / "run"
    result = compare_models(
        tiny, models=["vgg16_svm"], weights=None, out_dir=out, verbose=0
    )
    test = result.evaluations["vgg16_svm"]
    names = result.class_names
    split = split_indices(tiny, random_state=42)
    predicted = predict(out / "models" / "vgg16_svm.skops", tiny.images[split.test])
    assert predicted.labels == [names[i] for i in test.y_pred]


def test_a_function_that_makes_an_estimator_is_called_once(tiny):
    result = compare_models(tiny, models=[_flat_logistic], verbose=0)
    assert [row["model"] for row in result.table] == ["_flat_logistic"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (None, "neither an estimator nor a function"),
        ("keras_model", "without get_params"),
        ("a_class", "a class, not an instance"),
        ("makes_a_list", "returned list, not an estimator"),
    ],
)
def test_what_is_not_a_model_is_named_before_training(tiny, item, message):
    from sklearn.svm import SVC

    item = {
        "keras_model": tiny_cnn((32, 32, 3), 3),
        "a_class": SVC,
        "makes_a_list": lambda: [],
    }.get(item, item)
    with pytest.raises(ValueError, match=message):
        compare_models(tiny, models=[("mine", item)], verbose=0)


def test_knobs_are_checked():
    from animecls._engine import Workspace, fit_and_score, resolve_models

    data = make_characters(6, image_size=(32, 32), random_state=0)
    space = Workspace(
        data, weights=None, weights_label="none", seed=0, epochs=1, cache_dir=None
    )
    (entry,) = resolve_models(["vgg16_transfer"])
    index = np.arange(len(data.target))
    with pytest.raises(ValueError, match="Received: finetune='no'"):
        fit_and_score(entry, space, index, index, seed=0, options={"finetune": "no"})
    with pytest.raises(ValueError, match=r"Received: options=\{'dropout': 0.1\}"):
        fit_and_score(entry, space, index, index, seed=0, options={"dropout": 0.1})


def test_verdict_weighs_the_gap_by_the_rows_validation_pictures(run):
    from animecls.evaluation import generalization_gap

    result, _ = run
    row = next(row for row in result.table if row["model"] == "pixels_svm")
    # An SVM has no loss curve: its verdict is the gap's, on n_val pictures.
    alone = {"loss": [0.0], "val_loss": [0.0]}
    alone["accuracy"], alone["val_accuracy"] = (
        [row["train_accuracy"]],
        [row["val_accuracy"]],
    )
    assert row["verdict"] == generalization_gap(alone, n_val=row["n_val"]).verdict


def test_verdict_of_the_issue_cases_and_of_restored_weights():
    from animecls._engine import _verdict

    def curves(val_loss):
        # The engine puts its own final accuracies in place of the last epoch's.
        n = len(val_loss)
        return {
            "accuracy": [0.5] * n,
            "val_accuracy": [0.5] * n,
            "loss": list(np.linspace(0.8, 0.01, n)),
            "val_loss": val_loss,
        }

    # Train 1.0 against 23 of 26, validation loss still falling: not overfitting.
    falling = curves([0.9, 0.6, 0.5])
    assert _verdict(falling, 1.0, 23 / 26, 26) == "inconclusive"
    # 13 of 26, validation loss rising for the last 3 epochs: overfitting.
    rising = curves([0.9, 0.5, 0.6, 0.7, 0.8])
    assert _verdict(rising, 1.0, 13 / 26, 26) == "overfitting"
    # Early stopping kept epoch 2's weights: its later loss is not the model's.
    assert _verdict(rising, 1.0, 25 / 26, 26) == "overfitting"
    assert _verdict(rising, 1.0, 25 / 26, 26, phases=[(5, 2)]) == "inconclusive"
    assert _verdict(None, 1.0, None, 0) is None


def test_a_row_with_random_weights_says_so_in_its_model_cell(run):
    result, _ = run
    lines = {line.split(" | ")[0][2:]: line for line in result.markdown.splitlines()}
    assert "vgg16_svm (random weights)" in lines
    assert "vgg16_transfer (random weights)" in lines
    assert "two_layer_cnn" in lines and "pixels_svm" in lines
