import json
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")
PIL = pytest.importorskip("PIL")

from PIL import Image  # noqa: E402

from animecls.datasets import SkippedFilesWarning  # noqa: E402
from animecls.embeddings import ColorHistogram, RawPixels, make_embedding_svm  # noqa: E402
from animecls.models import (  # noqa: E402
    ModelFileError,
    build_two_layer_cnn,
    build_vgg16_transfer,
    get_info,
    load_model,
    predict,
    save_model,
)
from animecls.training import fit_model  # noqa: E402

NAMES = ["Yor Forger", "Micchon Shikimori", "Marin Kitagawa"]


def _data(n=12, size=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    return x, np.arange(n) % 3


@pytest.fixture(scope="module")
def cnn():
    keras.utils.set_random_seed(0)
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", dense_units=8)
    fit_model(model, *_data(), epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def cnn_file(cnn, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "cnn.keras"
    save_model(cnn, path, class_names=NAMES)
    return path


@pytest.fixture
def picture_folder(tmp_path):
    folder = tmp_path / "new"
    folder.mkdir()
    x, _ = _data(3, size=40)
    for index, picture in enumerate(x):
        Image.fromarray(picture).save(folder / f"p{index}.png")
    Image.fromarray(x[0]).convert("L").save(folder / "grey.jpg")
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_keras_round_trip_keeps_names_settings_and_weights(cnn, cnn_file):
    with zipfile.ZipFile(cnn_file) as archive:
        metadata = json.loads(archive.read("animecls.json"))
    assert metadata["class_names"] == NAMES
    assert metadata["input_shape"] == [32, 32, 3]
    assert metadata["info"]["weights"] == {"weights": "none"}
    assert metadata["info"]["training"]["recipe"] == "two_layer_cnn"
    assert "Rescaling" in metadata["info"]["preprocessing"]
    loaded = load_model(cnn_file)
    x, _ = _data(4)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), cnn.predict(x, verbose=0), rtol=1e-6
    )
    assert get_info(loaded)["saved"]["class_names"] == NAMES


def test_vgg16_transfer_round_trip_with_safe_mode(tmp_path):
    model = build_vgg16_transfer((32, 32, 3), weights=None, head="avg")
    path = save_model(model, tmp_path / "vgg.keras", class_names=NAMES)
    loaded = load_model(path)  # safe_mode=True: the preprocessing is no Lambda
    x, _ = _data(2)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5
    )
    assert not loaded.get_layer("vgg16").trainable


def test_predict_on_array_single_picture_file_and_folder(cnn, cnn_file, picture_folder):
    x, _ = _data(5)
    result = predict(cnn_file, x)
    expected = cnn.predict(x, verbose=0)
    np.testing.assert_allclose(result.probabilities, expected, rtol=1e-5)
    assert result.labels == [NAMES[i] for i in expected.argmax(axis=1)]
    assert result.filenames is None and result.skipped == []
    assert predict(cnn_file, x[0]).probabilities.shape == (1, 3)

    # Chosen by content, as the loaders choose: the text file is named, not read.
    with pytest.warns(SkippedFilesWarning, match=r"(?s)Left out 1 file.*notes\.txt"):
        folder = predict(cnn_file, picture_folder)
    assert [path for path, _ in folder.skipped] == [str(picture_folder / "notes.txt")]
    assert [name.rsplit("/", 1)[-1] for name in folder.filenames] == [
        "grey.jpg",
        "p0.png",
        "p1.png",
        "p2.png",
    ]
    assert folder.probabilities.shape == (4, 3)
    assert set(folder.labels) <= set(NAMES)
    one = predict(cnn_file, picture_folder / "p1.png")
    np.testing.assert_allclose(one.probabilities[0], folder.probabilities[2])
    # An in-memory model needs its class names from the caller.
    assert predict(cnn, x, class_names=NAMES).labels == result.labels


@pytest.mark.parametrize("probability", [False, True])
def test_pipeline_round_trip_without_pickle(tmp_path, probability):
    x, y = _data(30, size=16)
    names = np.asarray(NAMES)[y]
    pipeline = make_embedding_svm(
        ColorHistogram(bins=3), kernel="rbf", probability=probability
    ).fit(x, names)
    path = save_model(pipeline, tmp_path / "svm.skops", image_size=(16, 16))
    with np.load(path, allow_pickle=False) as archive:  # no object arrays inside
        assert "animecls_metadata" in archive.files
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), pipeline.predict(x))
    result = predict(path, x)
    assert result.class_names == sorted(NAMES)
    assert result.labels == list(pipeline.predict(x))
    if probability:
        np.testing.assert_allclose(result.probabilities, pipeline.predict_proba(x))
    else:
        assert result.probabilities is None


def test_a_loaded_pipeline_has_the_record_layout_of_a_network(tmp_path, cnn_file):
    from animecls.embeddings import VGG16Embedder

    x, y = _data(6)
    embedder = VGG16Embedder(weights=None, image_size=(32, 32), verbose=0)
    pipeline = make_embedding_svm(embedder).fit(x, y)
    path = save_model(
        pipeline, tmp_path / "vgg.skops", class_names=NAMES, image_size=32
    )
    info = get_info(load_model(path))
    assert info["saved"]["kind"] == "sklearn"
    assert info["saved"]["class_names"] == NAMES
    assert info["weights"] == {"weights": "none"}
    # A pipeline adds its own labels ("classes") to a network's entries.
    assert set(get_info(load_model(cnn_file))["saved"]) < set(info["saved"])
    # Saved again, the record is not doubled inside the estimator's state.
    again = save_model(load_model(path), tmp_path / "again.skops", image_size=32)
    assert get_info(load_model(again))["weights"] == {"weights": "none"}


def test_pipeline_on_integer_labels_needs_names_and_size(tmp_path):
    x, y = _data(30, size=16)
    pipeline = make_embedding_svm(RawPixels(image_size=(4, 4))).fit(x, y)
    path = save_model(
        pipeline, tmp_path / "pixels.skops", class_names=NAMES, image_size=(16, 16)
    )
    assert predict(path, x[:3]).labels == [NAMES[i] for i in pipeline.predict(x[:3])]
    with pytest.raises(ValueError, match="Received: image_size=None"):
        save_model(pipeline, tmp_path / "h.skops", class_names=NAMES)
    with pytest.raises(ValueError, match=r"takes pictures of 16x16x3"):
        predict(path, _data(2, size=32)[0])


# --------------------------------------------------------------- bad input


def test_wrong_picture_shape(cnn_file):
    with pytest.raises(
        ValueError, match=r"takes pictures of 32x32x3.*\(2, 40, 40, 3\)"
    ):
        predict(cnn_file, np.zeros((2, 40, 40, 3), np.uint8))


@pytest.mark.parametrize("channels", [1, 4])
def test_wrong_channel_count(cnn_file, channels):
    with pytest.raises(
        ValueError, match=f"Received: images with shape .*{channels}\\)"
    ):
        predict(cnn_file, np.zeros((2, 32, 32, channels), np.uint8))


def test_empty_batch(cnn_file, tmp_path):
    with pytest.raises(ValueError, match="empty batch"):
        predict(cnn_file, np.zeros((0, 32, 32, 3), np.uint8))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no pictures"):
        predict(cnn_file, tmp_path / "empty")


def test_class_count_mismatch(cnn, cnn_file, tmp_path):
    with pytest.raises(ValueError, match="3 outputs but 2 class names"):
        save_model(cnn, tmp_path / "m.keras", class_names=NAMES[:2])
    with pytest.raises(ValueError, match="the class counts differ"):
        predict(cnn_file, np.zeros((1, 32, 32, 3)), class_names=["a", "b", "c", "d"])


def test_files_from_something_else(tmp_path, cnn):
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a zip archive"):
        load_model(text)
    plain = tmp_path / "plain.keras"
    cnn.save(plain)  # Keras' own file, without animecls metadata
    with pytest.raises(ModelFileError, match="Keras file without animecls metadata"):
        predict(plain, np.zeros((1, 32, 32, 3)))
    arrays = tmp_path / "arrays.npz"
    np.savez(arrays, weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="not saved by animecls"):
        load_model(arrays)
    with pytest.raises(FileNotFoundError, match="No model file"):
        load_model(tmp_path / "missing.keras")


def test_npz_naming_a_foreign_class_is_refused(tmp_path):
    document = {
        "metadata": {"format": "animecls-model", "kind": "sklearn"},
        "estimator": {"__estimator__": "os.system", "state": {}},
    }
    path = tmp_path / "evil.npz"
    np.savez(path, animecls_metadata=np.asarray(json.dumps(document)))
    with pytest.raises(ModelFileError, match="'os.system', which animecls does not"):
        load_model(path)


def test_save_rejects_wrong_extension_and_objects(cnn, tmp_path):
    with pytest.raises(ValueError, match=r"Received: path='.*cnn\.h5'"):
        save_model(cnn, str(tmp_path / "cnn.h5"), class_names=NAMES)
    with pytest.raises(TypeError, match="Received: model of type builtins.dict"):
        save_model({}, tmp_path / "x.skops")
    with pytest.raises(ValueError, match="class_names is required"):
        save_model(cnn, tmp_path / "cnn.keras")


def test_unreadable_picture_file(cnn_file, picture_folder):
    with pytest.raises(ValueError, match="Cannot read .*notes.txt"):
        predict(cnn_file, [picture_folder / "notes.txt"])
    with pytest.raises(FileNotFoundError, match="No picture at"):
        predict(cnn_file, [picture_folder / "nope.png"])


def test_picture_files_are_read_a_batch_at_a_time(tmp_path, monkeypatch):
    # A folder of many pictures at a large input size must not be decoded
    # into one array: files are read batch_size at a time.
    import animecls._predict as predict_module
    from animecls.datasets import save_image_folder

    x, y = _data(12, size=16)
    names = np.asarray(NAMES)[y]
    pipeline = make_embedding_svm(ColorHistogram(bins=3), kernel="rbf").fit(x, names)
    model = save_model(pipeline, tmp_path / "svm.skops", image_size=(16, 16))
    paths = save_image_folder(
        {"images": x, "target": y, "class_names": NAMES}, tmp_path / "set"
    )
    read = []
    real = predict_module._read_pictures

    def counting(chunk, size):
        read.append(len(chunk))
        return real(chunk, size)

    monkeypatch.setattr(predict_module, "_read_pictures", counting)
    whole = predict(model, x)
    by_file = predict(model, paths, batch_size=5)
    assert read == [5, 5, 2]
    assert by_file.labels == whole.labels
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        predict(model, paths, batch_size=0)
