import hashlib
import os

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from animecls import _weights  # noqa: E402
from animecls.models import (  # noqa: E402
    WeightsUnavailableError,
    build_vgg16_transfer,
    get_info,
    install_weights,
)

# Nothing listens on port 9 of localhost: Keras' real download code fails at
# once, as it does in a classroom without network, and no test reaches out.
UNREACHABLE = "http://127.0.0.1:9/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(_weights, "VGG16_NOTOP_URL", UNREACHABLE)
    return home


def _publish(monkeypatch, path):
    """Make ``path`` the 'published' weights file: patch the expected md5/size."""
    data = path.read_bytes()
    monkeypatch.setattr(_weights, "VGG16_NOTOP_MD5", hashlib.md5(data).hexdigest())
    monkeypatch.setattr(_weights, "VGG16_NOTOP_SIZE", len(data))


def _legacy_weights_file(path, input_shape=(32, 32, 3)):
    """Write VGG16 weights in the legacy .h5 layout of Keras' published file."""
    h5py = pytest.importorskip("h5py")
    # Keras 3 only writes .weights.h5 publicly; the published ImageNet file is
    # the older layout, written here with Keras' own (private) writer.
    from keras.src.legacy.saving import legacy_h5_format

    keras.utils.set_random_seed(1)
    base = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=input_shape
    )
    with h5py.File(path, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, base)
    return base


def test_offline_imagenet_raises_with_the_three_ways_out(keras_home):
    with pytest.raises(WeightsUnavailableError) as info:
        build_vgg16_transfer((32, 32, 3), weights="imagenet")
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert UNREACHABLE in message
    assert str(keras_home / "models" / _weights.VGG16_NOTOP_FILENAME) in message
    assert "connect to the internet once" in message
    assert "animecls weights install FILE" in message
    assert "weights=None" in message and 'weights="/path/to/file.h5"' in message
    assert "does not fall back" in message


def test_any_download_failure_is_reported_not_swallowed(keras_home, monkeypatch):
    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure on proxy: 407 -- Proxy Authentication")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    with pytest.raises(WeightsUnavailableError, match="Proxy Authentication"):
        _weights.resolve_vgg16_weights("imagenet")


def test_install_places_checked_file_in_keras_home(keras_home, tmp_path, monkeypatch):
    source = tmp_path / "usb" / "weights.h5"
    source.parent.mkdir()
    source.write_bytes(b"pretend weights " * 64)
    _publish(monkeypatch, source)
    destination = install_weights(source)
    expected = keras_home / "models" / _weights.VGG16_NOTOP_FILENAME
    assert destination == str(expected)
    assert expected.read_bytes() == source.read_bytes()
    assert os.listdir(expected.parent) == [expected.name]  # no temporary left
    # Keras' own cached path now finds it, checks the hash and does not download.
    assert _weights.imagenet_weights_path() == str(expected)


def test_install_refuses_truncated_file(keras_home, tmp_path, monkeypatch):
    source = tmp_path / "weights.h5"
    source.write_bytes(b"x" * 1000)
    _publish(monkeypatch, source)
    truncated = tmp_path / "cut.h5"
    truncated.write_bytes(b"x" * 600)
    with pytest.raises(ValueError, match=r"truncated \(600 bytes instead of 1,000\)"):
        install_weights(truncated)
    assert not (keras_home / "models" / _weights.VGG16_NOTOP_FILENAME).exists()


def test_install_refuses_a_file_of_another_size_without_reading_it(
    keras_home, tmp_path, monkeypatch
):
    other = tmp_path / "resnet.h5"
    # Sparse: as large as a video picked by mistake, on no disk space.
    with open(other, "wb") as file:
        file.truncate(4 * 2**30)

    def never(*args, **kwargs):
        raise AssertionError("the file was read to be hashed")

    monkeypatch.setattr(_weights, "_file_hash", never)
    with pytest.raises(
        ValueError,
        match=r"without reading it: it is not the published .* \(4,294,967,296 "
        r"bytes instead of 58,889,256\)\. Received: path=",
    ):
        install_weights(other)
    assert not (keras_home / "models").exists()


def test_install_refuses_a_file_of_the_right_size_and_wrong_md5(
    keras_home, tmp_path, monkeypatch
):
    source = tmp_path / "weights.h5"
    source.write_bytes(b"x" * 1000)
    _publish(monkeypatch, source)
    other = tmp_path / "other.h5"
    other.write_bytes(b"y" * 1000)
    with pytest.raises(ValueError) as info:
        install_weights(other)
    message = str(info.value)
    assert f"Keras publishes {_weights.VGG16_NOTOP_MD5}" in message
    assert "Received: path=" in message
    assert not (keras_home / "models" / _weights.VGG16_NOTOP_FILENAME).exists()


def test_install_refuses_missing_file(keras_home, tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: path="):
        install_weights(tmp_path / "nope.h5")


def test_installed_weights_are_used_by_imagenet(keras_home, tmp_path, monkeypatch):
    source = tmp_path / "vgg16.h5"
    reference = _legacy_weights_file(source)
    _publish(monkeypatch, source)
    install_weights(source)
    model = build_vgg16_transfer((32, 32, 3), weights="imagenet")
    loaded = model.get_layer("vgg16").get_layer("block1_conv1").get_weights()[0]
    expected = reference.get_layer("block1_conv1").get_weights()[0]
    np.testing.assert_array_equal(loaded, expected)
    assert get_info(model)["weights"]["weights"] == "imagenet"


def test_local_weights_file_is_loaded_and_recorded(tmp_path):
    path = tmp_path / "base.weights.h5"
    keras.utils.set_random_seed(3)
    base = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    base.save_weights(path)
    model = build_vgg16_transfer((32, 32, 3), weights=str(path))
    np.testing.assert_array_equal(
        model.get_layer("vgg16").get_layer("block5_conv3").get_weights()[0],
        base.get_layer("block5_conv3").get_weights()[0],
    )
    record = get_info(model)["weights"]
    assert record["weights"] == str(path)
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_bad_weights_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="Received: weights="):
        build_vgg16_transfer((32, 32, 3), weights=str(tmp_path / "missing.h5"))
    with pytest.raises(TypeError, match="Received: weights=3"):
        build_vgg16_transfer((32, 32, 3), weights=3)
    junk = tmp_path / "junk.weights.h5"
    junk.write_bytes(b"not hdf5")
    with pytest.raises((ValueError, OSError), match="junk.weights.h5"):
        build_vgg16_transfer((32, 32, 3), weights=str(junk))


def test_describe_weights():
    assert _weights.describe_weights(None) == {"weights": "none"}
    assert _weights.describe_weights("imagenet")["weights"] == "imagenet"


def test_keras_cache_dir_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert _weights.vgg16_weights_cache_path() == str(
        tmp_path / "models" / _weights.VGG16_NOTOP_FILENAME
    )
    monkeypatch.delenv("KERAS_HOME")
    assert _weights.keras_cache_dir().endswith(".keras")
