"""Keras builders for the report's networks; saving and predicting re-exported.

Importing this module imports Keras (and TensorFlow as its backend); the rest
of ``animecls`` stays light.

The two networks take ``uint8`` (0-255) pictures, as
[`animecls.datasets.load_image_folder`][] returns them: the preprocessing is
a layer of the model, so it is saved with it and cannot be forgotten at
prediction time.

The builders follow Keras' guides for several devices and mixed precision:
``strategy=`` builds a model inside a ``tf.distribute`` strategy's scope,
and under Keras' global mixed policy
(``keras.mixed_precision.set_global_policy("mixed_float16")`` before
building) the layers compute in 16 bits while the output layer stays in
float32, so that the probabilities and the loss are float32.
"""

import contextlib
import functools

import keras
from keras import layers

from ._backbone import (
    describe_drawn_weights,
    load_drawn_backbone,
    resized_for_backbone,
)
from ._info import get_info, set_info
from ._model_files import ModelFileError, load_model, save_model
from ._predict import predict
from ._validation import check_count, check_factor, is_int
from ._vgg16 import (
    VGG16Preprocess,
    build_vgg16_base,
    check_vgg16_input_shape,
    get_vgg16_base,
    vgg16_preprocessing,
)
from ._weights import (
    WeightsUnavailableError,
    describe_weights,
    install_weights,
)

# In the order the API reference shows them (docs/api/models.md sorts by
# __all__): the library's own builders first, then saving, loading and
# predicting, then the Keras layer and the errors re-exported here.
__all__ = [
    "build_two_layer_cnn",
    "make_augmentation",
    "build_vgg16_transfer",
    "build_drawn_transfer",
    "unfreeze_top",
    "save_model",
    "load_model",
    "predict",
    "get_info",
    "install_weights",
    "vgg16_preprocessing",
    "VGG16Preprocess",
    "ModelFileError",
    "WeightsUnavailableError",
]


def _strategy_scope(strategy):
    if strategy is None:
        return contextlib.nullcontext()
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.Strategy):
        raise ValueError(
            "strategy must be a tf.distribute.Strategy (e.g. "
            "tf.distribute.MirroredStrategy()) or None. "
            f"Received: strategy={strategy!r}"
        )
    return strategy.scope()


def _built_under_strategy(builder):
    """Run a builder inside ``strategy.scope()`` when given ``strategy=``.

    Keras' distributed-training guide creates the model (its variables)
    inside the strategy's scope; the model then remembers the strategy
    (``model.distribute_strategy``), and ``fit_model`` compiles in it too.
    The builder's own ``strategy`` parameter documents the option; this
    wrapper takes the value, so the builder always gets None.
    """

    @functools.wraps(builder)
    def build(*args, strategy=None, **kwargs):
        with _strategy_scope(strategy):
            return builder(*args, **kwargs)

    return build


def _output_dtype():
    """Return the output layer's dtype: float32 under a mixed policy, else None.

    As Keras' mixed-precision guide does: the 16-bit policy runs the layers
    in float16 (or bfloat16), but the softmax, and so the loss, stays in
    float32, where small probabilities do not round to 0. None keeps the
    global policy, so a model built without mixed precision is unchanged.
    """
    policy = keras.config.dtype_policy()
    return "float32" if policy.compute_dtype != policy.variable_dtype else None


@_built_under_strategy
def build_two_layer_cnn(
    input_shape=(250, 250, 3),
    num_classes=3,
    *,
    pooling="flatten",
    dense_units=256,
    dropout=0.5,
    augmentation=None,
    l2=0.0,
    name="two_layer_cnn",
    strategy=None,
):
    """Build the report's Model 1: a two-layer convolutional network.

    The architecture is exactly the report's: ``Conv2D(32, 3x3, same, relu)``,
    ``MaxPooling2D(2)``, ``Conv2D(64, 2x2, same, relu)``, ``MaxPooling2D(2)``,
    ``Flatten``, ``Dense(256, relu)``, ``Dropout(0.5)`` and a softmax output.
    A ``Rescaling(1/255)`` layer in front (no parameters) lets the model take
    the ``uint8`` pictures that [`animecls.datasets.load_image_folder`][]
    returns.

    Parameters
    ----------
    input_shape : tuple of int, default=(250, 250, 3)
        Height, width and channels of the input pictures.
    num_classes : int, default=3
        Number of characters to tell apart.
    pooling : {"flatten", "avg"}, default="flatten"
        How the last feature maps reach the dense layer. ``"flatten"`` is the
        report's choice: with 250x250 inputs it feeds 62x62x64 = 246,016
        numbers into ``Dense(256)``, which holds 62,980,352 of the model's
        62,990,275 parameters. ``"avg"`` uses global average pooling instead,
        which keeps 64 numbers and about 28 thousand parameters in all.
    dense_units : int, default=256
        Width of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate before the output layer; 0 disables it.
    augmentation : None, bool or keras.layers.Layer, default=None
        Random changes to the training pictures, applied right after the
        input as a layer named ``augmentation``. Keras' preprocessing layers
        change pictures only while training (``fit``), never in ``predict``
        or ``evaluate``, and have no parameters. True uses
        [`make_augmentation`][animecls.models.make_augmentation]'s defaults; a
        layer (e.g. from
        [`make_augmentation`][animecls.models.make_augmentation]) is used as it
        is; None or False adds none (the report's model).
    l2 : float, default=0.0
        Factor of an L2 penalty on the kernels of the convolution and dense
        layers (``keras.regularizers.L2``), in [0, 1), added to the training
        loss; 0 adds none (the report's model). 1e-4 to 1e-3 are usual.
    name : str, default="two_layer_cnn"
        Name of the returned model.
    strategy : tf.distribute.Strategy or None, default=None
        Build the model inside ``strategy.scope()`` (e.g.
        ``tf.distribute.MirroredStrategy()`` over several GPUs), so that its
        weights are mirrored on every device;
        [`fit_model`][animecls.training.fit_model] then trains it on all of
        them. None builds it on the default device.

    Returns
    -------
    model : keras.Model
        An uncompiled model. Its layers have stable names ([``augmentation``,]
        ``rescale``, ``conv1``, ``pool1``, ``conv2``, ``pool2``, ``flatten``
        or ``global_pool``, ``dense``, ``dropout``, ``predictions``).
        Under a mixed global policy, ``predictions`` is float32.

    See Also
    --------
    make_augmentation : The random changes ``augmentation=True`` applies.

    Examples
    --------
    >>> from animecls.models import build_two_layer_cnn
    >>> model = build_two_layer_cnn()
    >>> model.count_params()
    62990275

    Augmentation and L2 add no parameters:

    >>> model = build_two_layer_cnn((32, 32, 3), augmentation=True, l2=1e-4)
    >>> [layer.name for layer in model.layers][:3]
    ['image', 'augmentation', 'rescale']
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or any(int(d) <= 0 for d in input_shape):
        raise ValueError(
            "input_shape must be (height, width, channels) with positive sizes. "
            f"Received: input_shape={input_shape}"
        )
    num_classes = check_count(num_classes, "num_classes", minimum=2)
    if pooling not in ("flatten", "avg"):
        raise ValueError(
            f'pooling must be "flatten" or "avg". Received: pooling={pooling!r}'
        )
    dropout = check_factor(dropout, "dropout", 1.0)
    augmentation = _augmentation_layer(augmentation)
    check_factor(l2, "l2", 1.0)
    # None rather than L2(0.0): the report's model saves without a regularizer.
    regularizer = keras.regularizers.L2(float(l2)) if l2 else None

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs if augmentation is None else augmentation(inputs)
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    x = layers.Conv2D(
        32,
        (3, 3),
        padding="same",
        activation="relu",
        kernel_regularizer=regularizer,
        name="conv1",
    )(x)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    x = layers.Conv2D(
        64,
        (2, 2),
        padding="same",
        activation="relu",
        kernel_regularizer=regularizer,
        name="conv2",
    )(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)
    if pooling == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dense(
        dense_units, activation="relu", kernel_regularizer=regularizer, name="dense"
    )(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(
        num_classes,
        activation="softmax",
        kernel_regularizer=regularizer,
        name="predictions",
        dtype=_output_dtype(),
    )(x)
    model = keras.Model(inputs, outputs, name=name)
    set_info(
        model,
        builder="build_two_layer_cnn",
        weights=describe_weights(None),
        preprocessing="Rescaling(1/255) inside the model; takes 0-255 RGB pictures",
        augmentation=None
        if augmentation is None
        else [type(layer).__name__ for layer in _sublayers(augmentation)],
        l2=float(l2),
    )
    return model


def _sublayers(layer):
    return list(getattr(layer, "layers", None) or [layer])


def _augmentation_layer(augmentation):
    """Return the layer ``build_two_layer_cnn(augmentation=...)`` applies, or None."""
    if augmentation is None or augmentation is False:
        return None
    if augmentation is True:
        return make_augmentation()
    if not isinstance(augmentation, layers.Layer):
        raise ValueError(
            "augmentation must be None, True or a Keras layer (e.g. from "
            "make_augmentation). Received: augmentation of type "
            f"{type(augmentation).__name__}"
        )
    if augmentation.name == "augmentation":
        return augmentation
    # Wrapped so that the layer name stays "augmentation" whatever is passed.
    return keras.Sequential([augmentation], name="augmentation")


def make_augmentation(
    *,
    flip=True,
    rotation=0.05,
    zoom=0.1,
    translation=0.1,
    contrast=0.1,
    random_state=None,
):
    """Make random changes to training pictures, as a Keras layer.

    Each picture is changed anew at every epoch, so a small data set looks
    bigger: the network cannot memorise the exact pixels of a picture, only
    what survives the changes. The layers are Keras' preprocessing layers,
    which change pictures only while training; in ``predict`` and
    ``evaluate`` they pass pictures through unchanged. Put the layer in a
    model with ``build_two_layer_cnn(augmentation=...)``.

    Parameters
    ----------
    flip : bool or {"horizontal", "vertical", "horizontal_and_vertical"}, \
default=True
        Mirror pictures at random (``RandomFlip``). True flips left-right
        only: a face upside down is not a picture the model will be shown.
    rotation : float, default=0.05
        Largest rotation, as a fraction of a full turn (0.05 is 18 degrees),
        either way (``RandomRotation``); 0 for none.
    zoom : float, default=0.1
        Largest zoom in or out, as a fraction of the size (``RandomZoom``);
        0 for none.
    translation : float, default=0.1
        Largest shift up, down, left or right, as a fraction of the size
        (``RandomTranslation``); 0 for none.
    contrast : float, default=0.1
        Largest change of contrast, as a fraction (``RandomContrast`` on 0-255
        pictures); 0 for none.
    random_state : int or None, default=None
        Seed of the layers' random changes (each layer gets its own seed
        derived from it). None takes seeds from Keras' global generator, so
        ``keras.utils.set_random_seed`` before building makes them repeat.

    Returns
    -------
    augmentation : keras.Sequential
        Named ``augmentation``, with the layers that are switched on, in the
        order flip, rotation, zoom, translation, contrast. It has no
        parameters.

    Raises
    ------
    ValueError
        If a factor is out of range, or every change is switched off (use
        ``augmentation=None`` for no augmentation).

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.models import make_augmentation
    >>> augmentation = make_augmentation(random_state=0)
    >>> [layer.name for layer in augmentation.layers]
    ['flip', 'rotation', 'zoom', 'translation', 'contrast']
    >>> pictures = np.full((2, 32, 32, 3), 128, dtype=np.uint8)
    >>> bool((augmentation(pictures, training=False) == pictures).numpy().all())
    True
    """
    flip_modes = ("horizontal", "vertical", "horizontal_and_vertical")
    if flip is True:
        flip = "horizontal"
    if flip is not False and flip not in flip_modes:
        raise ValueError(
            f"flip must be True, False or one of {flip_modes}. Received: flip={flip!r}"
        )
    factors = {
        "rotation": (rotation, 0.5),
        "zoom": (zoom, 1.0),
        "translation": (translation, 1.0),
        "contrast": (contrast, 1.0),
    }
    for name, (value, upper) in factors.items():
        check_factor(value, name, upper)
    if random_state is not None and not is_int(random_state):
        raise ValueError(
            "random_state must be an int or None. "
            f"Received: random_state={random_state!r}"
        )

    def seed(offset):
        # One seed per layer: with one shared seed, the layers would draw the
        # same random numbers and their changes would move together.
        return None if random_state is None else int(random_state) + offset

    steps = []
    if flip:
        steps.append(layers.RandomFlip(flip, seed=seed(0), name="flip"))
    if rotation:
        steps.append(layers.RandomRotation(rotation, seed=seed(1), name="rotation"))
    if zoom:
        steps.append(layers.RandomZoom(zoom, seed=seed(2), name="zoom"))
    if translation:
        steps.append(
            layers.RandomTranslation(
                translation, translation, seed=seed(3), name="translation"
            )
        )
    if contrast:
        steps.append(
            layers.RandomContrast(
                contrast, value_range=(0, 255), seed=seed(4), name="contrast"
            )
        )
    if not steps:
        raise ValueError(
            "Every change is switched off, so the layer would do nothing; pass "
            "augmentation=None to the builder instead. Received: flip=False, "
            "rotation=0, zoom=0, translation=0, contrast=0"
        )
    return keras.Sequential(steps, name="augmentation")


@_built_under_strategy
def build_vgg16_transfer(
    input_shape=(256, 256, 3),
    num_classes=3,
    *,
    weights="imagenet",
    head="flatten",
    dense_units=256,
    dropout=0.0,
    output_activation="softmax",
    name="vgg16_transfer",
    strategy=None,
):
    """Build the report's Model 2: a frozen VGG16 base with a small dense head.

    ``image -> preprocess -> VGG16(include_top=False), frozen, called with
    training=False -> Flatten -> Dense(256, relu) -> Dense(num_classes)``,
    the report's network, with ``keras.applications.vgg16.preprocess_input``
    applied inside, by a frozen built-in ``Dense(3)`` over each pixel's
    channels, so that it takes 0-255 RGB pictures and its saved file loads
    with plain ``keras.saving.load_model``.

    Parameters
    ----------
    input_shape : tuple of int, default=(256, 256, 3)
        Height, width and channels of the pictures (the report's 256x256).
        Height and width must be at least 32.
    num_classes : int, default=3
        Number of characters to tell apart.
    weights : "imagenet", None or path-like, default="imagenet"
        ``"imagenet"`` loads the ImageNet weights through Keras' cached,
        hash-checked download (``$KERAS_HOME/models`` or ``~/.keras/models``);
        None starts from random weights; a path loads that file. Without
        network and without a cached file, ``"imagenet"`` raises
        [`WeightsUnavailableError`][animecls.models.WeightsUnavailableError]
        rather than falling back to random weights. The choice is recorded
        ([`get_info`][animecls.models.get_info],
        [`save_model`][animecls.models.save_model]).
    head : {"flatten", "avg"}, default="flatten"
        ``"flatten"`` is the report's head: 8x8x512 = 32,768 numbers into
        ``Dense(256)`` for 256x256 pictures (8.4 M trainable parameters).
        ``"avg"`` uses global average pooling (512 numbers, 131 thousand).
    dense_units : int, default=256
        Width of the hidden dense layer.
    dropout : float, default=0.0
        Dropout rate before the output layer (the report used none).
    output_activation : {"softmax", "sigmoid"}, default="softmax"
        ``"softmax"`` is right for one character per picture: the outputs are
        probabilities that sum to one. ``"sigmoid"`` reproduces the report's
        mistake: it scores each class independently, as for multi-label data,
        and categorical cross-entropy then divides the outputs by their sum
        inside the loss, so training still works but the scores the model
        prints are not probabilities of one character (they need not sum to
        one and several can be near 1).
    name : str, default="vgg16_transfer"
        Name of the returned model.
    strategy : tf.distribute.Strategy or None, default=None
        Build the model inside ``strategy.scope()`` (e.g.
        ``tf.distribute.MirroredStrategy()`` over several GPUs), so that its
        weights are mirrored on every device;
        [`fit_model`][animecls.training.fit_model] then trains it on all of
        them. None builds it on the default device.

    Returns
    -------
    model : keras.Model
        An uncompiled model with layers ``image``, ``preprocess``, ``vgg16``
        (frozen), ``flatten`` or ``global_pool``, ``dense``, [``dropout``,]
        ``predictions`` (float32 under a mixed global policy).

    Raises
    ------
    WeightsUnavailableError
        If ``weights="imagenet"`` and the file is neither cached nor
        downloadable.

    See Also
    --------
    unfreeze_top : The second, fine-tuning phase.
    animecls.training.fit_transfer_head : Train the head on cached features.

    Examples
    --------
    >>> from animecls.models import build_vgg16_transfer
    >>> model = build_vgg16_transfer((64, 64, 3), weights=None)
    >>> model.get_layer("vgg16").trainable
    False
    >>> model.output_shape
    (None, 3)
    """
    input_shape = check_vgg16_input_shape(input_shape)
    num_classes = check_count(num_classes, "num_classes", minimum=2)
    if head not in ("flatten", "avg"):
        raise ValueError(f'head must be "flatten" or "avg". Received: head={head!r}')
    _check_output_activation(output_activation)
    dropout = check_factor(dropout, "dropout", 1.0)

    base = build_vgg16_base(input_shape, weights)
    # Frozen, and called with training=False below, as in Keras' transfer
    # learning guide: fine-tuning later must not switch layers to training
    # mode (VGG16 has no BatchNorm, but a student may swap the base).
    base.trainable = False

    inputs = keras.Input(shape=input_shape, name="image")
    x = vgg16_preprocessing(name="preprocess")(inputs)
    x = base(x, training=False)
    if head == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(
        num_classes,
        activation=output_activation,
        name="predictions",
        dtype=_output_dtype(),
    )(x)
    model = keras.Model(inputs, outputs, name=name)
    set_info(
        model,
        builder="build_vgg16_transfer",
        weights=describe_weights(weights),
        preprocessing=(
            "keras.applications.vgg16.preprocess_input inside the model; "
            "takes 0-255 RGB pictures"
        ),
        output_activation=output_activation,
    )
    return model


def _check_output_activation(output_activation):
    if output_activation not in ("softmax", "sigmoid"):
        raise ValueError(
            'output_activation must be "softmax" or "sigmoid". '
            f"Received: output_activation={output_activation!r}"
        )


@_built_under_strategy
def build_drawn_transfer(
    input_shape=(64, 64, 3),
    num_classes=3,
    *,
    weights="drawn",
    dense_units=128,
    dropout=0.2,
    output_activation="softmax",
    random_state=0,
    name="drawn_transfer",
    strategy=None,
):
    """Build a transfer model on the drawn backbone: frozen features, a small head.

    ``image -> [Resizing to 64x64] -> drawn backbone (frozen, called with
    training=False) -> Dense(128, relu) -> Dropout -> Dense(num_classes,
    softmax)``. The backbone (see [`animecls.pretraining`][]) was pretrained
    by animecls to tell hundreds of drawn identities apart, none of them the
    default set's characters, and ships with the package: transfer learning
    that works with no network. Like Keras' transfer-learning guide, train the
    head first, then optionally [`unfreeze_top`][animecls.models.unfreeze_top]
    and fine-tune.

    Parameters
    ----------
    input_shape : tuple of int, default=(64, 64, 3)
        Pictures of any size, 0-255; other sizes than 64x64 are resized to
        it inside the model.
    num_classes : int, default=3
        Number of characters to tell apart.
    weights : "drawn", None or path-like, default="drawn"
        The shipped weights, random ones (the same architecture without
        pretraining: what pretraining buys), or a ``.weights.h5`` file from
        ``animecls pretrain``. Recorded by
        [`get_info`][animecls.models.get_info].
    dense_units : int, default=128
        Width of the hidden dense layer.
    dropout : float, default=0.2
        Dropout rate before the output layer.
    output_activation : {"softmax", "sigmoid"}, default="softmax"
        As in [`build_vgg16_transfer`][animecls.models.build_vgg16_transfer]:
        ``"sigmoid"`` reproduces the report's mistake on a backbone whose
        head learns without ImageNet.
    random_state : int, default=0
        Seed of the backbone's random weights when ``weights=None``.
    name : str, default="drawn_transfer"
        Name of the returned model.
    strategy : tf.distribute.Strategy or None, default=None
        Build the model inside ``strategy.scope()`` (e.g.
        ``tf.distribute.MirroredStrategy()`` over several GPUs), so that its
        weights are mirrored on every device;
        [`fit_model`][animecls.training.fit_model] then trains it on all of
        them. None builds it on the default device.

    Returns
    -------
    model : keras.Model
        An uncompiled model with layers ``image``, [``resize``,]
        ``drawn_backbone`` (frozen), ``dense``, ``dropout``, ``predictions``
        (float32 under a mixed global policy). It holds only built-in Keras
        layers, so ``keras.saving.load_model`` reads a saved one without
        animecls.

    Examples
    --------
    >>> from animecls.models import build_drawn_transfer
    >>> model = build_drawn_transfer((96, 96, 3), weights=None)
    >>> model.get_layer("drawn_backbone").trainable, model.output_shape
    (False, (None, 3))
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or int(input_shape[-1]) != 3:
        raise ValueError(
            "input_shape must be (height, width, 3). "
            f"Received: input_shape={input_shape}"
        )
    num_classes = check_count(num_classes, "num_classes", minimum=2)
    dropout = check_factor(dropout, "dropout", 1.0)
    _check_output_activation(output_activation)
    backbone = load_drawn_backbone(weights, random_state=random_state)
    inputs = keras.Input(shape=input_shape, name="image")
    x = backbone(resized_for_backbone(inputs), training=False)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(
        num_classes,
        activation=output_activation,
        name="predictions",
        dtype=_output_dtype(),
    )(x)
    model = keras.Model(inputs, outputs, name=name)
    set_info(
        model,
        builder="build_drawn_transfer",
        weights=describe_drawn_weights(weights),
        preprocessing="Resizing to 64x64 and Rescaling(1/255) inside the model; "
        "takes 0-255 RGB pictures",
        output_activation=output_activation,
    )
    return model


def unfreeze_top(model, *, from_layer=None, learning_rate=1e-5):
    """Unfreeze the top of a transfer model's base for fine-tuning, and recompile.

    The second phase of Keras' transfer-learning guide: once the head has
    been trained on the frozen base, make the base layers from ``from_layer``
    on trainable and train again with a learning rate low enough not to
    destroy the pretrained features. The base stays called with
    ``training=False``. The model is recompiled here, because a change of
    ``trainable`` only takes effect at ``compile``.

    Parameters
    ----------
    model : keras.Model
        A model from
        [`build_vgg16_transfer`][animecls.models.build_vgg16_transfer] or
        [`build_drawn_transfer`][animecls.models.build_drawn_transfer].
    from_layer : str, default=None
        First base layer to unfreeze; it and every layer after it train.
        None is the last block: ``"block5_conv1"`` of VGG16,
        ``"block4_conv1"`` of the drawn backbone. Batch normalisation layers
        stay frozen, so they keep their pretraining statistics.
    learning_rate : float, default=1e-5
        Learning rate of the ``RMSprop`` optimizer this compiles with;
        [`fit_model`][animecls.training.fit_model] recompiles with its
        recipe's.

    Returns
    -------
    model : keras.Model
        The same model, recompiled with categorical cross-entropy and
        accuracy.

    See Also
    --------
    animecls.training.fit_model : ``recipe="vgg16_finetune"`` (or
        ``"drawn_finetune"``) trains it.

    Examples
    --------
    >>> from animecls.models import build_vgg16_transfer, unfreeze_top
    >>> model = unfreeze_top(build_vgg16_transfer((32, 32, 3), weights=None))
    >>> [layer.name for layer in model.get_layer("vgg16").layers if layer.trainable]
    ['block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool']
    """
    layer_names = [layer.name for layer in model.layers]
    if "drawn_backbone" in layer_names:
        base = model.get_layer("drawn_backbone")
        from_layer = "block4_conv1" if from_layer is None else from_layer
    else:
        base = get_vgg16_base(model)
        from_layer = "block5_conv1" if from_layer is None else from_layer
    names = [layer.name for layer in base.layers]
    if from_layer not in names:
        raise ValueError(
            f"from_layer must be a layer name of the {base.name} base, one of "
            f"{names[1:]}. Received: from_layer={from_layer!r}"
        )
    if not learning_rate > 0:
        raise ValueError(
            f"learning_rate must be positive. Received: learning_rate={learning_rate}"
        )
    start = names.index(from_layer)
    base.trainable = True
    for index, layer in enumerate(base.layers):
        # Batch normalisation stays frozen: a trainable one would run on the
        # batch's statistics in fit (Keras overrides the training=False the
        # base was called with) and overwrite the pretraining ones.
        frozen = isinstance(layer, layers.BatchNormalization)
        layer.trainable = index >= start and not frozen
    # In the strategy the model was built under, as fit_model compiles.
    with model.distribute_strategy.scope():
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
    set_info(model, unfrozen_from=from_layer)
    return model
