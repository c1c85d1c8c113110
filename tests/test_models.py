import pytest

keras = pytest.importorskip("keras")

from animecls.models import build_two_layer_cnn  # noqa: E402


def test_two_layer_cnn_matches_report_parameter_count():
    model = build_two_layer_cnn()
    assert model.count_params() == 62_990_275
    assert model.get_layer("dense").count_params() == 62_980_352
    assert model.output_shape == (None, 3)


def test_two_layer_cnn_global_pooling_is_small():
    model = build_two_layer_cnn(pooling="avg")
    names = [layer.name for layer in model.layers]
    assert "global_pool" in names and "flatten" not in names
    assert model.count_params() < 30_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (32, 32)}, "Received: input_shape=(32, 32)"),
        ({"num_classes": 1}, "Received: num_classes=1"),
        ({"pooling": "max"}, "Received: pooling='max'"),
        ({"dropout": 1.0}, "Received: dropout=1.0"),
    ],
)
def test_two_layer_cnn_rejects_bad_arguments(kwargs, message):
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        build_two_layer_cnn(**kwargs)


# ---------------------------------------------------------------- Model 2

import numpy as np  # noqa: E402

from animecls import _vgg16  # noqa: E402
from animecls.models import (  # noqa: E402
    VGG16Preprocess,
    build_vgg16_transfer,
    get_info,
    unfreeze_top,
)
from animecls.training import RECIPES, fit_model, fit_transfer_head  # noqa: E402


def _data(n=24, size=32, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    return x, np.arange(n) % classes


def test_vgg16_transfer_is_the_reports_model_2():
    model = build_vgg16_transfer(weights=None)
    names = [layer.name for layer in model.layers]
    assert names == ["image", "preprocess", "vgg16", "flatten", "dense", "predictions"]
    assert model.input_shape == (None, 256, 256, 3)
    base = model.get_layer("vgg16")
    assert not base.trainable
    assert base.count_params() == 14_714_688
    # Flatten of 8x8x512 into Dense(256), then Dense(3).
    assert model.get_layer("dense").count_params() == 8 * 8 * 512 * 256 + 256
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 8_388_864 + 771
    assert model.get_layer("predictions").activation.__name__ == "softmax"


def test_vgg16_transfer_avg_head_and_dropout():
    model = build_vgg16_transfer((32, 32, 3), 4, weights=None, head="avg", dropout=0.3)
    names = [layer.name for layer in model.layers]
    assert "global_pool" in names and "dropout" in names
    assert model.output_shape == (None, 4)


def test_sigmoid_output_reproduces_the_reports_mistake():
    keras.utils.set_random_seed(0)
    x, _ = _data(4)
    softmax = build_vgg16_transfer((32, 32, 3), weights=None)
    keras.utils.set_random_seed(0)
    sigmoid = build_vgg16_transfer(
        (32, 32, 3), weights=None, output_activation="sigmoid"
    )
    np.testing.assert_allclose(softmax.predict(x, verbose=0).sum(axis=1), 1, rtol=1e-5)
    scores = sigmoid.predict(x, verbose=0)
    assert get_info(sigmoid)["output_activation"] == "sigmoid"
    # Independent scores: they do not sum to one.
    assert np.abs(scores.sum(axis=1) - 1).max() > 0.1


def test_preprocess_layer_matches_keras_preprocess_input():
    x, _ = _data(2, size=8)
    expected = keras.applications.vgg16.preprocess_input(x.astype("float32"))
    np.testing.assert_allclose(VGG16Preprocess()(x).numpy(), expected, rtol=1e-6)


def test_preprocess_layer_keeps_the_name_saved_files_refer_to():
    # Saved .keras files name the layer by this key, wherever the class lives.
    registered = keras.saving.get_registered_name(VGG16Preprocess)
    assert registered == "animecls>VGG16Preprocess"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (16, 16, 3)}, "Received: input_shape=(16, 16, 3)"),
        ({"input_shape": (32, 32, 1)}, "Received: input_shape=(32, 32, 1)"),
        ({"num_classes": 1}, "Received: num_classes=1"),
        ({"head": "max"}, "Received: head='max'"),
        ({"output_activation": "relu"}, "Received: output_activation='relu'"),
        ({"dropout": -0.1}, "Received: dropout=-0.1"),
    ],
)
def test_vgg16_transfer_rejects_bad_arguments(kwargs, message):
    kwargs = {"input_shape": (32, 32, 3), "weights": None, **kwargs}
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        build_vgg16_transfer(**kwargs)


def test_unfreeze_top_follows_the_transfer_learning_guide():
    model = unfreeze_top(build_vgg16_transfer((32, 32, 3), weights=None))
    base = model.get_layer("vgg16")
    trainable = [layer.name for layer in base.layers if layer.trainable]
    assert trainable == ["block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)
    n_trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert n_trainable == 3 * (3 * 3 * 512 * 512 + 512) + 512 * 256 + 256 + 771
    model = unfreeze_top(model, from_layer="block4_conv1")
    assert base.get_layer("block4_conv1").trainable
    assert not base.get_layer("block3_conv3").trainable


def test_unfreeze_top_rejects_bad_input():
    model = build_vgg16_transfer((32, 32, 3), weights=None)
    with pytest.raises(ValueError, match="Received: from_layer='block9_conv1'"):
        unfreeze_top(model, from_layer="block9_conv1")
    with pytest.raises(ValueError, match="has no layer named 'vgg16'"):
        unfreeze_top(build_two_layer_cnn((32, 32, 3), pooling="avg"))


# ---------------------------------------------------------------- recipes


def test_recipes_are_the_reports():
    assert RECIPES["two_layer_cnn"]["optimizer"] == "adam"
    assert RECIPES["two_layer_cnn"]["learning_rate"] == 5e-4
    assert RECIPES["two_layer_cnn"]["epochs"] == 15
    assert RECIPES["vgg16_transfer"]["optimizer"] == "rmsprop"
    assert RECIPES["vgg16_transfer"]["learning_rate"] == 2e-5
    assert RECIPES["vgg16_transfer"]["epochs"] == 10
    assert {r["validation_split"] for r in RECIPES.values()} == {0.2}


def test_fit_model_uses_the_builders_recipe_and_records_it():
    x, y = _data()
    model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    history = fit_model(model, x, y, epochs=1, verbose=0)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(5e-4)
    assert history.settings["recipe"] == "two_layer_cnn"
    assert history.fit_time > 0
    info = get_info(model)["training"]
    assert info["epochs"] == 1 and info["learning_rate"] == 5e-4
    assert info["mode"] == "images"


def test_same_seed_gives_the_same_history():
    x, y = _data()

    def run(seed):
        keras.utils.set_random_seed(seed)
        model = build_two_layer_cnn((32, 32, 3), dense_units=16)
        return fit_model(model, x, y, epochs=2, random_state=seed, verbose=0).history

    first, second = run(0), run(0)
    assert first == second
    assert run(1) != first


def test_cached_head_training_equals_training_on_pictures():
    x, y = _data(30)

    def run(fit):
        keras.utils.set_random_seed(0)
        model = build_vgg16_transfer((32, 32, 3), weights=None)
        history = fit(
            model, x, y, epochs=2, learning_rate=1e-3, shuffle=False, verbose=0
        )
        return model, history

    naive_model, naive = run(fit_model)
    cached_model, cached = run(fit_transfer_head)
    for key, values in naive.history.items():
        np.testing.assert_allclose(cached.history[key], values, rtol=1e-4, atol=1e-6)
    # The trained head is the full model's head: it predicts on pictures.
    np.testing.assert_allclose(
        cached_model.predict(x, verbose=0),
        naive_model.predict(x, verbose=0),
        rtol=1e-4,
        atol=1e-6,
    )
    assert get_info(cached_model)["training"]["mode"] == "cached features"
    assert 0 < cached.extraction_time <= cached.fit_time


def test_cached_head_reuses_features_on_disk(tmp_path, monkeypatch):
    x, y = _data()
    keras.utils.set_random_seed(0)
    model = build_vgg16_transfer((32, 32, 3), weights=None, head="avg")
    fit_transfer_head(model, x, y, epochs=1, cache_dir=tmp_path, verbose=0)
    assert len(list(tmp_path.glob("features-*.npy"))) == 1

    def no_extraction(*args, **kwargs):
        raise AssertionError("features were recomputed")

    monkeypatch.setattr(_vgg16, "predict_in_batches", no_extraction)
    fit_transfer_head(model, x, y, epochs=1, cache_dir=tmp_path, verbose=0)
    changed = x.copy()
    changed[0, 0, 0, 0] ^= 1
    with pytest.raises(AssertionError, match="recomputed"):
        fit_transfer_head(model, changed, y, epochs=1, cache_dir=tmp_path, verbose=0)


def test_cached_head_refuses_a_trainable_base():
    x, y = _data()
    model = unfreeze_top(build_vgg16_transfer((32, 32, 3), weights=None))
    with pytest.raises(ValueError, match="trainable base layers"):
        fit_transfer_head(model, x, y, epochs=1, verbose=0)


def test_fit_rejects_bad_input():
    x, y = _data()
    model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    with pytest.raises(ValueError, match="the class counts differ"):
        fit_model(model, x, np.arange(24) % 5, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Received: x with shape \(24, 32, 32, 1\)"):
        fit_model(model, x[..., :1], y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="empty batch"):
        fit_model(model, x[:0], y[:0], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Received: recipe='model3'"):
        fit_model(model, x, y, recipe="model3", verbose=0)
    with pytest.raises(ValueError, match="Received: 24 pictures, 23 labels"):
        fit_model(model, x, y[:-1], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="pass recipe="):
        fit_model(keras.Sequential([keras.Input((32, 32, 3))]), x, y, verbose=0)


def test_training_prints_recipe_and_weights(capsys):
    x, y = _data(6)
    model = build_vgg16_transfer((32, 32, 3), weights=None, head="avg")
    fit_transfer_head(model, x, y, epochs=1, verbose=2, validation_split=0.0)
    out = capsys.readouterr().out
    assert "recipe vgg16_transfer (rmsprop, learning rate 2e-05" in out
    assert "weights: none" in out


# ---------------------------------------------------------------- augmentation, L2

import json  # noqa: E402

from animecls.models import load_model, make_augmentation, save_model  # noqa: E402


def test_augmentation_and_l2_add_no_parameters():
    plain = build_two_layer_cnn((32, 32, 3))
    model = build_two_layer_cnn((32, 32, 3), augmentation=True, l2=1e-4)
    assert model.count_params() == plain.count_params()
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["image", "augmentation", "rescale"]
    assert names[1:] == ["augmentation"] + [layer.name for layer in plain.layers][1:]
    info = get_info(model)
    assert info["augmentation"] == [
        "RandomFlip",
        "RandomRotation",
        "RandomZoom",
        "RandomTranslation",
        "RandomContrast",
    ]
    assert info["l2"] == 1e-4
    assert get_info(plain)["augmentation"] is None and get_info(plain)["l2"] == 0


def test_l2_penalises_every_kernel():
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", l2=1e-3)
    regularised = [
        layer.name
        for layer in model.layers
        if getattr(layer, "kernel_regularizer", None) is not None
    ]
    assert regularised == ["conv1", "conv2", "dense", "predictions"]
    assert len(model.losses) == 4
    assert build_two_layer_cnn((32, 32, 3), pooling="avg").losses == []


def test_augmentation_changes_pictures_only_in_training():
    x, _ = _data(4)
    augmentation = make_augmentation(random_state=0)
    assert [layer.name for layer in augmentation.layers] == [
        "flip",
        "rotation",
        "zoom",
        "translation",
        "contrast",
    ]
    assert augmentation.get_layer("flip").mode == "horizontal"
    changed = augmentation(x, training=True).numpy()
    assert not np.allclose(changed, x)
    np.testing.assert_array_equal(augmentation(x, training=False).numpy(), x)
    again = make_augmentation(random_state=0)(x, training=True).numpy()
    np.testing.assert_array_equal(again, changed)
    other = make_augmentation(random_state=1)(x, training=True).numpy()
    assert not np.allclose(other, changed)
    # Inside a model, predict never augments.
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", augmentation=True)
    model_without = keras.Model(
        model.get_layer("rescale").input, model.output, name="without"
    )
    np.testing.assert_allclose(
        model.predict(x, verbose=0), model_without.predict(x, verbose=0), rtol=1e-6
    )


def test_make_augmentation_switches_changes_off():
    augmentation = make_augmentation(flip="vertical", rotation=0, contrast=0.0)
    assert [layer.name for layer in augmentation.layers] == [
        "flip",
        "zoom",
        "translation",
    ]
    assert augmentation.get_layer("flip").mode == "vertical"
    assert [layer.name for layer in make_augmentation(flip=False).layers][0] == (
        "rotation"
    )


def test_a_custom_augmentation_layer_keeps_the_stable_name():
    flip = keras.layers.RandomFlip("horizontal", seed=0, name="my_flip")
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", augmentation=flip)
    assert model.get_layer("augmentation").layers == [flip]
    assert get_info(model)["augmentation"] == ["RandomFlip"]
    named = make_augmentation(random_state=0)
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", augmentation=named)
    assert model.get_layer("augmentation") is named


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"flip": "diagonal"}, "Received: flip='diagonal'"),
        ({"rotation": 0.5}, r"rotation must be a number in \[0, 0.5\)"),
        ({"zoom": -0.1}, "Received: zoom=-0.1"),
        ({"translation": 1.0}, "Received: translation=1.0"),
        ({"contrast": "high"}, "Received: contrast='high'"),
        ({"random_state": 1.5}, "Received: random_state=1.5"),
        (
            {"flip": False, "rotation": 0, "zoom": 0, "translation": 0, "contrast": 0},
            "pass augmentation=None",
        ),
    ],
)
def test_make_augmentation_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_augmentation(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"l2": -1e-3}, "Received: l2=-0.001"),
        ({"l2": "big"}, "Received: l2='big'"),
        ({"augmentation": "flip"}, "Received: augmentation of type str"),
    ],
)
def test_two_layer_cnn_rejects_bad_regularisation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_two_layer_cnn((32, 32, 3), **kwargs)


def test_save_and_load_keep_augmentation_and_l2(tmp_path):
    x, _ = _data(4)
    keras.utils.set_random_seed(0)
    model = build_two_layer_cnn(
        (32, 32, 3),
        pooling="avg",
        augmentation=make_augmentation(random_state=3),
        l2=1e-3,
    )
    path = save_model(model, tmp_path / "cnn.keras", class_names=["a", "b", "c"])
    loaded = load_model(path)
    assert [layer.name for layer in loaded.layers] == [
        layer.name for layer in model.layers
    ]
    # Compared as JSON: the loaded config has lists where the built one has tuples.
    configs = [
        json.dumps(m.get_layer("augmentation").get_config()) for m in (model, loaded)
    ]
    assert configs[0] == configs[1]
    assert '"seed": 3' in configs[0]
    assert loaded.get_layer("conv1").kernel_regularizer.get_config() == {"l2": 1e-3}
    assert get_info(loaded)["l2"] == 1e-3
    assert get_info(loaded)["augmentation"] == get_info(model)["augmentation"]
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6
    )
