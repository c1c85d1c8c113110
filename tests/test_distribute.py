"""Several devices and mixed precision, as Keras' guides use them, without a GPU.

Two logical CPU devices stand in for two GPUs: ``MirroredStrategy`` then runs
one replica on each, so the multi-device path (mirrored variables, batches
split between replicas, gradients summed across them) is exercised on any
machine. Logical devices must be configured before TensorFlow initialises,
so those tests run in a fresh interpreter.
"""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from animecls.models import (  # noqa: E402
    build_drawn_transfer,
    build_two_layer_cnn,
    build_vgg16_transfer,
)
from animecls.training import fit_model  # noqa: E402

BUILDERS = {
    "two_layer_cnn": "build_two_layer_cnn((32, 32, 3), pooling='avg', dense_units=8{})",
    "vgg16_transfer": "build_vgg16_transfer((32, 32, 3), weights=None, head='avg'{})",
    # With its shipped weights: the backbone loads inside the strategy too.
    "drawn_transfer": "build_drawn_transfer((32, 32, 3){})",
}

SCRIPT = """
import json, tempfile
import numpy as np
import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
)
import keras
from animecls.models import (
    build_drawn_transfer, build_two_layer_cnn, build_vgg16_transfer,
    load_model, save_model,
)
from animecls.training import fit_model, fit_transfer_head

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
rng = np.random.default_rng(0)
# 16 pictures, batches of 4: 12 to train on and 4 to validate, so every batch
# gives each replica 2 pictures (TF 2.21's oneDNN convolution fails on a
# replica left with an empty share of a last, partial batch).
x = rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
y = np.arange(16) % 3
keras.utils.set_random_seed(0)
model = {build}
history = {fit}(model, x, y, epochs=1, batch_size=4, validation_split=0.25, verbose=0)
predictions = model.predict(x, batch_size=4, verbose=0)
path = save_model(model, tempfile.mkdtemp() + "/model.keras", class_names=list("abc"))
loaded = load_model(path).predict(x, batch_size=4, verbose=0)
print(json.dumps({{
    "replicas": strategy.num_replicas_in_sync,
    "same_strategy": model.distribute_strategy is strategy,
    "mirrored": type(model.trainable_weights[0].value).__name__,
    "recorded_replicas": history.settings["replicas"],
    "loss": history.history["loss"],
    "val_loss": history.history["val_loss"],
    "n_val": history.n_val,
    "sums": predictions.sum(axis=1).tolist(),
    "reload_error": float(np.abs(loaded - predictions).max()),
}}))
"""


def _run_on_two_devices(name, fit="fit_model"):
    build = BUILDERS[name].format(", strategy=strategy")
    code = textwrap.dedent(SCRIPT).format(build=build, fit=fit)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check_two_replicas_trained(result):
    assert result["replicas"] == 2 == result["recorded_replicas"]
    assert result["same_strategy"]
    # The weights live on both devices, kept equal by the strategy.
    assert result["mirrored"] == "MirroredVariable"
    assert np.isfinite(result["loss"] + result["val_loss"]).all()
    assert result["n_val"] == 4
    np.testing.assert_allclose(result["sums"], 1.0, rtol=1e-5)
    assert result["reload_error"] < 1e-5


def test_the_cnn_trains_on_two_devices_and_saves():
    _check_two_replicas_trained(_run_on_two_devices("two_layer_cnn"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "fit"),
    [
        ("vgg16_transfer", "fit_model"),
        ("vgg16_transfer", "fit_transfer_head"),
        ("drawn_transfer", "fit_model"),
    ],
)
def test_the_transfer_models_train_on_two_devices_and_save(name, fit):
    _check_two_replicas_trained(_run_on_two_devices(name, fit))


@pytest.mark.parametrize("strategy", ["mirrored", 2, object()])
def test_a_strategy_must_be_a_tf_distribute_strategy(strategy):
    with pytest.raises(ValueError, match=f"Received: strategy={strategy!r}"):
        build_two_layer_cnn((32, 32, 3), strategy=strategy)


def test_the_default_strategy_is_the_one_device_as_before():
    tf = pytest.importorskip("tensorflow")
    model = build_two_layer_cnn(
        (32, 32, 3), pooling="avg", strategy=tf.distribute.get_strategy()
    )
    assert model.distribute_strategy.num_replicas_in_sync == 1


# ----------------------------------------------------------- mixed precision


@pytest.fixture
def mixed_float16():
    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
    assert keras.mixed_precision.global_policy().name == before


@pytest.mark.parametrize(
    "build",
    [
        lambda: build_two_layer_cnn((32, 32, 3), pooling="avg", dense_units=8),
        lambda: build_vgg16_transfer((32, 32, 3), weights=None, head="avg"),
        lambda: build_drawn_transfer((32, 32, 3)),
    ],
    ids=["two_layer_cnn", "vgg16_transfer", "drawn_transfer"],
)
def test_mixed_precision_keeps_the_output_and_loss_in_float32(mixed_float16, build):
    keras.utils.set_random_seed(0)
    model = build()
    # The hidden layers compute in float16, the softmax in float32.
    assert model.get_layer("dense").compute_dtype == "float16"
    assert model.get_layer("predictions").compute_dtype == "float32"
    assert model.output.dtype == "float32"
    x = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8)
    history = fit_model(model, x, np.arange(8) % 3, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # Keras scales the float16 gradients so that small ones do not vanish.
    assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    assert history.settings["dtype_policy"] == "mixed_float16"
    assert model.predict(x[:2], verbose=0).dtype == np.float32


def test_without_mixed_precision_the_output_follows_the_global_policy():
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", dense_units=8)
    assert model.get_layer("predictions").dtype_policy.name == (
        keras.mixed_precision.global_policy().name
    )
