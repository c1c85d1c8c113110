"""A network animecls saves loads with plain Keras, in an interpreter without animecls.

The file is a ``.keras`` archive: Keras ignores animecls' own member
(``animecls.json``), and every layer is one of Keras' own, so nothing needs
to be imported or registered first.
"""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from animecls.models import (
    VGG16Preprocess,
    build_drawn_transfer,
    build_two_layer_cnn,
    build_vgg16_transfer,
    load_model,
    make_augmentation,
    save_model,
    unfreeze_top,
)

SHAPE = (32, 32, 3)
CLASSES = ["a", "b", "c"]


def _kinds():
    """Every kind of network animecls builds, at 32x32, seeded."""
    keras.utils.set_random_seed(0)
    yield "two_layer_cnn", build_two_layer_cnn(SHAPE, augmentation=make_augmentation())
    yield "vgg16_transfer", build_vgg16_transfer(SHAPE, weights=None)
    yield "vgg16_finetune", unfreeze_top(build_vgg16_transfer(SHAPE, weights=None))
    yield "drawn_transfer", build_drawn_transfer(SHAPE)
    yield "drawn_finetune", unfreeze_top(build_drawn_transfer(SHAPE))


# Loads each file with Keras alone, predicts, and says whether animecls (or
# anything of it) was imported along the way.
_PLAIN_LOAD = """
import json, sys
import keras
import numpy as np

files, pictures, out = json.loads(sys.argv[1])
x = np.load(pictures)
predictions = {}
for name, path in files.items():
    model = keras.saving.load_model(path)
    predictions[name] = model.predict(x, verbose=0)
np.savez(out, **predictions)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "animecls")))
"""


@pytest.mark.slow
def test_every_kind_loads_with_plain_keras_and_predicts_the_same(tmp_path):
    pictures = np.random.default_rng(0).integers(0, 256, (4, *SHAPE), dtype=np.uint8)
    np.save(tmp_path / "x.npy", pictures)
    files, expected = {}, {}
    for name, model in _kinds():
        path = save_model(model, tmp_path / f"{name}.keras", class_names=CLASSES)
        files[name] = str(path)
        expected[name] = model.predict(pictures, verbose=0)
    argument = json.dumps([files, str(tmp_path / "x.npy"), str(tmp_path / "p.npz")])
    out = subprocess.run(
        [sys.executable, "-c", _PLAIN_LOAD, argument],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == []
    with np.load(tmp_path / "p.npz") as got:
        assert sorted(got.files) == sorted(expected)
        for name in expected:
            np.testing.assert_allclose(got[name], expected[name], rtol=1e-6, atol=0)


def test_the_transfer_model_preprocesses_as_keras_does():
    # The preprocessing layer is built in, and gives preprocess_input's
    # numbers to float32 precision, on integers and on fractions of 0-255.
    model = build_vgg16_transfer(SHAPE, weights=None)
    layer = model.get_layer("preprocess")
    assert type(layer) is keras.layers.Dense and not layer.trainable
    assert layer.dtype_policy.compute_dtype == "float32"
    assert layer.count_params() == 12 and not layer.trainable_weights
    rng = np.random.default_rng(0)
    for x in (
        rng.integers(0, 256, (2, 5, 7, 3)).astype("float32"),
        rng.uniform(0, 255, (2, 5, 7, 3)).astype("float32"),
    ):
        expected = keras.applications.vgg16.preprocess_input(x.copy())
        np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-7, atol=0)
        old = VGG16Preprocess()(x)
        np.testing.assert_allclose(np.asarray(old), expected, rtol=1e-7, atol=0)


def test_fine_tuning_leaves_the_preprocessing_frozen():
    model = unfreeze_top(build_vgg16_transfer(SHAPE, weights=None))
    assert not model.get_layer("preprocess").trainable
    names = {w.path.split("/")[0] for w in model.trainable_weights}
    assert "preprocess" not in names


# A file saved before the builders used Keras' own layers: the registered
# VGG16Preprocess in front of the base.
def _old_transfer_model():
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=SHAPE)
    base.trainable = False
    inputs = keras.Input(shape=SHAPE, name="image")
    x = VGG16Preprocess(name="preprocess")(inputs)
    x = keras.layers.Flatten(name="flatten")(base(x, training=False))
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="vgg16_transfer")


@pytest.mark.slow
def test_a_file_with_the_old_preprocessing_layer_still_loads(tmp_path):
    keras.utils.set_random_seed(0)
    model = _old_transfer_model()
    path = save_model(model, tmp_path / "old.keras", class_names=CLASSES)
    pictures = np.random.default_rng(1).integers(0, 256, (2, *SHAPE), dtype=np.uint8)
    loaded = load_model(path)
    assert type(loaded.get_layer("preprocess")) is VGG16Preprocess
    np.testing.assert_allclose(
        loaded.predict(pictures, verbose=0),
        model.predict(pictures, verbose=0),
        rtol=1e-6,
    )
    # And in a fresh interpreter, where animecls' load_model registers it.
    code = textwrap.dedent(
        f"""
        from animecls.models import load_model
        model = load_model({str(path)!r})
        print(type(model.get_layer("preprocess")).__name__)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["VGG16Preprocess"]
