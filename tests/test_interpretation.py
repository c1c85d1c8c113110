import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")

from animecls.interpretation import (  # noqa: E402
    grad_cam,
    heatmap_overlap,
    plot_grad_cam,
    trait_attention,
)
from animecls.models import build_two_layer_cnn, build_vgg16_transfer  # noqa: E402

SIZE = 32
SQUARE = 10


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _pictures(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, SIZE, SIZE, 3), dtype=np.uint8)


def _corner_task(n=64, seed=0):
    """Dim noise with a bright square top-left (class 0) or bottom-right (1)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, (n, SIZE, SIZE, 3), dtype=np.uint8)
    target = np.arange(n) % 2
    for image, label in zip(images, target, strict=True):
        if label == 0:
            image[:SQUARE, :SQUARE] = 255
        else:
            image[-SQUARE:, -SQUARE:] = 255
    return images, target


@pytest.fixture(scope="module")
def cnn():
    keras.utils.set_random_seed(0)
    return build_two_layer_cnn((SIZE, SIZE, 3), num_classes=3, pooling="avg")


@pytest.fixture(scope="module")
def vgg():
    keras.utils.set_random_seed(0)
    return build_vgg16_transfer((SIZE, SIZE, 3), weights=None)


def test_heatmaps_have_picture_shape_and_unit_range(cnn):
    heatmaps = grad_cam(cnn, _pictures(5), batch_size=2)
    assert heatmaps.shape == (5, SIZE, SIZE)
    assert heatmaps.dtype == np.float32
    assert heatmaps.min() >= 0
    # Each map that is not blank peaks at exactly 1.
    peaks = heatmaps.max(axis=(1, 2))
    assert np.all((peaks == 0) | np.isclose(peaks, 1))
    assert np.any(peaks > 0)


def test_one_picture_without_batch_axis(cnn):
    pictures = _pictures(2)
    one = grad_cam(cnn, pictures[0], class_index=1)
    both = grad_cam(cnn, pictures, class_index=1)
    assert one.shape == (1, SIZE, SIZE)
    np.testing.assert_allclose(one[0], both[0], atol=1e-5)


def test_deterministic_and_independent_of_batch_size(cnn):
    pictures = _pictures(5)
    first = grad_cam(cnn, pictures, layer="conv1", class_index=0, batch_size=2)
    again = grad_cam(cnn, pictures, layer="conv1", class_index=0, batch_size=2)
    whole = grad_cam(cnn, pictures, layer="conv1", class_index=0, batch_size=16)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(first, whole, atol=1e-5)


def test_default_class_is_the_predicted_one(cnn):
    pictures = _pictures(4)
    predicted = cnn.predict(pictures, verbose=0).argmax(axis=1)
    np.testing.assert_allclose(
        grad_cam(cnn, pictures),
        grad_cam(cnn, pictures, class_index=predicted),
        atol=1e-6,
    )


def test_default_layer_is_the_last_convolution(cnn):
    pictures = _pictures(3)
    np.testing.assert_array_equal(
        grad_cam(cnn, pictures, class_index=2),
        grad_cam(cnn, pictures, layer="conv2", class_index=2),
    )
    layer = cnn.get_layer("conv1")
    np.testing.assert_array_equal(
        grad_cam(cnn, pictures, layer=layer, class_index=2),
        grad_cam(cnn, pictures, layer="conv1", class_index=2),
    )


def test_heat_concentrates_on_the_deciding_corner():
    images, target = _corner_task()
    keras.utils.set_random_seed(0)
    model = build_two_layer_cnn((SIZE, SIZE, 3), num_classes=2, pooling="avg")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(images, target, epochs=15, batch_size=16, verbose=0)
    test_images, test_target = _corner_task(16, seed=1)
    assert model.evaluate(test_images, test_target, verbose=0)[1] == 1.0

    heatmaps = grad_cam(model, test_images)
    square = np.zeros((len(test_images), SIZE, SIZE), dtype=bool)
    square[test_target == 0, :SQUARE, :SQUARE] = True
    square[test_target == 1, -SQUARE:, -SQUARE:] = True
    inside = heatmaps[square].reshape(len(test_images), -1).mean(axis=1)
    outside = heatmaps[~square].reshape(len(test_images), -1).mean(axis=1)
    assert np.all(inside > outside)
    # A map spread evenly would put the square's share of the picture (a
    # tenth) on it; the network's maps put at least twice that.
    share = SQUARE**2 / SIZE**2
    assert np.all(heatmap_overlap(heatmaps, square) > 2 * share)
    attention = trait_attention(model, test_images, square)
    np.testing.assert_allclose(attention.area_share, share)
    assert np.all(attention.overlap > 2 * attention.area_share)
    # The hottest pixel is in the square's quarter of the picture (on its
    # edge, where the convolutions respond).
    rows, cols = np.unravel_index(
        heatmaps.reshape(len(heatmaps), -1).argmax(axis=1), (SIZE, SIZE)
    )
    in_corner = np.where(
        test_target == 0,
        (rows < SIZE // 2) & (cols < SIZE // 2),
        (rows >= SIZE // 2) & (cols >= SIZE // 2),
    )
    assert np.all(in_corner)


def test_reaches_inside_the_nested_vgg16_base(vgg):
    pictures = _pictures(3)
    default = grad_cam(vgg, pictures, class_index=0)
    named = grad_cam(vgg, pictures, layer="block5_conv3", class_index=0)
    assert default.shape == (3, SIZE, SIZE)
    np.testing.assert_array_equal(default, named)
    assert default.min() >= 0 and default.max() <= 1
    earlier = grad_cam(vgg, pictures, layer="block3_conv1", class_index=0)
    assert earlier.shape == (3, SIZE, SIZE)
    assert np.any(earlier > 0)


def test_nested_maps_match_a_direct_computation(vgg):
    # The rebuilt graph must compute what the model computes.
    import tensorflow as tf

    pictures = _pictures(2).astype("float32")
    base = vgg.get_layer("vgg16")
    inner = keras.Model(
        base.inputs, [base.get_layer("block4_conv1").output, base.output]
    )
    preprocess = vgg.get_layer("preprocess")
    head = [vgg.get_layer(name) for name in ("flatten", "dense")]
    kernel, bias = (
        vgg.get_layer("predictions").kernel,
        vgg.get_layer("predictions").bias,
    )
    x = tf.convert_to_tensor(pictures)
    with tf.GradientTape() as tape:
        tape.watch(x)
        maps, features = inner(preprocess(x))
        for layer in head:
            features = layer(features)
        score = (tf.matmul(features, kernel) + bias)[:, 1]
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    cam = tf.nn.relu(tf.einsum("nhwc,nc->nhw", maps, weights))
    cam = tf.image.resize(cam[..., None], (SIZE, SIZE))[..., 0].numpy()
    expected = cam / cam.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(
        grad_cam(vgg, pictures, layer="block4_conv1", class_index=1),
        expected,
        atol=1e-4,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer": "conv3"}, r"\['conv1', 'conv2'\]\. Received: layer='conv3'"),
        ({"layer": "dense"}, r"not a Conv2D.*Received: layer='dense'"),
        ({"layer": 3}, "Received: layer=3"),
        ({"class_index": 3}, "Received: class_index=3"),
        ({"class_index": -1}, "Received: class_index=-1"),
        ({"class_index": 0.5}, "Received: class_index=0.5"),
        ({"batch_size": 0}, "Received: batch_size=0"),
    ],
)
def test_bad_arguments(cnn, kwargs, message):
    error = TypeError if kwargs.get("layer") == 3 else ValueError
    with pytest.raises(error, match=message):
        grad_cam(cnn, _pictures(2), **kwargs)


@pytest.mark.parametrize(
    "shape", [(2, 16, 16, 3), (2, SIZE, SIZE, 1), (0, SIZE, SIZE, 3), (SIZE, SIZE)]
)
def test_wrong_image_shape(cnn, shape):
    with pytest.raises(ValueError, match=r"Received: images with shape"):
        grad_cam(cnn, np.zeros(shape, dtype=np.uint8))


def test_unknown_nested_layer_lists_the_base_convolutions(vgg):
    with pytest.raises(ValueError, match=r"'block5_conv3'\]\. Received: layer='x'"):
        grad_cam(vgg, _pictures(1), layer="x")
    with pytest.raises(ValueError, match="not a Conv2D.*Received: layer='vgg16'"):
        grad_cam(vgg, _pictures(1), layer="vgg16")


def test_model_without_convolutions():
    inputs = keras.Input((SIZE, SIZE, 3))
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    with pytest.raises(ValueError, match="has none.*Received: model with layers"):
        grad_cam(model, _pictures(1))


def test_nested_layer_needs_a_chain_model(vgg):
    base = vgg.get_layer("vgg16")
    inputs = keras.Input((SIZE, SIZE, 3))
    features = base(inputs)
    branch = keras.layers.Conv2D(512, 1, padding="same")(features)
    merged = keras.layers.Add()([features, branch])
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(merged))
    model = keras.Model(inputs, outputs, name="branching")
    with pytest.raises(ValueError, match="plain chain.*Received: model 'branching'"):
        grad_cam(model, _pictures(1), layer="block5_conv3")


def test_plot_draws_one_overlay_per_picture():
    pictures = _pictures(5)
    heatmaps = np.random.default_rng(0).uniform(size=(5, SIZE, SIZE))
    axes = plot_grad_cam(pictures, heatmaps, titles=list("abcde"), ncols=3).axes
    assert len(axes) == 6
    drawn = [ax for ax in axes if ax.images]
    assert len(drawn) == 5
    for ax, title in zip(drawn, "abcde", strict=True):
        picture, heat = ax.images
        assert heat.get_alpha() == 0.45
        assert heat.get_cmap().name == "jet"
        assert ax.get_title() == title
    assert not axes[5].images


def test_plot_into_given_axes():
    figure, given = plt.subplots(1, 2)
    assert plot_grad_cam(_pictures(2), np.zeros((2, SIZE, SIZE)), axes=given) is figure
    # The heat is drawn over the picture in each given cell.
    assert [len(ax.images) for ax in given] == [2, 2]


@pytest.mark.parametrize(
    ("heatmaps", "kwargs", "message"),
    [
        (np.zeros((3, SIZE, SIZE)), {}, r"heatmaps with shape \(3, 32, 32\)"),
        (np.zeros((2, 8, 8)), {}, r"heatmaps with shape \(2, 8, 8\)"),
        (np.zeros((2, SIZE, SIZE)), {"alpha": 1.5}, "Received: alpha=1.5"),
    ],
)
def test_plot_bad_arguments(heatmaps, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_grad_cam(_pictures(2), heatmaps, **kwargs)


def test_overlap_measures_the_share_of_heat():
    heatmaps = np.zeros((3, 4, 4))
    heatmaps[0, 0, 0] = 1.0
    heatmaps[1] = 1.0
    masks = np.zeros((3, 4, 4), dtype=bool)
    masks[:, :2] = True
    overlap = heatmap_overlap(heatmaps, masks)
    assert overlap[0] == 1.0
    assert overlap[1] == 0.5
    assert np.isnan(overlap[2])


@pytest.mark.parametrize(
    ("heatmaps", "masks", "message"),
    [
        (np.zeros((4, 4)), np.zeros((4, 4), bool), r"heatmaps with shape \(4, 4\)"),
        (np.zeros((1, 4, 4)), np.zeros((4, 4)), "masks with dtype float64"),
        (np.zeros((1, 4, 4)), np.zeros((3, 3), bool), r"masks with shape \(3, 3\)"),
        (-np.ones((1, 4, 4)), np.zeros((4, 4), bool), "minimum -1.0"),
    ],
)
def test_overlap_bad_arguments(heatmaps, masks, message):
    with pytest.raises(ValueError, match=message):
        heatmap_overlap(heatmaps, masks)


def test_confident_predictions_still_give_maps():
    # Softmax saturates at a probability of exactly 1 in float32, where its
    # gradient vanishes; the raw class score keeps the map.
    keras.utils.set_random_seed(1)
    model = build_two_layer_cnn((SIZE, SIZE, 3), num_classes=2, pooling="avg")
    predictions = model.get_layer("predictions")
    predictions.kernel.assign(predictions.kernel * 1e4)
    pictures = _pictures(3)
    assert np.all(model.predict(pictures, verbose=0).max(axis=1) == 1.0)
    heatmaps = grad_cam(model, pictures)
    assert np.all(heatmaps.max(axis=(1, 2)) > 0)


def test_trait_attention_compares_heat_on_the_traits_with_their_area(cnn):
    from animecls._characters import make_characters

    data = make_characters(2, image_size=(SIZE, SIZE), return_masks=True)
    result = trait_attention(cnn, data.images, data.masks, batch_size=4)
    heatmaps = grad_cam(cnn, data.images)
    np.testing.assert_array_equal(result.heatmaps, heatmaps)
    np.testing.assert_array_equal(result.overlap, heatmap_overlap(heatmaps, data.masks))
    np.testing.assert_array_equal(result.area_share, data.masks.mean(axis=(1, 2)))
    # One region for all pictures is accepted, as by heatmap_overlap.
    corner = np.zeros((SIZE, SIZE), dtype=bool)
    corner[:8, :8] = True
    shared = trait_attention(cnn, data.images, corner, layer="conv1", class_index=1)
    np.testing.assert_allclose(shared.area_share, 1 / 16)


@pytest.mark.parametrize(
    ("masks", "message"),
    [
        (np.zeros((2, SIZE, SIZE)), "masks with dtype float64"),
        (np.zeros((3, SIZE, SIZE), bool), r"masks with shape \(3, 32, 32\)"),
        (np.zeros((SIZE, 8), bool), r"masks with shape \(32, 8\)"),
    ],
)
def test_trait_attention_bad_masks(cnn, masks, message):
    with pytest.raises(ValueError, match=message):
        trait_attention(cnn, _pictures(2), masks)


def test_plot_outlines_the_masks():
    pictures = _pictures(3)
    heatmaps = np.random.default_rng(0).uniform(size=(3, SIZE, SIZE))
    masks = np.zeros((3, SIZE, SIZE), dtype=bool)
    masks[0, 4:12, 4:12] = True
    masks[1] = True  # nothing to outline: the region is the whole picture
    axes = plot_grad_cam(pictures, heatmaps, masks=masks, mask_color="red").axes
    assert [len(ax.collections) for ax in axes[:3]] == [1, 0, 0]
    outline = axes[0].collections[0]
    assert tuple(outline.get_edgecolor()[0]) == (1.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("masks", "message"),
    [
        (np.zeros((2, SIZE, SIZE), bool), r"masks with shape \(2, 32, 32\)"),
        (np.zeros((SIZE, SIZE), bool), r"masks with shape \(32, 32\)"),
        (np.zeros((3, SIZE, SIZE), int), "masks with dtype int64"),
    ],
)
def test_plot_bad_masks(masks, message):
    with pytest.raises(ValueError, match=message):
        plot_grad_cam(_pictures(3), np.zeros((3, SIZE, SIZE)), masks=masks)
