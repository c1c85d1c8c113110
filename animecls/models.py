"""Keras builders for the report's networks.

Importing this module imports Keras (and TensorFlow as its backend); the rest
of :mod:`animecls` stays light.
"""

import keras
from keras import layers

__all__ = ["build_two_layer_cnn"]


def build_two_layer_cnn(
    input_shape=(250, 250, 3),
    num_classes=3,
    *,
    pooling="flatten",
    dense_units=256,
    dropout=0.5,
    name="two_layer_cnn",
):
    """Build the report's Model 1: a two-layer convolutional network.

    The architecture is exactly the report's: ``Conv2D(32, 3x3, same, relu)``,
    ``MaxPooling2D(2)``, ``Conv2D(64, 2x2, same, relu)``, ``MaxPooling2D(2)``,
    ``Flatten``, ``Dense(256, relu)``, ``Dropout(0.5)`` and a softmax output.
    A ``Rescaling(1/255)`` layer in front (no parameters) lets the model take
    the ``uint8`` pictures that :func:`animecls.datasets.load_image_folder`
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
    name : str, default="two_layer_cnn"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled model. Its layers have stable names (``rescale``,
        ``conv1``, ``pool1``, ``conv2``, ``pool2``, ``flatten`` or
        ``global_pool``, ``dense``, ``dropout``, ``predictions``).

    Examples
    --------
    >>> from animecls.models import build_two_layer_cnn
    >>> model = build_two_layer_cnn()
    >>> model.count_params()
    62990275
    """
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or any(int(d) <= 0 for d in input_shape):
        raise ValueError(
            "input_shape must be (height, width, channels) with positive sizes. "
            f"Received: input_shape={input_shape}"
        )
    if int(num_classes) < 2:
        raise ValueError(
            f"num_classes must be at least 2. Received: num_classes={num_classes}"
        )
    if pooling not in ("flatten", "avg"):
        raise ValueError(
            f'pooling must be "flatten" or "avg". Received: pooling={pooling!r}'
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    x = layers.Conv2D(32, (3, 3), padding="same", activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)
    x = layers.Conv2D(64, (2, 2), padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)
    if pooling == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)
