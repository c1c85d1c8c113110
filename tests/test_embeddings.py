import errno
import io
import os

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402

from animecls import embeddings  # noqa: E402
from animecls.embeddings import (  # noqa: E402
    CacheWarning,
    ColorHistogram,
    DrawnEmbedder,
    RawPixels,
    VGG16Embedder,
    make_baseline,
    make_embedding_svm,
)


def _pictures(n=24, size=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def _colour_classes(n_per_class=12, size=16, seed=0):
    """Three classes told apart by a dominant hue, with noise and shading."""
    rng = np.random.default_rng(seed)
    hues = np.array([[220, 40, 40], [40, 200, 60], [50, 70, 230]])
    images, target = [], []
    for label, colour in enumerate(hues):
        for _ in range(n_per_class):
            shade = rng.uniform(0.6, 1.0)
            noise = rng.normal(0, 25, (size, size, 3))
            image = np.clip(colour * shade + noise, 0, 255)
            image[: size // 4] = rng.integers(0, 256, 3)  # random background strip
            images.append(image.astype(np.uint8))
            target.append(label)
    return np.stack(images), np.asarray(target)


def _embedder(**kwargs):
    return VGG16Embedder(
        **{"weights": None, "image_size": (32, 32), "verbose": 0, **kwargs}
    )


# ----------------------------------------------------------- VGG16Embedder


@pytest.mark.parametrize(
    ("pooling", "n_features"), [("avg", 512), ("max", 512), ("flatten", 512)]
)
def test_embedder_shapes(pooling, n_features):
    embedder = _embedder(pooling=pooling).fit(_pictures(4))
    features = embedder.transform(_pictures(4))
    assert features.shape == (4, n_features) and features.dtype == np.float32
    assert embedder.n_features_out_ == n_features
    assert embedder.get_feature_names_out()[0] == f"vgg16_block5_pool_{pooling}0"


def test_embedder_layer_choice_and_resizing():
    # 64x64 pictures resized to 32x32 inside; block4_pool of 32x32 is 2x2x512.
    features = _embedder(layer="block4_pool", pooling="flatten").fit_transform(
        _pictures(3, size=64)
    )
    assert features.shape == (3, 2 * 2 * 512)


def test_embedder_is_a_clonable_sklearn_transformer():
    embedder = _embedder(pooling="max", batch_size=7)
    params = embedder.get_params()
    assert params["pooling"] == "max" and params["batch_size"] == 7
    twin = clone(embedder)
    x = _pictures(5)
    np.testing.assert_array_equal(twin.transform(x), embedder.transform(x))
    # transform needs no fit: nothing is learned.
    assert not hasattr(twin, "n_features_out_")


def test_random_weights_are_seeded():
    x = _pictures(4)
    np.testing.assert_array_equal(
        _embedder(random_state=0).transform(x), _embedder(random_state=0).transform(x)
    )
    assert not np.allclose(
        _embedder(random_state=0).transform(x), _embedder(random_state=1).transform(x)
    )


def test_streamed_inputs_give_the_same_features(tmp_path):
    x = _pictures(20)
    embedder = _embedder(batch_size=8)
    expected = embedder.transform(x)
    chunks = embedder.transform(iter([x[:3], x[3:15], x[15:]]))
    dataset = embedder.transform(
        tf.data.Dataset.from_tensor_slices((x, np.zeros(20))).batch(6)
    )
    path = tmp_path / "pictures.u8"
    memmap = np.memmap(path, dtype=np.uint8, mode="w+", shape=x.shape)
    memmap[:] = x
    memmap.flush()
    on_disk = embedder.transform(
        np.memmap(path, dtype=np.uint8, mode="r", shape=x.shape)
    )
    for features in (chunks, dataset, on_disk):
        np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-5)


def test_cache_serves_same_pictures_and_settings_only(tmp_path, monkeypatch):
    x = _pictures(6)
    first = _embedder(cache_dir=tmp_path).transform(x)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npy"
    np.testing.assert_array_equal(np.load(files[0], allow_pickle=False), first)

    calls = []
    real = embeddings.predict_in_batches

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(embeddings, "predict_in_batches", counting)
    again = _embedder(cache_dir=tmp_path).transform(x)
    np.testing.assert_array_equal(again, first)
    assert calls == []  # served from the cache

    changed = x.copy()
    changed[2, 5, 5, 1] ^= 1  # one bit of one picture
    fresh = _embedder(cache_dir=tmp_path).transform(changed)
    assert calls == [1]
    assert not np.array_equal(fresh[2], first[2])

    _embedder(cache_dir=tmp_path, pooling="max").transform(x)
    _embedder(cache_dir=tmp_path, random_state=1).transform(x)
    assert calls == [1, 1, 1]
    assert len(list(tmp_path.glob("features-*.npy"))) == 4
    assert not list(tmp_path.glob("*.tmp"))


def _truncated(entry):
    return entry.read_bytes()[:-100]


def _wrong_shape(entry):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 7), np.float32))
    return buffer.getvalue()


def _pickled(entry):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def _archive(entry):
    buffer = io.BytesIO()
    np.savez(buffer, features=np.load(entry))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda entry: b"garbage", "not a .npy file"),
        (lambda entry: b"", "not a .npy file"),
        (_truncated, "declares more data than it holds"),
        (_wrong_shape, r"shape \(4, 7\), expected floats of shape \(4, 512\)"),
        (_pickled, "holds Python objects"),
        (_archive, "not a .npy file"),
    ],
    ids=["garbage", "empty", "truncated", "wrong-shape", "pickle", "npz"],
)
def test_damaged_cache_entry_is_reported_and_rebuilt(tmp_path, damage, reason):
    x = _pictures(4)
    embedder = _embedder(cache_dir=tmp_path)
    expected = embedder.transform(x)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(damage(entry))
    with pytest.warns(CacheWarning, match=f"{entry.name}.*{reason}"):
        again = embedder.transform(x)
    np.testing.assert_array_equal(again, expected)
    np.testing.assert_array_equal(np.load(entry, allow_pickle=False), expected)
    assert sorted(tmp_path.iterdir()) == [entry]


def test_full_disk_while_caching_warns_and_keeps_the_features(tmp_path, monkeypatch):
    x = _pictures(4)
    embedder = _embedder()
    expected = embedder.transform(x)
    embedder.cache_dir = tmp_path

    def full_disk(file, array, **kwargs):
        file.write(b"\x93NUMPY half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "save", full_disk)
    with pytest.warns(
        CacheWarning, match="No space left on device.*without being cached"
    ):
        features = embedder.transform(x)
    np.testing.assert_array_equal(features, expected)
    assert list(tmp_path.iterdir()) == []  # no half-written entry


def _all_transformers():
    return [
        _embedder(),
        DrawnEmbedder(weights=None, verbose=0),
        RawPixels(),
        ColorHistogram(),
    ]


_GREY = r"grey pictures\? repeat them to RGB"


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((2, 32, 32), np.uint8), _GREY + r".*shape \(2, 32, 32\)"),
        (np.zeros((2, 32, 32, 1), np.uint8), _GREY + r".*shape \(2, 32, 32, 1\)"),
        (np.zeros((2, 32, 32, 4), np.uint8), r"RGBA pictures.*\(2, 32, 32, 4\)"),
        (np.zeros((32, 32, 3), np.uint8), r"one picture.*shape \(32, 32, 3\)"),
        (np.zeros((0, 32, 32, 3), np.uint8), r"empty batch.*\(0, 32, 32, 3\)"),
        (np.zeros(10), r"Received: X with shape \(10,\)"),
        (np.zeros((3, 5)), r"a table of features\?.*Received: X with shape \(3, 5\)"),
        (np.zeros((2, 4, 8, 8, 3)), r"a list of batches\? pass iter\(batches\)"),
        ([np.zeros((8, 8, 3)), np.zeros((9, 9, 3))], "Received: a list of pictures"),
        (np.zeros((2, 0, 8, 3)), r"no pixels.*\(2, 0, 8, 3\)"),
        (np.full((2, 8, 8, 3), np.nan), "NaN or infinite values.*dtype float64"),
        (np.full((2, 8, 8, 3), np.inf, np.float32), "NaN or infinite.*float32"),
        (np.full((2, 8, 8, 3), "a"), "must hold numbers.*Received: X with dtype <U1"),
        (np.full((2, 8, 8, 3), None), "Received: X with dtype object holding None"),
        (np.zeros((2, 8, 8, 3), bool), "Received: X with dtype bool"),
        (np.zeros((2, 8, 8, 3), complex), "Complex data not supported.*complex128"),
        (np.full((2, 8, 8, 3), -1.5), "Negative values.*values from -1.5 to -1.5"),
        (np.full((2, 8, 8, 3), 300, np.int16), "above 255.*values from 300 to 300"),
    ],
    ids=[
        "grey",
        "grey-1-channel",
        "rgba",
        "one-picture",
        "empty",
        "1-d",
        "table",
        "list-of-batches",
        "ragged-list",
        "no-pixels",
        "nan",
        "inf",
        "strings",
        "objects",
        "bool",
        "complex",
        "negative",
        "above-255",
    ],
)
def test_transformers_reject_bad_pictures(images, message):
    for transformer in _all_transformers():
        for method in (transformer.fit, transformer.transform):
            with pytest.raises(ValueError, match=message):
                method(images)


def test_transformers_take_lists_tensors_and_object_arrays():
    x = _pictures(3)
    for transformer in _all_transformers():
        expected = transformer.fit_transform(x)
        for same in (x.tolist(), tf.constant(x), x.astype(object)):
            np.testing.assert_allclose(
                transformer.fit(same).transform(same), expected, rtol=1e-5, atol=1e-5
            )


def test_transformers_declare_pictures_to_scikit_learn():
    from sklearn.utils import get_tags

    for transformer in _all_transformers():
        tags = get_tags(transformer)
        assert not tags.input_tags.two_d_array and tags.input_tags.positive_only
        assert tags.transformer_tags.preserves_dtype == []
        # No n_features_in_: any picture size is resized.
        assert not hasattr(transformer.fit(_pictures(2)), "n_features_in_")


@pytest.mark.parametrize("cls", [VGG16Embedder, DrawnEmbedder])
def test_random_state_none_draws_a_seed_kept_for_later(cls):
    import pickle

    x = _pictures(3)
    settings = {"image_size": (32, 32)} if cls is VGG16Embedder else {}
    embedder = cls(weights=None, random_state=None, verbose=0, **settings)
    fitted = embedder.fit(x).transform(x)
    assert isinstance(embedder.seed_, int)
    # The drawn seed stays: pickled, or rebuilt for another picture size.
    twin = pickle.loads(pickle.dumps(embedder))
    np.testing.assert_allclose(twin.transform(x), fitted, rtol=1e-5, atol=1e-5)
    embedder.transform(_pictures(3, size=40))
    np.testing.assert_allclose(embedder.transform(x), fitted, rtol=1e-5, atol=1e-5)
    seeded = cls(weights=None, verbose=0, **settings)
    seeded.set_params(random_state=np.random.RandomState(0)).fit(x)
    assert isinstance(seeded.seed_, int)
    with pytest.raises(ValueError, match=r"Received: random_state='seven'"):
        cls(weights=None, random_state="seven", **settings).fit(x)


def test_every_transformer_names_its_features():
    x = _pictures(2)
    cases = [
        (RawPixels(image_size=(2, 3)), ["pixel0_0_r", "pixel0_0_g"], "pixel1_2_b"),
        (ColorHistogram(bins=(2, 3, 4)), ["hsv_h0_s0_v0", "hsv_h0_s0_v1"], None),
        (ColorHistogram(bins=2, color_space="rgb"), ["rgb_r0_g0_b0"], "rgb_r1_g1_b1"),
        (DrawnEmbedder(weights=None, verbose=0), ["drawn0", "drawn1"], "drawn191"),
        (_embedder(), ["vgg16_block5_pool_avg0"], "vgg16_block5_pool_avg511"),
    ]
    for transformer, first, last in cases:
        names = transformer.get_feature_names_out()
        assert list(names[: len(first)]) == first
        assert last is None or names[-1] == last
        assert len(names) == transformer.fit_transform(x).shape[1]
        # A baseline's steps before the SVM name the same features.
        pipeline = make_embedding_svm(transformer)
        pipeline.fit(np.concatenate([x, x]), [0, 0, 1, 1])
        assert list(pipeline[:-1].get_feature_names_out()) == list(names)


def test_set_output_pandas_names_the_columns():
    pd = pytest.importorskip("pandas")
    frame = (
        RawPixels(image_size=2).set_output(transform="pandas").transform(_pictures(2))
    )
    assert isinstance(frame, pd.DataFrame) and frame.columns[0] == "pixel0_0_r"


@pytest.mark.parametrize(
    ("layer", "size"),
    [("block5_pool", (45, 37)), ("block3_conv2", (33, 40)), ("block4_pool", (64, 32))],
)
def test_vgg16_feature_count_needs_no_network(layer, size):
    embedder = _embedder(layer=layer, pooling="flatten", image_size=size)
    n = len(embedder.get_feature_names_out())
    assert embedder.fit_transform(_pictures(1, size=50)).shape == (1, n)
    assert embedder.n_features_out_ == n


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer": "fc1"}, "Received: layer='fc1'"),
        ({"pooling": "sum"}, "Received: pooling='sum'"),
        ({"image_size": (16, 16)}, r"Received: image_size=\(16, 16\)"),
        ({"batch_size": 0}, "Received: batch_size=0"),
    ],
)
def test_embedder_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _embedder(**kwargs).fit(_pictures(2))


# -------------------------------------------------------- classical features


def test_raw_pixels():
    x = np.full((2, 64, 48, 3), 51, dtype=np.uint8)
    features = RawPixels(image_size=(8, 6)).fit_transform(x)
    assert features.shape == (2, 8 * 6 * 3)
    np.testing.assert_allclose(features, 0.2, rtol=1e-6)
    with pytest.raises(ValueError, match=r"Received: image_size=\(0, 4\)"):
        RawPixels(image_size=(0, 4)).fit(x)


def test_color_histogram_puts_colours_in_the_right_bins():
    red = np.zeros((1, 4, 4, 3), np.uint8)
    red[..., 0] = 255
    blue = np.zeros((1, 4, 4, 3), np.uint8)
    blue[..., 2] = 255
    hsv = ColorHistogram(bins=4).fit_transform(np.concatenate([red, blue]))
    assert hsv.shape == (2, 64)
    np.testing.assert_allclose(hsv.sum(axis=1), 1)
    # Pure red: hue 0, full saturation and value -> bin (0, 3, 3).
    assert hsv[0].argmax() == np.ravel_multi_index((0, 3, 3), (4, 4, 4))
    # Pure blue: hue 2/3 -> hue bin 2.
    assert hsv[1].argmax() == np.ravel_multi_index((2, 3, 3), (4, 4, 4))
    rgb = ColorHistogram(bins=(2, 3, 4), color_space="rgb").fit_transform(red)
    assert rgb.shape == (1, 24)
    assert rgb[0].argmax() == np.ravel_multi_index((1, 0, 0), (2, 3, 4))


def test_color_histogram_rejects_bad_settings():
    with pytest.raises(ValueError, match="Received: bins=0"):
        ColorHistogram(bins=0).fit(_pictures(1))
    with pytest.raises(ValueError, match="Received: color_space='lab'"):
        ColorHistogram(color_space="lab").fit(_pictures(1))


# --------------------------------------------------------------- pipelines


def test_embedding_svm_is_ready_for_grid_search():
    x, y = _colour_classes()
    pipeline = make_embedding_svm(ColorHistogram(bins=4))
    assert [name for name, _ in pipeline.steps] == ["embed", "scale", "svm"]
    search = GridSearchCV(
        pipeline, {"svm__C": [0.1, 1.0], "embed__bins": [2, 4]}, cv=3
    ).fit(x, y)
    assert set(search.best_params_) == {"svm__C", "embed__bins"}


def test_colour_alone_separates_colour_coded_characters():
    x, y = _colour_classes(n_per_class=20)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=42, stratify=y
    )
    histogram = make_baseline("color_histogram", bins=4).fit(x_train, y_train)
    pixels = make_baseline("pixels", image_size=(4, 4)).fit(x_train, y_train)
    assert histogram.score(x_test, y_test) > 0.9
    assert pixels.score(x_test, y_test) > 1 / 3


def test_probability_pipeline_has_calibrated_probabilities():
    x, y = _colour_classes()
    pipeline = make_baseline("color_histogram", bins=4, probability=True).fit(x, y)
    probabilities = pipeline.predict_proba(x[:5])
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1)
    pipeline.set_params(svm__estimator__C=2.0)


def test_vgg16_baseline_runs_end_to_end():
    x, y = _colour_classes(n_per_class=4, size=32)
    pipeline = make_baseline("vgg16", weights=None, image_size=(32, 32), verbose=0)
    assert pipeline.fit(x, y).predict(x).shape == (12,)


def test_baseline_and_svm_reject_bad_names():
    with pytest.raises(ValueError, match="Received: name='hog'"):
        make_baseline("hog")
    with pytest.raises(ValueError, match="Received: kernel='poly'"):
        make_embedding_svm(RawPixels(), kernel="poly")


def test_fitted_embedder_pickles_without_its_network():
    import pickle

    embedder = _embedder().fit(_pictures(2))
    twin = pickle.loads(pickle.dumps(embedder))
    assert "_extractors" not in vars(twin)
    np.testing.assert_array_equal(
        twin.transform(_pictures(2)), embedder.transform(_pictures(2))
    )


def test_drawn_baseline_uses_the_c_chosen_on_development_identities():
    import json
    import pathlib

    record = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    chosen = json.loads((record / "drawn_svm_c.json").read_text())
    assert chosen["weights"] == "drawn"
    assert make_baseline("drawn").named_steps["svm"].C == chosen["best_C"]
    assert make_baseline("pixels").named_steps["svm"].C == 1.0
    assert make_baseline("drawn", C=2.0).named_steps["svm"].C == 2.0


def test_embedding_svm_on_drawn_features_uses_the_drawn_baselines_c():
    from animecls.registry import get_model_spec

    chosen = make_baseline("drawn").named_steps["svm"].C
    assert make_embedding_svm(DrawnEmbedder()).named_steps["svm"].C == chosen
    assert make_embedding_svm(DrawnEmbedder(weights=None)).named_steps["svm"].C == (
        chosen
    )
    calibrated = make_embedding_svm(DrawnEmbedder(), probability=True)
    assert calibrated.named_steps["svm"].estimator.C == chosen
    # An explicit C is kept, and other embedders keep SVC's 1.0.
    assert make_embedding_svm(DrawnEmbedder(), C=1.0).named_steps["svm"].C == 1.0
    assert make_embedding_svm(RawPixels()).named_steps["svm"].C == 1.0
    assert make_embedding_svm("passthrough").named_steps["svm"].C == 1.0
    # The registry's description (plain Python, no import of this module)
    # states the same value.
    assert f"C={chosen}" in get_model_spec("drawn_svm").fit
