"""The VGG16 pieces shared by the builders, the embedders and the training code.

[`animecls.models`][] builds the transfer network from them,
[`animecls.embeddings`][] cuts the same base into a feature extractor, and
[`animecls.training`][] splits a built network into its frozen base and its
head. Keeping them here lets each of those import them without importing the
others.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from . import _cache
from ._batches import predict_in_batches
from ._validation import VGG16_MIN_SIZE, is_int
from ._weights import resolve_vgg16_weights

__all__ = [
    "VGG16_LAYERS",
    "VGG16Preprocess",
    "base_features",
    "is_vgg16_preprocessing",
    "build_vgg16_base",
    "check_vgg16_input_shape",
    "get_vgg16_base",
    "seeded_init",
    "split_transfer_model",
    "vgg16_preprocessing",
]

#: The layer names of ``keras.applications.VGG16(include_top=False)``, in order.
VGG16_LAYERS = tuple(
    f"block{block}_{kind}"
    for block, convs in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
    for kind in [f"conv{i}" for i in range(1, convs + 1)] + ["pool"]
)


def _preprocessing_weights():
    """Return ``preprocess_input`` as the kernel and bias of a ``Dense(3)``.

    It is affine on each pixel's colour: the bias is what it makes of black,
    and row ``i`` of the kernel what it adds for one unit of channel ``i``,
    read from Keras itself rather than copied from it.
    """
    preprocess = keras.applications.vgg16.preprocess_input
    bias = preprocess(np.zeros((1, 3)))[0]
    # A channel permutation (RGB to BGR): rounding drops the float error of
    # the subtraction, leaving its zeros and ones.
    kernel = np.round(preprocess(np.eye(3)) - bias)
    return kernel.astype("float32"), bias.astype("float32")


def vgg16_preprocessing(name="preprocess"):
    """Return VGG16's ``preprocess_input`` as a built-in layer, frozen.

    A ``Dense(3)`` over each pixel's channels whose kernel swaps RGB to BGR
    and whose bias subtracts the ImageNet mean: the same numbers as
    ``keras.applications.vgg16.preprocess_input`` on 0-255 pictures, and a
    saved model that plain ``keras.saving.load_model`` loads, with no
    animecls class to import first. Float32 whatever the dtype policy, since
    the mean removed leaves values that float16 would round.

    Parameters
    ----------
    name : str, default="preprocess"
        The layer's name (the builders' stable name for it).

    Returns
    -------
    layer : keras.layers.Dense
        Not trainable; ``unfreeze_top`` leaves it frozen.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.models import vgg16_preprocessing
    >>> black = np.zeros((1, 1, 1, 3))
    >>> vgg16_preprocessing()(black).numpy().astype(float).round(2).tolist()
    [[[[-103.94, -116.78, -123.68]]]]
    """
    # Zeros until set below: a random initializer would draw from Keras'
    # global seed, and change every weight a seeded builder draws after it.
    layer = layers.Dense(
        3,
        name=name,
        trainable=False,
        dtype="float32",
        kernel_initializer="zeros",
        bias_initializer="zeros",
    )
    layer.build((None, 3))
    layer.set_weights(list(_preprocessing_weights()))
    return layer


def is_vgg16_preprocessing(layer):
    """Return whether ``layer`` is one ``vgg16_preprocessing`` made (or was saved)."""
    if not isinstance(layer, layers.Dense) or len(layer.get_weights()) != 2:
        return False
    weights = layer.get_weights()
    return all(
        w.shape == expected.shape and np.allclose(w, expected)
        for w, expected in zip(weights, _preprocessing_weights(), strict=True)
    )


# Models animecls builds use vgg16_preprocessing instead; this layer stays so
# that files saved with it load. Its registered name,
# "animecls>VGG16Preprocess", is what those files refer to: the package and
# the class name must stay as they are, wherever the class lives.
@keras.saving.register_keras_serializable(package="animecls")
class VGG16Preprocess(layers.Layer):
    """Apply ``keras.applications.vgg16.preprocess_input`` inside a model.

    VGG16 was trained on BGR pictures with the ImageNet mean subtracted from
    each channel, without scaling. Keeping this step in the model (instead of
    in the data pipeline) means the model takes 0-255 RGB pictures like
    [`animecls.models.build_two_layer_cnn`][], and a saved model cannot be
    used without it. A registered layer, not a ``Lambda``, so that
    ``load_model(..., safe_mode=True)`` can load it, once animecls is
    imported. The builders now use a frozen built-in ``Dense(3)`` with the
    same numbers instead, which plain ``keras.saving.load_model`` loads; this
    layer stays for the files saved with it.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.models import VGG16Preprocess
    >>> black = np.zeros((1, 1, 1, 3))
    >>> VGG16Preprocess()(black).numpy().astype(float).round(2).tolist()
    [[[[-103.94, -116.78, -123.68]]]]
    """

    def call(self, inputs):
        """Return the preprocessed pictures (BGR, ImageNet mean removed)."""
        x = keras.ops.cast(inputs, "float32")
        return keras.applications.vgg16.preprocess_input(x)

    def compute_output_shape(self, input_shape):
        """Return ``input_shape``: preprocessing keeps the shape."""
        return input_shape


def check_vgg16_input_shape(input_shape):
    """Return ``input_shape`` as ``(height, width, 3)`` ints VGG16 can take.

    Parameters
    ----------
    input_shape : tuple of int
        Height, width and channels.

    Returns
    -------
    input_shape : tuple of int

    Raises
    ------
    ValueError
        If it is not three sizes, has other than 3 channels, or a side is
        below ``animecls._validation.VGG16_MIN_SIZE``.
    """
    shape = tuple(input_shape)
    # Checked whole rather than with check_image_size, so that the message
    # shows the shape given, channels included.
    if (
        len(shape) != 3
        or not all(is_int(d) for d in shape)
        or shape[-1] != 3
        or min(shape[:2]) < VGG16_MIN_SIZE
    ):
        raise ValueError(
            "input_shape must be (height, width, 3) with height and width of at "
            f"least {VGG16_MIN_SIZE} pixels (VGG16 halves them five times). "
            f"Received: input_shape={shape}"
        )
    return tuple(int(d) for d in shape)


def build_vgg16_base(input_shape, weights):
    """Build ``VGG16(include_top=False)`` with the weights resolved by animecls.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, 3)``.
    weights : "imagenet", None or path-like
        As in [`animecls.models.build_vgg16_transfer`][].

    Returns
    -------
    base : keras.Model
        Named ``vgg16``, with the layers ``VGG16_LAYERS``.
    """
    path = resolve_vgg16_weights(weights)
    try:
        return keras.applications.VGG16(
            include_top=False, weights=path, input_shape=input_shape
        )
    except (ValueError, OSError) as error:
        if path is None:
            raise
        raise ValueError(
            f"Could not load VGG16 weights from {path!r}: {error}. Received: "
            f"weights={weights!r}"
        ) from error


def seeded_init(model, seed):
    """Give VGG16 reproducible random weights without touching global seeds.

    ``weights=None`` alone draws from Keras' global generator, so two
    embedders would differ; the cache and the tests need the same features
    for the same ``random_state``.

    Parameters
    ----------
    model : keras.Model
        A base from ``build_vgg16_base``; its convolutions are redrawn
        in place.
    seed : int
        Seed of the first convolution; each next one gets its own.
    """
    index = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            init = keras.initializers.GlorotUniform(seed=int(seed) * 1000 + index)
            layer.kernel.assign(init(layer.kernel.shape))
            layer.bias.assign(np.zeros(layer.bias.shape, dtype="float32"))
            index += 1


def get_vgg16_base(model):
    """Return the ``vgg16`` layer of a transfer model.

    Parameters
    ----------
    model : keras.Model
        A model from [`animecls.models.build_vgg16_transfer`][].

    Returns
    -------
    base : keras.Model

    Raises
    ------
    ValueError
        If the model has no layer named ``vgg16``.
    """
    try:
        return model.get_layer("vgg16")
    except ValueError:
        raise ValueError(
            "The model has no layer named 'vgg16'; build it with "
            "build_vgg16_transfer. Received: model with layers "
            f"{[layer.name for layer in model.layers]}"
        ) from None


def split_transfer_model(model, base_name="vgg16"):
    """Return (extractor, head) models that share the layers of ``model``.

    The extractor runs the preprocessing and the frozen base; the head is the
    layers after the base, applied to the base's output. Training the head
    trains ``model`` itself: the layers are the same objects.

    Parameters
    ----------
    model : keras.Model
        A model from [`animecls.models.build_vgg16_transfer`][], or from
        [`animecls.models.build_drawn_transfer`][] with
        ``base_name="drawn_backbone"``.
    base_name : str, default="vgg16"
        The name of the base layer.

    Returns
    -------
    extractor : keras.Model
        Pictures to the base's feature maps.
    head : keras.Model
        Feature maps to the model's outputs.
    """
    base = get_vgg16_base(model) if base_name == "vgg16" else model.get_layer(base_name)
    names = [layer.name for layer in model.layers]
    position = names.index(base.name)
    before = model.layers[1:position]
    after = model.layers[position + 1 :]
    inputs = keras.Input(shape=model.input_shape[1:], name="image")
    x = inputs
    for layer in before:
        x = layer(x)
    x = base(x, training=False)
    extractor = keras.Model(inputs, x, name=f"{base_name}_features")
    features = keras.Input(shape=base.output_shape[1:], name="features")
    h = features
    for layer in after:
        h = layer(h)
    head = keras.Model(features, h, name="head")
    return extractor, head


def base_features(extractor, x, *, cache_dir, batch_size, verbose):
    """Return the frozen base's output for ``x``, from ``cache_dir`` when there.

    Parameters
    ----------
    extractor : keras.Model
        From ``split_transfer_model``.
    x : array of shape (n_images, height, width, 3)
        Pictures, 0-255.
    cache_dir : path-like or None
        Folder of the on-disk cache, keyed by the pictures' bytes and the
        extractor's weight values; None computes the features every time.
    batch_size : int
        Pictures per batch.
    verbose : "auto", 0 or 1
        Progress bar of the extraction.

    Returns
    -------
    features : ndarray
        One row per picture, of the extractor's output shape.
    """
    key = None
    if cache_dir is not None:
        key = _cache.cache_key(
            _cache.array_digest(x),
            {
                # The name the cache entries were first written under: a new
                # name would turn every cached feature file into a miss.
                "extractor": "fit_transfer_head",
                "weights_sha256": _cache.weights_digest(extractor),
                "input_shape": list(x.shape[1:]),
                "keras": keras.__version__,
                "tensorflow": tf.__version__,
            },
        )
        features = _cache.load(cache_dir, key, (len(x), *extractor.output_shape[1:]))
        if features is not None:
            return features
    features = predict_in_batches(extractor, x, batch_size=batch_size, verbose=verbose)
    if key is not None:
        _cache.store(cache_dir, key, features)
    return features
