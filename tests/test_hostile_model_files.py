"""Hostile model files and caches (issue 14): each is built here, in tmp_path.

A model file or a cache entry comes from elsewhere, so it is untrusted input:
it may hold code, point at other files, declare sizes that would exhaust the
memory, nest deeper than Python parses, or hold values of the wrong types.
Each must be refused with a ``ModelFileError`` naming the file (and the limit,
when one is exceeded), or for a cache entry a ``CacheWarning`` and a
recompute; and nothing may be written, here or anywhere the file names.

.ci/run-lowest runs this module on the lowest supported Keras too.
"""

import copy
import io
import json
import os
import pickle
import re
import struct
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from animecls import _cache, _pipeline_file, _untrusted  # noqa: E402
from animecls.datasets import make_characters  # noqa: E402
from animecls.embeddings import (  # noqa: E402
    CacheWarning,
    VGG16Embedder,
    make_baseline,
    make_embedding_svm,
)
from animecls.models import (  # noqa: E402
    ModelFileError,
    build_two_layer_cnn,
    get_info,
    load_model,
    predict,
    save_model,
)

NAMES = ["a", "b"]


@pytest.fixture(autouse=True)
def nothing_written(tmp_path, monkeypatch):
    """Run in an empty folder with an empty Keras home; both stay empty.

    Loading or predicting must not write where a model file says, nor
    download anything.
    """
    cwd, home = tmp_path / "cwd", tmp_path / "keras_home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("KERAS_HOME", str(home))
    yield
    assert sorted(os.listdir(cwd)) == []
    assert sorted(os.listdir(home)) == []


def refused(path, pattern, **kwargs):
    """Load ``path``; it must be refused with a message naming it and matching."""
    with pytest.raises(ModelFileError) as caught:
        load_model(path, **kwargs)
    message = str(caught.value)
    assert message.startswith(repr(str(path))), message
    assert re.search(pattern, message), message
    return message


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(path, changes, *, compression=zipfile.ZIP_STORED):
    """Rewrite the archive at ``path`` with some members replaced (bytes)."""
    content = {**members(path), **changes}
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in content.items():
            archive.writestr(name, data)


def bomb_member(path, name, size):
    """Replace member ``name`` of the archive by ``size`` deflated spaces."""
    content = {k: v for k, v in members(path).items() if k != name}
    with zipfile.ZipFile(path, "w") as archive:
        for key, data in content.items():
            archive.writestr(key, data)
        # Written a MiB at a time: the test's memory stays small too.
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            for _ in range(size // 2**20):
                member.write(b" " * 2**20)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def forged_npy_header(shape, dtype="<f8"):
    """A .npy file whose header declares ``shape`` and which holds 16 bytes."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + b"\0" * 16


# ------------------------------------------------------------------- networks


@pytest.fixture(scope="module")
def tiny_model():
    keras.utils.set_random_seed(0)
    return build_two_layer_cnn((16, 16, 3), 2, pooling="avg", dense_units=4)


@pytest.fixture
def network_file(tmp_path, tiny_model):
    path = tmp_path / "models" / "tiny.keras"
    path.parent.mkdir()
    save_model(tiny_model, path, class_names=NAMES)
    return path


def change_config(path, change):
    config = json.loads(members(path)["config.json"])
    change(config)
    rewrite(path, {"config.json": json.dumps(config).encode()})


def keras_never_reads(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("Keras read a file animecls should have refused")

    monkeypatch.setattr(keras.saving, "load_model", never)


def _lambda_model():
    inputs = keras.Input((4, 4, 3))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="doubles")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def test_a_model_holding_code_is_refused_unless_trusted(tmp_path):
    path = tmp_path / "lambda.keras"
    save_model(_lambda_model(), path, class_names=["a", "b"])
    refused(
        path,
        r"holds code that loading would run \(a 'Lambda' entry\).*"
        r"safe_mode=False\)\. Received: safe_mode=True",
    )
    with pytest.raises(ModelFileError, match="holds code"):
        predict(path, np.zeros((1, 4, 4, 3), np.uint8))
    model = load_model(path, safe_mode=False)
    assert model.get_layer("doubles") is not None
    with pytest.raises(ValueError, match="Received: safe_mode='no'"):
        load_model(path, safe_mode="no")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"module": "os", "class_name": "system"}, "'system' from the module 'os'"),
        # The shapes of CVE-2025-8747 and CVE-2025-9906: Keras' own functions.
        (
            {"module": "keras.utils", "class_name": "get_file"},
            "'get_file' from the module 'keras.utils'",
        ),
        (
            {
                "module": "keras.models",
                "class_name": "function",
                "config": "load_model",
            },
            "the function 'load_model' from the module 'keras.models'",
        ),
        # Keras finds a function by its name, not by its registered name, so a
        # registered name of ours must not let the function through.
        (
            {
                "module": "keras.utils",
                "class_name": "function",
                "config": "get_file",
                "registered_name": "animecls>VGG16Preprocess",
            },
            "the function 'get_file' from the module 'keras.utils'",
        ),
        # Keras 3.10 builds it in safe mode, then runs the SavedModel's graph.
        (
            {
                "module": "keras.layers",
                "class_name": "TFSMLayer",
                "config": {"filepath": "elsewhere", "call_endpoint": "serve"},
            },
            "a 'TFSMLayer' layer, which loads code or a graph from elsewhere",
        ),
        # ...even behind one of our registered names.
        (
            {
                "module": "keras.layers",
                "class_name": "TFSMLayer",
                "registered_name": "animecls>VGG16Preprocess",
            },
            "a 'TFSMLayer' layer",
        ),
        (
            {"module": "keras.layers", "class_name": "TorchModuleWrapper"},
            "a 'TorchModuleWrapper' layer",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "StringLookup",
                "config": {"vocabulary": "/etc/passwd"},
            },
            "reading its vocabulary from the file '/etc/passwd'",
        ),
        # Keras looks a class up as f"{module}.{class_name}": these are the
        # same layers, named from the module "keras".
        (
            {
                "module": "keras",
                "class_name": "layers.TFSMLayer",
                "config": {"filepath": "elsewhere", "call_endpoint": "serve"},
            },
            "a 'layers.TFSMLayer' layer, which loads code or a graph from elsewhere",
        ),
        (
            {"module": "keras", "class_name": "layers.TorchModuleWrapper"},
            "a 'layers.TorchModuleWrapper' layer",
        ),
        (
            {"module": "keras", "class_name": "layers.JaxLayer"},
            "a 'layers.JaxLayer' layer",
        ),
        (
            {"module": "keras", "class_name": "layers.FlaxLayer"},
            "a 'layers.FlaxLayer' layer",
        ),
        (
            {"module": "keras", "class_name": "layers.Lambda"},
            "a 'layers.Lambda' entry",
        ),
        (
            {
                "module": "keras.layers",
                "class_name": "Dense",
                "registered_name": "keras.layers>TFSMLayer",
            },
            "a 'Dense' layer, which loads code",
        ),
        # Any other dotted name reaches past the module it names.
        (
            {"module": "keras", "class_name": "utils.get_file"},
            "the dotted name 'utils.get_file' in the module 'keras'",
        ),
        (
            {
                "module": "keras",
                "class_name": "function",
                "config": "models.load_model",
            },
            "the dotted name 'models.load_model' in the module 'keras'",
        ),
    ],
    ids=[
        "os.system",
        "keras.utils.get_file",
        "keras.models.load_model",
        "function-behind-a-registered-name",
        "TFSMLayer",
        "TFSMLayer-behind-a-registered-name",
        "TorchModuleWrapper",
        "vocabulary-file",
        "keras-layers.TFSMLayer",
        "keras-layers.TorchModuleWrapper",
        "keras-layers.JaxLayer",
        "keras-layers.FlaxLayer",
        "keras-layers.Lambda",
        "TFSMLayer-as-registered-name",
        "keras-utils.get_file",
        "keras-function-models.load_model",
    ],
)
def test_a_config_naming_other_code_is_refused_before_keras_reads_it(
    network_file, monkeypatch, entry, message
):
    change_config(network_file, lambda c: c["config"]["layers"][-1].update(entry))
    keras_never_reads(monkeypatch)
    refused(network_file, re.escape(message) + r".*Received: safe_mode=True")
    with pytest.raises(ModelFileError, match=re.escape(message)):
        predict(network_file, np.zeros((1, 16, 16, 3), np.uint8))


def test_a_tfsm_layer_runs_nothing_on_any_keras_version(tmp_path, network_file):
    """A SavedModel whose graph writes a file: refused, and the graph never ran."""
    tf = pytest.importorskip("tensorflow")
    marker = tmp_path / "graph-ran"

    class Payload(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3], tf.float32)])
        def serve(self, images):
            tf.io.write_file(str(marker), "ran")
            return tf.reduce_mean(images, axis=[1, 2])[:, :2]

    saved = tmp_path / "saved_model"
    tf.saved_model.save(Payload(), str(saved))

    def plant(config):
        layers = config["config"]["layers"]
        layers[1] = {
            "module": "keras.layers",
            "class_name": "TFSMLayer",
            "config": {
                "name": layers[1]["config"]["name"],
                "filepath": str(saved),
                "call_endpoint": "serve",
            },
            "registered_name": None,
        }

    change_config(network_file, plant)
    refused(network_file, "a 'TFSMLayer' layer")
    with pytest.raises(ModelFileError, match="TFSMLayer"):
        predict(network_file, np.zeros((1, 16, 16, 3), np.uint8))
    assert not marker.exists()


def test_a_huge_input_is_refused_before_keras_builds_it(network_file, monkeypatch):
    def huge(config):
        config["config"]["layers"][0]["config"]["batch_shape"] = [None, 60000, 60000, 3]

    change_config(network_file, huge)
    assert network_file.stat().st_size < 100 * 2**10  # a small file
    keras_never_reads(monkeypatch)
    message = refused(
        network_file,
        r"'batch_shape' declares pictures of 10,800,000,000 values, more than the "
        r"50,331,648 \(4096x4096x3\)",
    )
    assert message.endswith("Received: batch_shape=[None, 60000, 60000, 3]")
    # The size is refused whether or not the file is trusted.
    refused(network_file, "declares pictures", safe_mode=False)


def _layer_of(config, class_name):
    return next(
        layer
        for layer in config["config"]["layers"]
        if layer["class_name"] == class_name
    )


@pytest.mark.parametrize(
    ("plant", "message"),
    [
        (
            lambda c: _layer_of(c, "Dense")["config"].update(units=2**30),
            r"declares units=1,073,741,824, more than the 65,536 animecls builds a "
            r"layer with \(MAX_LAYER_UNITS\)\. Received: units=1073741824$",
        ),
        (
            lambda c: _layer_of(c, "Conv2D")["config"].update(filters=10**6),
            r"declares filters=1,000,000, more than the 65,536 .*"
            r"Received: filters=1000000$",
        ),
        (
            lambda c: _layer_of(c, "Conv2D")["config"].update(kernel_size=[512, 512]),
            r"declares a convolution window of 262,144 values, more than the 4,096 "
            r".*\(MAX_KERNEL_WINDOW\)\. Received: kernel_size=\[512, 512\]$",
        ),
        (
            lambda c: _layer_of(c, "Dense").update(
                class_name="Embedding",
                config={"name": "lookup", "input_dim": 2**20, "output_dim": 2**12},
            ),
            r"its layer 'lookup' declares an embedding table of 4,294,967,296 "
            r"values, more than the 268,435,456 .*\(MAX_EMBEDDING_VALUES\)\. "
            r"Received: input_dim=1048576, output_dim=4096$",
        ),
    ],
    ids=["dense-units", "conv-filters", "kernel-size", "embedding"],
)
def test_a_huge_layer_is_refused_before_keras_builds_it(
    network_file, monkeypatch, plant, message
):
    change_config(network_file, plant)
    assert network_file.stat().st_size < 100 * 2**10  # a small file
    keras_never_reads(monkeypatch)
    refused(network_file, message)
    # The size is refused whether or not the file is trusted.
    refused(network_file, message, safe_mode=False)


def test_the_layer_limits_are_what_the_messages_say():
    from animecls import _model_files

    assert _model_files.MAX_LAYER_UNITS == 65_536
    assert _model_files.MAX_KERNEL_WINDOW == 64 * 64
    assert _model_files.MAX_EMBEDDING_VALUES == _untrusted.MAX_MEMBER_BYTES // 4
    # The picture limit's message is derived from the constant.
    assert _model_files._as_picture(_model_files.MAX_INPUT_VALUES) == " (4096x4096x3)"
    assert _model_files._as_picture(100) == ""


@pytest.mark.parametrize(
    "shape",
    ["big", [None, "16", 16, 3], [None, -16, 16, 3], [[None, 4, 4, 3], [None, 10**9]]],
    ids=["string", "string-axis", "negative", "second-input"],
)
def test_a_malformed_input_shape_is_refused(network_file, shape):
    def plant(config):
        config["config"]["layers"][0]["config"]["batch_shape"] = shape

    change_config(network_file, plant)
    refused(network_file, r"'batch_shape' (is not a list|declares).*Received: ")


def test_a_zip_bomb_config_is_refused_unread(network_file, monkeypatch):
    bomb_member(network_file, "config.json", 64 * 2**20)
    assert network_file.stat().st_size < 2**20

    def never(*args, **kwargs):
        raise AssertionError("the bomb was read")

    monkeypatch.setattr(_untrusted.json, "loads", never)
    refused(
        network_file,
        r"its member 'config.json' expands more than 100 times when uncompressed, "
        r"as zip bombs do\. Received: a member of 67,108,864 bytes stored in",
    )


def test_a_zip_bomb_weights_member_is_refused_before_keras(network_file, monkeypatch):
    bomb_member(network_file, "model.weights.h5", 64 * 2**20)
    keras_never_reads(monkeypatch)
    refused(network_file, r"'model.weights.h5' expands more than 100 times")


def test_a_member_over_the_size_limit_is_refused(network_file, monkeypatch):
    monkeypatch.setattr(_untrusted, "MAX_MEMBER_BYTES", 1000)
    refused(
        network_file,
        r"holds more than the 1,000 bytes animecls reads from one member\. "
        r"Received: a member of [\d,]+ bytes",
    )


def test_a_lying_member_size_is_cut_at_the_limit(network_file, monkeypatch):
    # The JSON limit lowered under the real size: the reader stops there.
    monkeypatch.setattr(_untrusted, "MAX_JSON_BYTES", 100)
    refused(network_file, r"'animecls.json' holds more than the 100 bytes")


@pytest.mark.parametrize("member", ["config.json", "animecls.json"])
def test_deeply_nested_json_is_refused_without_recursion(network_file, member):
    rewrite(network_file, {member: b"[" * 100_000 + b"]" * 100_000})
    refused(
        network_file,
        r"nests more than the 100 levels of JSON animecls reads\. "
        r"Received: 100000 levels",
    )


def test_the_depth_is_counted_across_chunks(monkeypatch):
    monkeypatch.setattr(_untrusted, "_DEPTH_CHUNK", 7)
    for levels in (0, 1, 6, 7, 8, 101):
        document = b"[" * levels + b"1" + b"]" * levels
        assert _untrusted._json_depth(b"{}" * 10 + document + b" ") == max(levels, 1)
    with pytest.raises(_untrusted.LimitError, match="Received: 101 levels"):
        _untrusted.parse_json(b"[" * 101 + b"]" * 101)


def test_brackets_inside_strings_are_not_nesting():
    document = json.dumps({"name": "[" * 1000, "escaped": '\\"{' * 500})
    assert _untrusted.parse_json(document.encode())["name"] == "[" * 1000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: ["not", "a", "dict"], "it is not a JSON object. Received: a list"),
        (lambda m: "a string", "it is not a JSON object. Received: a str"),
        (lambda m: {**m, "kind": ["keras"]}, "format and kind are not"),
        (lambda m: {**m, "info": ["x"]}, r"'info' is not a JSON dict"),
        (lambda m: {**m, "class_names": {"a": 1}}, "'class_names' is not a list"),
        (lambda m: {**m, "input_shape": "16x16"}, "'input_shape' is not a list"),
        (
            lambda m: {**m, "input_shape": [60000, 60000, 3]},
            r"'input_shape' declares pictures of 10,800,000,000 values",
        ),
    ],
    ids=["list", "string", "kind", "info", "class_names", "shape-type", "shape-size"],
)
def test_crafted_network_metadata_is_a_model_file_error(network_file, change, message):
    metadata = json.loads(members(network_file)["animecls.json"])
    rewrite(network_file, {"animecls.json": json.dumps(change(metadata)).encode()})
    message = refused(network_file, f"damaged animecls metadata: (its )?{message}")
    assert "Received: " in message


def test_a_missing_or_garbled_config_is_a_model_file_error(network_file):
    rewrite(network_file, {"config.json": b"{not json"})
    refused(network_file, r"damaged config: its 'config.json' is not valid JSON")
    content = members(network_file)
    del content["config.json"]
    with zipfile.ZipFile(network_file, "w") as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    refused(
        network_file,
        r"damaged config: it has no 'config.json' member\. Received: members \[",
    )


def patch_central_entry(path, name, **changes):
    """Change fields of member ``name``'s central directory entry in place.

    ``changes`` maps ``flag_bits``, ``compress_type`` or ``CRC`` to a function
    of the old value. zipfile trusts the central directory for each of them.
    """
    fields = {"flag_bits": (8, "<H"), "compress_type": (10, "<H"), "CRC": (16, "<I")}
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    count, _, start = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        assert data[start : start + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from(
            "<HHH", data, start + 28
        )
        if data[start + 46 : start + 46 + name_length] == name.encode():
            for field, change in changes.items():
                offset, form = fields[field]
                (old,) = struct.unpack_from(form, data, start + offset)
                struct.pack_into(form, data, start + offset, change(old))
            path.write_bytes(bytes(data))
            return
        start += 46 + name_length + extra_length + comment_length
    raise AssertionError(f"no member {name!r}")


DAMAGES = {
    "encrypted": ({"flag_bits": lambda f: f | 0x1}, r"is encrypted, password required"),
    "unknown-compression": (
        {"compress_type": lambda c: 77},
        r"compression method.*not supported",
    ),
    "bad-crc": ({"CRC": lambda c: c ^ 0xFFFFFFFF}, r"Bad CRC-32"),
}


@pytest.mark.parametrize("member", ["animecls.json", "config.json"])
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_network_member_is_a_model_file_error(
    network_file, monkeypatch, member, damage
):
    changes, reason = DAMAGES[damage]
    patch_central_entry(network_file, member, **changes)
    keras_never_reads(monkeypatch)
    message = refused(
        network_file, rf"its member '{member}' is damaged \(.*{reason}.*\)\. Received: "
    )
    assert re.search(
        r"Received: a member of [\d,]+ bytes stored in [\d,]+ bytes "
        r"\(compression method \d+, flags 0x[0-9a-f]{4}\)$",
        message,
    ), message
    with pytest.raises(ModelFileError, match=rf"its member '{member}' is damaged"):
        predict(network_file, np.zeros((1, 16, 16, 3), np.uint8))


def test_a_pickle_named_like_a_model_is_refused(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(pickle.dumps({"not": "a model"}))
    refused(path, "not a zip archive")


# ------------------------------------------------------------------ pipelines


@pytest.fixture(scope="module")
def pictures():
    data = make_characters(10, image_size=(32, 32), random_state=0)
    return data.images, np.asarray(data.class_names)[data.target]


@pytest.fixture(scope="module")
def fitted(pictures):
    images, labels = pictures
    return {
        "pixels": make_baseline("pixels", image_size=(8, 8)).fit(images, labels),
        "histogram": make_baseline("color_histogram", bins=4, probability=True).fit(
            images, labels
        ),
    }


@pytest.fixture
def pipeline_file(tmp_path, fitted):
    path = tmp_path / "models" / "pixels.skops"
    path.parent.mkdir(exist_ok=True)
    save_model(fitted["pixels"], path, image_size=32)
    return path


@pytest.mark.parametrize("suffix", [".skops", ".npz"])
def test_pipelines_are_saved_in_skops_format(tmp_path, fitted, pictures, suffix):
    import skops.io

    images, _ = pictures
    for name, pipeline in fitted.items():
        path = tmp_path / f"{name}{suffix}"
        save_model(pipeline, path, image_size=32)
        assert {"schema.json", "animecls_metadata.npy"} <= set(members(path))
        # skops itself reads the file: only animecls' own classes need trust.
        untrusted = skops.io.get_untrusted_types(file=path)
        assert all(
            t.startswith(("animecls.", "sklearn.calibration._")) for t in untrusted
        )
        skops_loaded = skops.io.load(path, trusted=untrusted)
        loaded = load_model(path)
        expected = pipeline.predict(images)
        np.testing.assert_array_equal(loaded.predict(images), expected)
        np.testing.assert_array_equal(skops_loaded.predict(images), expected)
        assert predict(path, images).labels == list(expected)


# The format of animecls before skops, as it wrote files: a JSON tree of the
# estimators and their state, with arrays as .npy members. Kept here to write
# files as earlier versions did.
def _tree(value, arrays):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        value = np.asarray(value)
        if value.dtype.hasobject:
            value = np.asarray(value.tolist())
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, tuple):
        return {"__tuple__": [_tree(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_tree(v, arrays) for v in value]
    if isinstance(value, dict):
        return {
            "__dict__": [[_tree(k, arrays), _tree(v, arrays)] for k, v in value.items()]
        }
    state = dict(value.__getstate__())
    state.pop("_animecls_info", None)
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    return {"__estimator__": name, "state": _tree(state, arrays)}


def tree_document(pipeline, image_size=32):
    arrays = {}
    classes = pipeline.classes_.tolist()
    metadata = {
        "format": "animecls-model",
        "format_version": 1,
        "kind": "sklearn",
        "class_names": [str(c) for c in classes],
        "classes": classes,
        "input_shape": [image_size, image_size, 3],
        "info": {},
    }
    document = {"metadata": metadata, "estimator": _tree(pipeline, arrays)}
    return document, arrays


def write_tree_file(path, document, arrays):
    content = {"animecls_metadata.npy": npy_bytes(np.asarray(dumps(document)))}
    content.update({f"{key}.npy": npy_bytes(a) for key, a in arrays.items()})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["pixels", "histogram"])
def test_files_of_the_earlier_format_are_still_read(tmp_path, fitted, pictures, name):
    images, _ = pictures
    path = write_tree_file(tmp_path / "old.npz", *tree_document(fitted[name]))
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(images), fitted[name].predict(images))
    assert get_info(loaded)["saved"]["kind"] == "sklearn"


def _set_state(document, estimator, key, value):
    """Set ``key`` of the state of the first ``estimator`` in a tree document."""
    pending = [document["estimator"]]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if node.get("__estimator__", "").endswith(estimator):
                pairs = node["state"]["__dict__"]
                for pair in pairs:
                    if pair[0] == key:
                        pair[1] = value
                        return
                pairs.append([key, value])
                return
            pending.extend(node.values())
    raise AssertionError(f"no {estimator} in the document")


# Stands for JSON nested 5000 levels deep, which json.dumps cannot write.
DEEP = "<5000 levels>"


def dumps(document):
    return json.dumps(document).replace(json.dumps(DEEP), "[" * 5000 + "]" * 5000)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            lambda d: d.update(estimator={"__estimator__": "os.system", "state": {}}),
            "names the class 'os.system', which animecls does not load",
        ),
        (
            lambda d: d.update(estimator={"__estimator__": ["x"], "state": {}}),
            r"names the class \['x'\]",
        ),
        (
            lambda d: _set_state(d, "RawPixels", "image_size", {"__tuple__": "32"}),
            "a '__tuple__' entry holds a JSON str, not a list",
        ),
        (
            lambda d: _set_state(d, "RawPixels", "image_size", {"__tuple__": {"a": 1}}),
            "a '__tuple__' entry holds a JSON dict",
        ),
        (
            lambda d: d["estimator"].update(state={"__dict__": "steps"}),
            r"a '__dict__' entry must hold \[key, value\] pairs",
        ),
        (
            lambda d: d["estimator"].update(state={"__dict__": [[1, 2, 3]]}),
            r"a '__dict__' entry must hold \[key, value\] pairs",
        ),
        (
            lambda d: d["estimator"].update(state={"__dict__": [[[1], 2]]}),
            "has a key that is not a plain value",
        ),
        (
            lambda d: d["estimator"].update(state=["not", "a", "state"]),
            "the state of its sklearn.pipeline.Pipeline is not a dict",
        ),
        (
            lambda d: d["estimator"].update(state="steps"),
            "the state of its sklearn.pipeline.Pipeline is not a dict",
        ),
        (
            lambda d: _set_state(d, "Pipeline", "steps", "abc"),
            r"its pipeline steps are damaged\. Received: steps='abc'",
        ),
        (lambda d: d.update(estimator=[1, 2]), "it holds a list, not a pipeline"),
        (lambda d: d.update(estimator={"weird": 1}), r"unexpected entry \['weird'\]"),
        (
            lambda d: d.update(estimator={"__array__": "missing"}),
            "names a missing array",
        ),
        (
            lambda d: d.update(estimator=DEEP),
            "nests more than the 100 levels",
        ),
        (
            lambda d: _set_state(d, "RawPixels", "image_size", [60000, 60000]),
            r"its step 'embed' is refused: its 'image_size' declares pictures of "
            r"10,800,000,000 values.*Received: image_size=\[60000, 60000\]",
        ),
        (
            lambda d: _set_state(d, "RawPixels", "image_size", "big"),
            "its step 'embed' is damaged: image_size must be an int",
        ),
        (
            lambda d: d["metadata"].update(input_shape=[10**5, 10**5, 3]),
            r"damaged animecls metadata: its 'input_shape' declares pictures of "
            r"30,000,000,000 values",
        ),
        (
            lambda d: d.update(metadata=["a", "list"]),
            "holds no metadata object. Received: a JSON list",
        ),
        (lambda d: d.clear(), "holds no metadata object. Received: a JSON NoneType"),
    ],
    ids=[
        "foreign-class",
        "class-name-list",
        "tuple-of-string",
        "tuple-of-dict",
        "dict-of-string",
        "dict-triples",
        "unhashable-key",
        "state-list",
        "state-string",
        "steps-string",
        "not-a-pipeline",
        "unknown-entry",
        "missing-array",
        "deep-nesting",
        "huge-image-size",
        "image-size-string",
        "huge-input-shape",
        "metadata-list",
        "no-metadata",
    ],
)
def test_crafted_tree_files_are_model_file_errors(tmp_path, fitted, tamper, message):
    document, arrays = tree_document(fitted["pixels"])
    tamper(document)
    path = write_tree_file(tmp_path / "crafted.npz", document, arrays)
    refused(path, message)
    with pytest.raises(ModelFileError):
        predict(path, np.zeros((1, 32, 32, 3), np.uint8))


def test_huge_histogram_bins_are_refused(tmp_path, fitted):
    document, arrays = tree_document(fitted["histogram"])
    _set_state(document, "ColorHistogram", "bins", 10**6)
    path = write_tree_file(tmp_path / "bins.npz", document, arrays)
    refused(path, r"has bins beyond 1 to 256 per channel\. Received: bins=1000000")


def test_an_array_member_holding_a_pickle_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "pickled.npz"
    document = {
        "metadata": {"format": "animecls-model", "kind": "sklearn"},
        "estimator": {"__array__": "a0"},
    }
    np.savez(  # np.savez pickles an array of Python objects
        path,
        animecls_metadata=np.asarray(json.dumps(document)),
        a0=np.array([{"payload": 1}], dtype=object),
    )

    def never(*args, **kwargs):
        raise AssertionError("a file was unpickled")

    monkeypatch.setattr(pickle, "load", never)
    monkeypatch.setattr(pickle, "loads", never)
    refused(path, r"'a0.npy' holds Python objects.*Received: an array of dtype object")


@pytest.mark.parametrize("member", ["a0.npy", "animecls_metadata.npy"])
def test_an_npy_header_declaring_1e14_values_allocates_nothing(
    tmp_path, fitted, member
):
    document, arrays = tree_document(fitted["pixels"])
    path = write_tree_file(tmp_path / "forged.npz", document, arrays)
    rewrite(path, {member: forged_npy_header((10**14,))})
    message = refused(
        path,
        r"declares more than the 1,073,741,824 bytes animecls reads into one "
        r"array\. Received: shape \(100000000000000,\) of float64",
    )
    assert member in message
    # Within the limit but more than the member holds: forged or truncated.
    rewrite(path, {member: forged_npy_header((1000,))})
    refused(path, r"declares more data than it holds .*8,000 bytes\) in 16 bytes")


def test_a_saved_cache_folder_is_not_followed(tmp_path, pictures):
    images, labels = pictures
    saved_cache = tmp_path / "their-cache"
    embedder = VGG16Embedder(
        weights=None, image_size=(32, 32), cache_dir=saved_cache, verbose=0
    )
    pipeline = make_embedding_svm(embedder).fit(images[:12], labels[:12])
    assert saved_cache.is_dir()
    path = tmp_path / "vgg.skops"
    save_model(pipeline, path, image_size=32)
    for child in saved_cache.iterdir():
        child.unlink()
    saved_cache.rmdir()
    assert pipeline.named_steps["embed"].cache_dir == saved_cache  # unchanged
    assert b"their-cache" not in path.read_bytes()  # not saved
    loaded = load_model(path)
    assert loaded.named_steps["embed"].cache_dir is None
    predict(path, images[:2])
    # A file crafted to hold a cache folder (here in the earlier format).
    pipeline.named_steps["embed"].cache_dir = str(saved_cache)
    crafted = write_tree_file(tmp_path / "crafted.npz", *tree_document(pipeline))
    assert load_model(crafted).named_steps["embed"].cache_dir is None
    predict(crafted, images[:2])
    assert not saved_cache.exists()


def test_a_saved_weights_path_is_not_read_in_safe_mode(tmp_path, pictures):
    images, labels = pictures
    embedder = VGG16Embedder(weights=None, image_size=(32, 32), verbose=0)
    pipeline = make_embedding_svm(embedder).fit(images[:12], labels[:12])
    elsewhere = tmp_path / "their-weights.h5"
    pipeline.named_steps["embed"].weights = str(elsewhere)
    path = tmp_path / "vgg.skops"
    save_model(pipeline, path, image_size=32)
    refused(
        path,
        r"its step 'embed' reads the weights file '.*their-weights.h5', a path the "
        r"model file names.*Received: safe_mode=True",
    )
    trusted = load_model(path, safe_mode=False)
    assert trusted.named_steps["embed"].weights == str(elsewhere)
    assert not elsewhere.exists()


# A skops schema naming more than animecls' classes and plain values.
def _skops_schema(path):
    return json.loads(members(path)["schema.json"])


def _replace_node(schema, predicate, change):
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if predicate(node):
                change(node)
                return
            pending.extend(node.values())
    raise AssertionError("no such node")


def _is_class(name):
    return lambda node: node.get("__class__") == name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: _replace_node(
                s, _is_class("StandardScaler"), lambda n: n.update(__module__="os")
            ),
            r"names the class os\.'StandardScaler' \(ObjectNode\)",
        ),
        (
            lambda s: _replace_node(
                s,
                _is_class("StandardScaler"),
                lambda n: n.update(
                    __class__="eval", __module__="builtins", __loader__="FunctionNode"
                ),
            ),
            r"names the class builtins\.'eval' \(FunctionNode\)",
        ),
        # skops trusts every scikit-learn estimator; animecls only its own steps.
        (
            lambda s: _replace_node(
                s,
                _is_class("StandardScaler"),
                lambda n: n.update(
                    __class__="FunctionTransformer",
                    __module__="sklearn.preprocessing._function_transformer",
                ),
            ),
            "names the class .*'FunctionTransformer'",
        ),
        (
            lambda s: _replace_node(
                s,
                _is_class("StandardScaler"),
                lambda n: n.update(
                    content={
                        "__class__": "list",
                        "__module__": "builtins",
                        "__loader__": "ListNode",
                        "content": [],
                    }
                ),
            ),
            "could not be loaded: ",
        ),
        (
            lambda s: _replace_node(
                s, _is_class("SVC"), lambda n: n.update(__loader__=["ObjectNode"])
            ),
            "has a damaged entry",
        ),
        (lambda s: s.update(protocol=DEEP), "nests more than the 100 levels"),
    ],
    ids=[
        "os-class",
        "builtins-eval",
        "other-sklearn",
        "state-list",
        "loader-list",
        "deep",
    ],
)
def test_crafted_skops_schemas_are_model_file_errors(pipeline_file, change, message):
    schema = _skops_schema(pipeline_file)
    change(schema)
    rewrite(pipeline_file, {"schema.json": dumps(schema).encode()})
    refused(pipeline_file, message)


def test_a_skops_array_declaring_1e14_values_allocates_nothing(pipeline_file):
    name = next(n for n in members(pipeline_file) if n[0].isdigit())
    rewrite(pipeline_file, {name: forged_npy_header((10**7, 10**7))})
    refused(pipeline_file, rf"'{name}' declares more than the 1,073,741,824 bytes")


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_pipeline_member_is_a_model_file_error(pipeline_file, damage):
    changes, reason = DAMAGES[damage]
    # The metadata member is an .npy array, read by read_npy_member.
    member = _pipeline_file.METADATA_MEMBER
    patch_central_entry(pipeline_file, member, **changes)
    refused(
        pipeline_file,
        rf"its member '{re.escape(member)}' is damaged \(.*{reason}.*\)\. "
        r"Received: a member of ",
    )


def test_a_damaged_skops_array_is_a_model_file_error(pipeline_file):
    # An array skops would read: its header is checked through the same reader.
    with zipfile.ZipFile(pipeline_file) as archive:
        array = next(
            name
            for name in archive.namelist()
            if name.endswith(".npy") and name != _pipeline_file.METADATA_MEMBER
        )
    patch_central_entry(pipeline_file, array, flag_bits=lambda f: f | 0x1)
    refused(pipeline_file, rf"its member '{re.escape(array)}' is damaged \(.*encrypted")


def test_a_zip_bomb_schema_is_refused_unread(pipeline_file):
    bomb_member(pipeline_file, "schema.json", 64 * 2**20)
    refused(pipeline_file, r"'schema.json' expands more than 100 times")


def test_svm_arrays_that_do_not_fit_together_are_refused(tmp_path, fitted):
    pipeline = copy.deepcopy(fitted["pixels"])
    svm = pipeline.named_steps["svm"]
    svm._n_support = svm._n_support * 1000  # libsvm would read past the arrays
    path = tmp_path / "svm.skops"
    save_model(pipeline, path, image_size=32)
    refused(path, r"its step 'svm' is damaged: the SVC's fitted arrays do not fit")


def test_saving_refuses_what_loading_would_refuse(tmp_path, fitted):
    from sklearn.preprocessing import FunctionTransformer

    pipeline = copy.deepcopy(fitted["pixels"])
    pipeline.steps[1] = ("scale", FunctionTransformer())
    with pytest.raises(TypeError, match="FunctionTransformer is not one of"):
        save_model(pipeline, tmp_path / "f.skops", image_size=32)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "keras_home"]


# ---------------------------------------------------------------------- cache


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (forged_npy_header((10**14,)), "declares more than the 1,073,741,824 bytes"),
        (forged_npy_header((4, 3)), r"declares more data than it holds"),
        (npy_bytes(np.zeros((3, 2))), r"expected floats of shape \(4, 3\)"),
        (forged_npy_header((4, 3), "|O"), "holds Python objects"),
        (npy_bytes(np.zeros((4, 3), np.int64)), "holds a int64 array"),
        (b"\x93NUMPY\x09\x00garbage", "damaged .npy header"),
        (pickle.dumps(np.zeros((4, 3))), "not a .npy file"),
        (b"", "not a .npy file"),
        (npy_bytes(np.zeros((4, 3)))[:-8], "declares more data than it holds"),
    ],
    ids=[
        "1e14-values",
        "truncated-header",
        "wrong-shape",
        "objects",
        "integers",
        "bad-header",
        "pickle",
        "empty",
        "truncated-data",
    ],
)
def test_a_damaged_cache_entry_warns_and_is_recomputed(tmp_path, content, reason):
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / "features-k.npy"
    path.write_bytes(content)
    with pytest.warns(CacheWarning, match=f"damaged cache entry .*{reason}"):
        assert _cache.load(cache, "k", (4, 3)) is None
    assert _cache.store(cache, "k", np.ones((4, 3))) == str(path)
    np.testing.assert_array_equal(_cache.load(cache, "k", (4, 3)), np.ones((4, 3)))


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "dangling-link"])
def test_something_else_in_place_of_a_cache_entry_warns(tmp_path, kind):
    cache = tmp_path / "cache"
    cache.mkdir()
    path = cache / "features-k.npy"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # opening it would wait for a writer
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.symlink_to("gone.npy")
    with pytest.warns(CacheWarning, match="not a regular file"):
        assert _cache.load(cache, "k", (4, 3)) is None


def test_a_damaged_cache_entry_through_the_embedder(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), np.uint8)
    cache = tmp_path / "cache"
    vgg = VGG16Embedder(weights=None, image_size=(32, 32), cache_dir=cache, verbose=0)
    first = vgg.fit_transform(images)
    (entry,) = cache.iterdir()
    entry.write_bytes(forged_npy_header((10**14,)))
    with pytest.warns(CacheWarning, match="declares more than"):
        again = VGG16Embedder(
            weights=None, image_size=(32, 32), cache_dir=cache, verbose=0
        ).transform(images)
    np.testing.assert_allclose(again, first, rtol=1e-5)


def test_the_pipeline_allow_list_is_what_the_docs_name():
    names = set(_pipeline_file.allowed_classes())
    assert "sklearn.pipeline.Pipeline" in names
    assert "animecls.embeddings.VGG16Embedder" in names
    assert not any("FunctionTransformer" in n for n in names)
