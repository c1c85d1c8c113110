import itertools
import json

import numpy as np
import pytest

from animecls.datasets import DEFAULT_CHARACTERS, make_characters

pytest.importorskip("keras")

from animecls._designs import design_distance, random_designs  # noqa: E402


def test_random_designs_are_deterministic_and_distinct():
    first, second = (
        random_designs(50, random_state=3),
        random_designs(50, random_state=3),
    )
    assert first == second
    assert random_designs(50, random_state=4) != first
    assert len({d.name for d in first}) == 50
    # Designs differ: no two are drawn from the same sheet.
    assert min(design_distance(a, b) for a, b in itertools.combinations(first, 2)) > 0


def test_no_pretraining_identity_looks_like_a_default_character():
    designs = random_designs(2000, random_state=0)
    nearest = min(design_distance(d, c) for d in designs for c in DEFAULT_CHARACTERS)
    assert nearest >= 0.5
    # ... so no picture of the default set was ever drawn for pretraining.
    names = {c.name for c in DEFAULT_CHARACTERS}
    assert not names & {d.name for d in designs}


def test_random_designs_feed_make_characters():
    data = make_characters(2, image_size=(32, 32), characters=random_designs(5))
    assert data.images.shape == (10, 32, 32, 3)
    assert len(data.class_names) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, "Received: n=1"),
        ({"n": 3, "random_state": None}, "Received: random_state=None"),
    ],
)
def test_bad_design_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_designs(**kwargs)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    from animecls.pretraining import pretrain_backbone

    out = tmp_path_factory.mktemp("backbone") / "tiny.weights.h5"
    result = pretrain_backbone(
        out,
        n_identities=4,
        n_per_identity=6,
        n_validation_per_identity=2,
        epochs=2,
        verbose=0,
    )
    return result, out


def test_pretraining_writes_weights_and_their_record(pretrained):
    from animecls._backbone import FEATURES, file_sha256

    result, out = pretrained
    record = json.loads(out.with_name("tiny.json").read_text(encoding="utf-8"))
    assert record == result.record
    assert record["sha256"] == file_sha256(out)
    assert record["settings"]["n_identities"] == 4
    assert record["n_pictures"] == {"fit": 16, "validation": 8}
    assert 0 <= record["pretraining_val_accuracy"] <= 1
    assert len(record["history"]["loss"]) == 2
    assert result.backbone.output_shape == (None, FEATURES)


def test_pretrained_weights_load_into_the_builders(pretrained, tmp_path):
    from animecls.embeddings import DrawnEmbedder
    from animecls.models import build_drawn_transfer, get_info

    _, out = pretrained
    images = make_characters(2, image_size=(48, 48), random_state=5).images
    model = build_drawn_transfer((48, 48, 3), weights=out)
    assert get_info(model)["weights"]["weights"] == str(out)
    features = DrawnEmbedder(weights=out, verbose=0).fit_transform(images)
    backbone = model.get_layer("drawn_backbone")
    np.testing.assert_allclose(
        features,
        backbone.predict(
            model.get_layer("resize")(images.astype("float32")), verbose=0
        ),
        rtol=1e-5,
        atol=1e-5,
    )


def test_pretraining_is_deterministic(pretrained):
    from animecls.pretraining import pretrain_backbone

    result, _ = pretrained
    again = pretrain_backbone(
        n_identities=4,
        n_per_identity=6,
        n_validation_per_identity=2,
        epochs=2,
        verbose=0,
    )
    for a, b in zip(result.backbone.weights, again.backbone.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_identities": 1}, "Received: n_identities=1"),
        (
            {"n_per_identity": 4, "n_validation_per_identity": 4},
            "Received: n_validation_per_identity=4",
        ),
        ({"out": "backbone.h5"}, "Received: out='backbone.h5'"),
    ],
)
def test_bad_pretraining_arguments(kwargs, message):
    from animecls.pretraining import pretrain_backbone

    with pytest.raises(ValueError, match=message):
        pretrain_backbone(**kwargs, verbose=0)


def test_weights_must_be_drawn_none_or_a_weights_file(tmp_path):
    from animecls.models import build_drawn_transfer

    with pytest.raises(ValueError, match="Received: weights='imagenet'"):
        build_drawn_transfer(weights="imagenet")
    with pytest.raises(ValueError, match="Received: weights="):
        build_drawn_transfer(weights=tmp_path / "missing.weights.h5")


def test_drawn_transfer_can_reproduce_the_reports_sigmoid_output():
    from animecls.models import build_drawn_transfer, get_info

    images = make_characters(2, image_size=(48, 48), random_state=5).images
    model = build_drawn_transfer((48, 48, 3), output_activation="sigmoid")
    assert get_info(model)["output_activation"] == "sigmoid"
    scores = model.predict(images, verbose=0)
    assert ((scores > 0) & (scores < 1)).all()
    assert not np.allclose(scores.sum(axis=1), 1.0)
    softmax = build_drawn_transfer((48, 48, 3)).predict(images, verbose=0)
    np.testing.assert_allclose(softmax.sum(axis=1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="Received: output_activation='tanh'"):
        build_drawn_transfer(output_activation="tanh")


def test_the_shipped_weights_match_their_record_and_load_offline(capsys):
    from animecls._backbone import (
        DRAWN_RECORD,
        DRAWN_WEIGHTS,
        drawn_record,
        file_sha256,
        load_drawn_backbone,
        resolve_drawn_weights,
    )
    from animecls.pretraining import PRETRAINING

    record = drawn_record()
    assert DRAWN_WEIGHTS.stat().st_size < 10 * 2**20
    assert file_sha256(DRAWN_WEIGHTS) == record["sha256"]
    assert resolve_drawn_weights("drawn") == str(DRAWN_WEIGHTS)
    # The shipped file is what pretrain_backbone's defaults write.
    assert {k: record["settings"][k] for k in PRETRAINING} == PRETRAINING
    # The command's help states the same defaults (cli.py cannot import them:
    # the pretraining module imports TensorFlow).
    from animecls.cli import main

    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for flag, key in (
        ("--identities", "n_identities"),
        ("--per-identity", "n_per_identity"),
        ("--epochs", "epochs"),
        ("--seed", "random_state"),
    ):
        assert f"(default: {PRETRAINING[key]})" in help_text.split(flag)[-1][:80]
    assert record["pretraining_val_accuracy"] > 5 * record["chance"]
    assert record["training_time_s"] > 0 and DRAWN_RECORD.exists()
    backbone = load_drawn_backbone("drawn")
    assert not backbone.trainable
    assert backbone.count_params() == record["n_parameters"]


def test_a_damaged_install_is_an_error(tmp_path, monkeypatch):
    from animecls import _backbone

    damaged = tmp_path / "drawn_backbone.weights.h5"
    damaged.write_bytes(b"not the weights")
    monkeypatch.setattr(_backbone, "DRAWN_WEIGHTS", damaged)
    with pytest.raises(ValueError, match="does not match its record"):
        _backbone.resolve_drawn_weights("drawn")
    monkeypatch.setattr(_backbone, "DRAWN_WEIGHTS", tmp_path / "missing.weights.h5")
    with pytest.raises(FileNotFoundError, match="animecls pretrain"):
        _backbone.resolve_drawn_weights("drawn")


def test_pretrain_command_writes_and_never_overwrites(tmp_path, capsys):
    from animecls.cli import main

    out = tmp_path / "mine.weights.h5"
    argv = ["pretrain", "--out", str(out), "--identities", "3", "--per-identity"]
    assert main([*argv, "5", "--epochs", "1"]) == 0
    assert out.exists() and out.with_name("mine.json").exists()
    assert "pretraining accuracy" in capsys.readouterr().out
    before = out.read_bytes()
    assert main([*argv, "5", "--epochs", "1"]) == 1
    assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_random_backbones_do_not_reset_the_callers_seed():
    import keras

    from animecls.models import build_drawn_transfer

    heads = []
    for seed in (1, 2):
        keras.utils.set_random_seed(seed)
        model = build_drawn_transfer((64, 64, 3), weights=None)
        heads.append(np.asarray(model.get_layer("dense").kernel))
    # The head follows the caller's seed; the random backbone its own.
    assert not np.array_equal(heads[0], heads[1])
    first, second = (
        build_drawn_transfer((64, 64, 3), weights=None, random_state=3)
        .get_layer("drawn_backbone")
        .get_weights()
        for _ in range(2)
    )
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fine_tuning_keeps_the_backbones_batch_statistics():
    from animecls.models import build_drawn_transfer, unfreeze_top
    from animecls.training import fit_model

    data = make_characters(4, image_size=(64, 64), random_state=2)
    model = build_drawn_transfer((64, 64, 3), weights=None)
    unfreeze_top(model)
    backbone = model.get_layer("drawn_backbone")
    trainable = [layer.name for layer in backbone.layers if layer.trainable_weights]
    assert trainable == ["block4_conv1"]
    before = np.asarray(backbone.get_layer("block4_bn1").moving_mean)
    fit_model(
        model, data.images, data.target, recipe="drawn_finetune", epochs=1, verbose=0
    )
    after = np.asarray(backbone.get_layer("block4_bn1").moving_mean)
    np.testing.assert_array_equal(before, after)


def test_grad_cam_and_check_model_work_on_the_drawn_transfer_model():
    from animecls.checks import check_model
    from animecls.interpretation import grad_cam
    from animecls.models import build_drawn_transfer

    data = make_characters(3, image_size=(80, 80), random_state=4)
    model = build_drawn_transfer((80, 80, 3))
    heatmaps = grad_cam(model, data.images[:2])
    assert heatmaps.shape == (2, 80, 80) and float(heatmaps.max()) == 1.0
    # Not mistaken for a VGG16 without its preprocessing (AC002).
    assert not [f for f in check_model(model, data) if f.code == "AC002"]


def test_a_saved_drawn_transfer_loads_with_plain_keras(tmp_path):
    import subprocess
    import sys

    from animecls.models import build_drawn_transfer, save_model

    model = build_drawn_transfer((64, 64, 3))
    path = save_model(model, tmp_path / "drawn.keras", class_names=["a", "b", "c"])
    code = (
        "import keras, sys; m = keras.saving.load_model(sys.argv[1]); "
        "assert 'animecls' not in sys.modules; print(m.output_shape)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(None, 3)" in out.stdout


def test_saved_drawn_models_predict_what_the_table_scored(tmp_path):
    from animecls.comparison import compare_models
    from animecls.datasets import split_indices
    from animecls.models import predict

    data = make_characters(12, image_size=(48, 48), random_state=1)
    out = tmp_path / "run"
    result = compare_models(
        data,
        models=["drawn_transfer", "drawn_svm"],
        epochs=2,
        out_dir=out,
        save_models="all",
        verbose=0,
    )
    test = split_indices(data).test
    for name, suffix in (("drawn_transfer", ".keras"), ("drawn_svm", ".skops")):
        predicted = predict(out / "models" / f"{name}{suffix}", data.images[test])
        expected = [data.class_names[i] for i in result.evaluations[name].y_pred]
        assert predicted.labels == expected
    assert {row["weights"] for row in result.table} == {"drawn"}
