"""Keras builders for the report's networks, and saving and predicting.

Importing this module imports Keras (and TensorFlow as its backend); the rest
of :mod:`animecls` stays light.

The two networks take ``uint8`` (0-255) pictures, as
:func:`animecls.datasets.load_image_folder` returns them: the preprocessing is
a layer of the model, so it is saved with it and cannot be forgotten at
prediction time.
"""

import json
import numbers
import os
import zipfile

import keras
import numpy as np
from keras import layers

from ._files import atomic_write
from ._info import get_info, set_info
from ._vgg16 import (
    VGG16Preprocess,
    build_vgg16_base,
    check_vgg16_input_shape,
    get_vgg16_base,
)
from ._weights import (
    WeightsUnavailableError,
    describe_weights,
    install_weights,
)

__all__ = [
    "ModelFileError",
    "VGG16Preprocess",
    "WeightsUnavailableError",
    "build_two_layer_cnn",
    "build_vgg16_transfer",
    "get_info",
    "install_weights",
    "load_model",
    "make_augmentation",
    "predict",
    "save_model",
    "unfreeze_top",
]


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
    augmentation : None, bool or keras.layers.Layer, default=None
        Random changes to the training pictures, applied right after the
        input as a layer named ``augmentation``. Keras' preprocessing layers
        change pictures only while training (``fit``), never in ``predict``
        or ``evaluate``, and have no parameters. True uses
        :func:`make_augmentation`'s defaults; a layer (e.g. from
        :func:`make_augmentation`) is used as it is; None or False adds none
        (the report's model).
    l2 : float, default=0.0
        Factor of an L2 penalty on the kernels of the convolution and dense
        layers (``keras.regularizers.L2``), in [0, 1), added to the training
        loss; 0 adds none (the report's model). 1e-4 to 1e-3 are usual.
    name : str, default="two_layer_cnn"
        Name of the returned model.

    Returns
    -------
    model : keras.Model
        An uncompiled model. Its layers have stable names ([``augmentation``,]
        ``rescale``, ``conv1``, ``pool1``, ``conv2``, ``pool2``, ``flatten``
        or ``global_pool``, ``dense``, ``dropout``, ``predictions``).

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
    augmentation = _augmentation_layer(augmentation)
    _check_factor("l2", l2, 1.0)
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


def _check_factor(name, value, upper):
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not number or not 0 <= value < upper:
        raise ValueError(
            f"{name} must be a number in [0, {upper:g}), 0 for none. "
            f"Received: {name}={value!r}"
        )


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
        _check_factor(name, value, upper)
    if random_state is not None and (
        isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral)
    ):
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
):
    """Build the report's Model 2: a frozen VGG16 base with a small dense head.

    ``image -> VGG16Preprocess -> VGG16(include_top=False), frozen, called with
    training=False -> Flatten -> Dense(256, relu) -> Dense(num_classes)``,
    the report's network, with ``keras.applications.vgg16.preprocess_input``
    applied inside so that it takes 0-255 RGB pictures.

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
        :class:`WeightsUnavailableError` rather than falling back to random
        weights. The choice is recorded (:func:`get_info`, :func:`save_model`).
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

    Returns
    -------
    model : keras.Model
        An uncompiled model with layers ``image``, ``preprocess``, ``vgg16``
        (frozen), ``flatten`` or ``global_pool``, ``dense``, [``dropout``,]
        ``predictions``.

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
    if int(num_classes) < 2:
        raise ValueError(
            f"num_classes must be at least 2. Received: num_classes={num_classes}"
        )
    if head not in ("flatten", "avg"):
        raise ValueError(f'head must be "flatten" or "avg". Received: head={head!r}')
    if output_activation not in ("softmax", "sigmoid"):
        raise ValueError(
            'output_activation must be "softmax" or "sigmoid". '
            f"Received: output_activation={output_activation!r}"
        )
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")

    base = build_vgg16_base(input_shape, weights)
    # Frozen, and called with training=False below, as in Keras' transfer
    # learning guide: fine-tuning later must not switch layers to training
    # mode (VGG16 has no BatchNorm, but a student may swap the base).
    base.trainable = False

    inputs = keras.Input(shape=input_shape, name="image")
    x = VGG16Preprocess(name="preprocess")(inputs)
    x = base(x, training=False)
    if head == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(
        num_classes, activation=output_activation, name="predictions"
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


def unfreeze_top(model, *, from_layer="block5_conv1", learning_rate=1e-5):
    """Unfreeze the top of the VGG16 base for fine-tuning, and recompile.

    The second phase of Keras' transfer-learning guide: once the head has
    been trained on the frozen base, make the base layers from ``from_layer``
    on trainable and train again with a learning rate low enough not to
    destroy the ImageNet features. The base stays called with
    ``training=False``. The model is recompiled here, because a change of
    ``trainable`` only takes effect at ``compile``.

    Parameters
    ----------
    model : keras.Model
        A model from :func:`build_vgg16_transfer`.
    from_layer : str, default="block5_conv1"
        First VGG16 layer to unfreeze; it and every layer after it train.
    learning_rate : float, default=1e-5
        Learning rate of the ``RMSprop`` optimizer (the report's optimizer).

    Returns
    -------
    model : keras.Model
        The same model, recompiled with categorical cross-entropy and
        accuracy.

    See Also
    --------
    animecls.training.fit_model : ``recipe="vgg16_finetune"`` trains it.

    Examples
    --------
    >>> from animecls.models import build_vgg16_transfer, unfreeze_top
    >>> model = unfreeze_top(build_vgg16_transfer((32, 32, 3), weights=None))
    >>> [layer.name for layer in model.get_layer("vgg16").layers if layer.trainable]
    ['block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool']
    """
    base = get_vgg16_base(model)
    names = [layer.name for layer in base.layers]
    if from_layer not in names:
        raise ValueError(
            f"from_layer must be a VGG16 layer name, one of {names[1:]}. "
            f"Received: from_layer={from_layer!r}"
        )
    if not learning_rate > 0:
        raise ValueError(
            f"learning_rate must be positive. Received: learning_rate={learning_rate}"
        )
    start = names.index(from_layer)
    base.trainable = True
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    set_info(model, unfrozen_from=from_layer)
    return model


class ModelFileError(ValueError):
    """A file is not a model saved by :func:`save_model`, or is damaged."""


_FORMAT = "animecls-model"
_FORMAT_VERSION = 1
_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def _class_names(class_names, n_outputs, what):
    names = [str(name) for name in class_names]
    if len(names) != n_outputs:
        raise ValueError(
            f"{what} has {n_outputs} outputs but {len(names)} class names were "
            f"given: the class counts differ. Received: class_names={names}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"class_names must be distinct. Received: class_names={names}")
    return names


def _versions():
    import sklearn

    from . import __version__

    return {
        "animecls": __version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
    }


def save_model(model, path, *, class_names=None, image_size=None):
    """Save a trained model with its class names and preprocessing settings.

    A Keras network is written in Keras' ``.keras`` format with an extra
    ``animecls.json`` member in the archive: class names, input size,
    the weights it was built from, the training recipe and fit time. A
    scikit-learn pipeline from :func:`~animecls.embeddings.make_embedding_svm`
    is written as an ``.npz`` archive of arrays and JSON, not a pickle, so
    loading it runs no code from the file.

    Parameters
    ----------
    model : keras.Model or sklearn.pipeline.Pipeline
        A trained network, or a fitted embedding/SVM pipeline.
    path : path-like
        Ends in ``.keras`` for a network, ``.npz`` for a pipeline.
    class_names : list of str or None, default=None
        Name of each class, in label order (``bunch.target_names``). May be
        omitted for a pipeline trained on names.
    image_size : tuple of int or None, default=None
        Pipelines only, and required for them: the (height, width) of the
        training pictures (the loader's ``image_size``). :func:`predict`
        resizes picture files to it and refuses arrays of another size, since
        the features of a picture depend on its size.

    Returns
    -------
    path : str
        The file written.

    Raises
    ------
    ValueError
        If the number of class names differs from the model's outputs, or
        the file extension does not match the kind of model.
    OSError
        If the file cannot be written (a full disk, a read-only folder). The
        model is written to a temporary file in the same folder and renamed
        only when complete, so an earlier file at ``path`` is then unchanged.

    See Also
    --------
    load_model, predict

    Examples
    --------
    >>> from animecls.models import build_two_layer_cnn, save_model
    >>> model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    >>> save_model(model, "cnn.keras", class_names=["a", "b", "c"])  # doctest: +SKIP
    'cnn.keras'
    """
    from . import _saving

    path = os.fspath(path)
    metadata = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "versions": _versions(),
    }
    if isinstance(model, keras.Model):
        if not path.endswith(".keras"):
            raise ValueError(
                f"A Keras model is saved to a .keras file. Received: path={path!r}"
            )
        if class_names is None:
            raise ValueError(
                "class_names is required to save a network (e.g. "
                "bunch.target_names). Received: class_names=None"
            )
        metadata.update(
            kind="keras",
            class_names=_class_names(
                class_names, int(model.output_shape[-1]), "The model"
            ),
            input_shape=[int(d) for d in model.input_shape[1:]],
            info=get_info(model),
        )
        # Written whole to a temporary file first: a full disk or an
        # interruption keeps an earlier model at ``path`` intact.
        with atomic_write(path) as temporary:
            model.save(temporary)
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr("animecls.json", json.dumps(metadata, indent=2))
        return path

    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline):
        raise TypeError(
            "save_model takes a keras.Model or a Pipeline from "
            "make_embedding_svm. Received: model of type "
            f"{type(model).__module__}.{type(model).__qualname__}"
        )
    if not path.endswith(".npz"):
        raise ValueError(f"A pipeline is saved to a .npz file. Received: path={path!r}")
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise ValueError("Fit the pipeline before saving it. Received: unfitted model")
    if class_names is None:
        class_names = [str(c) for c in classes]
    names = _class_names(class_names, len(classes), "The pipeline")
    if image_size is None or len(tuple(image_size)) != 2:
        raise ValueError(
            "image_size (height, width) of the training pictures is required to "
            f"save a pipeline. Received: image_size={image_size!r}"
        )
    metadata.update(
        kind="sklearn",
        class_names=names,
        classes=[c.item() if hasattr(c, "item") else c for c in classes],
        input_shape=[int(image_size[0]), int(image_size[1]), 3],
        info=_pipeline_info(model),
    )
    try:
        arrays = _saving.encode(model, metadata)
    except TypeError as error:
        raise TypeError(
            f"Cannot save this pipeline without pickle: {error}. Use joblib at "
            "your own risk (loading a pickle runs code from the file)."
        ) from error
    with (
        atomic_write(path) as temporary,
        zipfile.ZipFile(temporary, "w") as archive,
    ):
        # np.savez's layout, written here so that a failed write still closes
        # the archive (numpy < 2.2 leaves it to the garbage collector, which
        # then reports an error about a closed file).
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(
                    member, np.asanyarray(array), allow_pickle=False
                )
    return path


def _pipeline_info(model):
    """Return the record of a pipeline to save, with its VGG16 weights if any."""
    from .embeddings import VGG16Embedder

    info = get_info(model)
    embedder = dict(model.steps).get("embed")
    if isinstance(embedder, VGG16Embedder) and "weights" not in info:
        try:
            info["weights"] = describe_weights(embedder.weights)
        except (OSError, TypeError):
            # A weights file gone since fitting, or an odd value the embedder
            # took: the file is still worth saving without that entry.
            pass
    return info


def _read_metadata(path):
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, IsADirectoryError):
        raise ModelFileError(
            f"{path!r} is not a model saved by animecls.models.save_model (not a "
            "zip archive: .keras and .npz files are)."
        ) from None
    with archive:
        names = archive.namelist()
        if "animecls.json" in names:
            try:
                metadata = json.loads(archive.read("animecls.json"))
            except ValueError:
                metadata = {}
        elif "animecls_metadata.npy" in names:
            metadata = {"kind": "sklearn", "format": _FORMAT}
        else:
            hint = (
                " It is a Keras file without animecls metadata: load it with "
                "keras.saving.load_model and pass class_names to predict."
                if "config.json" in names
                else ""
            )
            raise ModelFileError(
                f"{path!r} was not saved by animecls.models.save_model.{hint}"
            )
    if metadata.get("format") != _FORMAT:
        raise ModelFileError(f"{path!r} has damaged animecls metadata.")
    return metadata


# Keras entries that hold Python code rather than naming a class to build.
_CODE_ENTRIES = ("Lambda", "TFOpLambda", "__lambda__")
# The Keras modules whose classes a network is made of. Other Keras modules
# hold functions that fetch files or load models, which configs have used to
# get around safe_mode.
_LAYER_MODULES = frozenset(
    {
        "keras",
        "keras.activations",
        "keras.constraints",
        "keras.initializers",
        "keras.layers",
        "keras.losses",
        "keras.metrics",
        "keras.optimizers",
        "keras.optimizers.schedules",
        "keras.regularizers",
        "keras.src.models.functional",
        "keras.src.models.model",
        "keras.src.models.sequential",
    }
)


def _code_in_config(path):
    """Name the first entry of a ``.keras`` config that could run code, or None.

    Keras' own ``safe_mode`` refuses Python lambdas, but configs naming other
    modules or functions have got around it (CVE-2025-1550, fixed in Keras
    3.9; CVE-2025-8747 and CVE-2025-9906, fixed in 3.11). Checked here,
    before Keras reads the file, whatever Keras version is installed: only
    classes of the Keras modules networks are built from, animecls classes,
    classes registered in this Python session, and Keras' own activation
    functions may be named.
    """
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    registered = keras.saving.get_custom_objects()
    pending = [config]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        pending.extend(value.values())
        name = value.get("class_name")
        module = value.get("module")
        if name in _CODE_ENTRIES:
            return f"a {name!r} entry"
        # Keras looks a function up by its name (its config), a class by its
        # registered name; either found among the registered objects is used
        # instead of the module.
        key = (
            value.get("config") if name == "function" else value.get("registered_name")
        )
        if module is None or (isinstance(key, str) and key in registered):
            continue
        if not isinstance(module, str):
            return f"a class with module {module!r}"
        if name == "function" and module != "keras.activations":
            return f"the function {value.get('config')!r} from the module {module!r}"
        if module not in _LAYER_MODULES and not module.startswith("animecls."):
            return f"the class {name!r} from the module {module!r}"
    return None


def load_model(path, *, safe_mode=True):
    """Load a model written by :func:`save_model`, with its metadata.

    Loading runs no code from the file by default. Keras networks are loaded
    with Keras' ``safe_mode=True`` (no ``Lambda`` code is run), after a check
    that the file names only Keras and animecls classes; pipelines are
    rebuilt from arrays and JSON, with no pickle, whatever ``safe_mode`` is.

    Parameters
    ----------
    path : path-like
        A ``.keras`` or ``.npz`` file from :func:`save_model`.
    safe_mode : bool, default=True
        Refuse a network whose file holds Python code (a ``Lambda`` layer, a
        function) or names classes from other modules. Pass False only for a
        file you made yourself or whose author you trust: loading it can
        then run any code, as running a script from that author would.

    Returns
    -------
    model : keras.Model or sklearn.pipeline.Pipeline
        The model. Its metadata (class names, input size, weights, recipe) is
        returned by :func:`get_info` under ``"saved"``.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError
        If the file was not written by :func:`save_model`, is damaged, or
        (with ``safe_mode=True``) holds code.

    Examples
    --------
    >>> from animecls.models import load_model, predict
    >>> model = load_model("cnn.keras")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not isinstance(safe_mode, bool):
        raise ValueError(
            f"safe_mode must be True or False. Received: safe_mode={safe_mode!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}. Received: path={path!r}")
    metadata = _read_metadata(path)
    if metadata.get("kind") == "keras":
        refused = None
        if safe_mode:
            try:
                refused = _code_in_config(path)
            except (KeyError, ValueError, zipfile.BadZipFile) as error:
                raise ModelFileError(
                    f"{path!r} could not be loaded: damaged config ({error})"
                ) from None
        if refused is None:
            try:
                model = keras.saving.load_model(path, safe_mode=safe_mode)
            except Exception as error:  # Keras raises many types for a bad file
                if "safe_mode" not in str(error):
                    raise ModelFileError(
                        f"{path!r} could not be loaded: {error}"
                    ) from error
                refused = "a Python function (Keras refused it)"
        if refused is not None:
            raise ModelFileError(
                f"{path!r} holds code that loading would run ({refused}), so it "
                "was not loaded. Models built by animecls hold none. If you made "
                "the file yourself or trust its author, load it with "
                "load_model(path, safe_mode=False). Received: safe_mode=True"
            )
        set_info(model, **metadata.get("info", {}))
        set_info(model, saved=metadata)
        return model

    from . import _saving

    try:
        with np.load(path, allow_pickle=False) as archive:
            model, metadata = _saving.decode(archive)
    except (ValueError, KeyError, OSError) as error:
        raise ModelFileError(f"{path!r} could not be loaded: {error}") from error
    set_info(model, **metadata.get("info", {}))
    set_info(model, saved=metadata)
    # The old place of a pipeline's record, which cli.py still reads to tell
    # a pipeline from a network. To go when it reads get_info like the rest.
    model.animecls_info_ = {"saved": metadata}
    return model


def _image_files(item):
    if os.path.isdir(item):
        # Hidden files are skipped as the folder loader skips them (macOS
        # leaves "._name.jpg" copies that are not pictures); anything else
        # named like a picture is read, so a broken one is an error that
        # names it rather than a picture silently left out.
        files = sorted(
            os.path.join(item, name)
            for name in os.listdir(item)
            if name.lower().endswith(_IMAGE_EXTENSIONS)
            and not name.startswith(".")
            and not os.path.isdir(os.path.join(item, name))
        )
        if not files:
            raise ValueError(
                f"The folder {item!r} holds no pictures "
                f"({', '.join(_IMAGE_EXTENSIONS)}): an empty batch. "
                f"Received: {item!r}"
            )
        return files
    if not os.path.lexists(item):
        raise FileNotFoundError(f"No picture at {item!r}. Received: {item!r}")
    # A broken link or an unreadable file is named by the decoder's reason.
    return [item]


def _read_pictures(paths, size):
    """Read picture files as RGB, resized to ``size`` like the folder loader."""
    from ._images import UnreadableImageError, read_image

    pictures = np.empty((len(paths), size[0], size[1], 3), dtype=np.uint8)
    for index, path in enumerate(paths):
        try:
            # The loader's own decoder: EXIF orientation, any colour mode to
            # RGB, the same resize, so a picture is seen as in training.
            read_image(path, image_size=tuple(size), out=pictures[index])
        except UnreadableImageError as error:
            raise ValueError(
                f"Cannot read {path!r} as a picture ({error}). Received: {path!r}"
            ) from None
    return pictures


def _saved_metadata(model):
    return get_info(model).get("saved", {})


def predict(model, images, *, class_names=None, batch_size=32):
    """Name the character in each picture, with the class probabilities.

    Parameters
    ----------
    model : path-like, keras.Model or sklearn.pipeline.Pipeline
        A file from :func:`save_model`, or a trained model.
    images : path-like, list of path-like, or array
        A picture file, a folder of pictures (not recursive; hidden files
        are left out), a list of
        either, or an array of pictures ``(n_images, height, width, 3)`` (or
        one picture ``(height, width, 3)``) of the model's input size.
        Files are decoded as :func:`animecls.datasets.load_image_folder`
        does (RGB, EXIF orientation, stretched to the model's input size).
    class_names : list of str or None, default=None
        Names of the classes; by default the ones saved with the model.
    batch_size : int, default=32
        Pictures per batch for a network.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``labels`` (predicted name per picture), ``probabilities`` (array
        ``(n_images, n_classes)``, or None for a pipeline built without
        ``probability=True``), ``class_names`` and ``filenames`` (None for
        an array).

    Raises
    ------
    ValueError
        For an empty batch, pictures of the wrong size or channel count, or
        class names that do not match the model's outputs.
    ModelFileError
        If ``model`` is a file not written by :func:`save_model`.

    Examples
    --------
    >>> from animecls.models import predict
    >>> result = predict("cnn.keras", "new_pictures/")  # doctest: +SKIP
    >>> result.labels[0], result.probabilities[0].max()  # doctest: +SKIP
    ('Marin Kitagawa', 0.93)
    """
    from sklearn.utils import Bunch

    if isinstance(model, (str, os.PathLike)):
        model = load_model(model)
    metadata = _saved_metadata(model)
    if isinstance(model, keras.Model):
        input_shape = tuple(int(d) for d in model.input_shape[1:])
        n_outputs = int(model.output_shape[-1])
    else:
        shape = metadata.get("input_shape")
        input_shape = tuple(shape) if shape else None
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise ValueError("Fit the pipeline first. Received: an unfitted pipeline")
        n_outputs = len(classes)
    if class_names is None:
        class_names = metadata.get("class_names")
    if class_names is None:
        classes = getattr(model, "classes_", range(n_outputs))
        class_names = [str(c) for c in classes]
    class_names = _class_names(class_names, n_outputs, "The model")

    filenames = None
    if isinstance(images, (str, os.PathLike)) or (
        isinstance(images, (list, tuple))
        and images
        and all(isinstance(i, (str, os.PathLike)) for i in images)
    ):
        items = [images] if isinstance(images, (str, os.PathLike)) else images
        filenames = [f for item in items for f in _image_files(os.fspath(item))]
        if input_shape is None:
            raise ValueError(
                "This pipeline was not saved with an image size; pass an array "
                "of pictures. Received: picture files"
            )
        pictures = _read_pictures(filenames, input_shape[:2])
    else:
        try:
            pictures = np.asarray(images)
        except ValueError:
            raise ValueError(
                "images must be pictures of one size; resize them first (as "
                "load_image_folder does) or pass their files. Received: a "
                f"{type(images).__name__} of pictures of different shapes"
            ) from None
        if pictures.dtype.kind not in "uif":
            raise ValueError(
                "images must hold numbers from 0 to 255. Received: images with "
                f"dtype {pictures.dtype}"
            )
        if pictures.dtype.kind == "f" and not np.isfinite(pictures).all():
            raise ValueError(
                "images holds NaN or infinite values; pictures hold numbers "
                f"from 0 to 255. Received: images with dtype {pictures.dtype}"
            )
        if pictures.ndim == 3 and pictures.shape[-1] in (1, 3, 4):
            pictures = pictures[None]
        if pictures.ndim == 4 and pictures.shape[0] == 0:
            raise ValueError(
                "images is an empty batch. Received: images with shape "
                f"{pictures.shape}"
            )
        if pictures.ndim != 4 or pictures.shape[-1] != 3:
            raise ValueError(
                "images must be RGB pictures (n_images, height, width, 3); grey "
                "or RGBA pictures need converting. Received: images with shape "
                f"{np.shape(images)}"
            )
        if input_shape is not None and tuple(pictures.shape[1:]) != input_shape:
            raise ValueError(
                f"The model takes pictures of {input_shape[0]}x{input_shape[1]}x3 "
                "(height x width x channels); resize them, e.g. with "
                f"load_image_folder(..., image_size={input_shape[:2]}). Received: "
                f"images with shape {pictures.shape}"
            )
    if len(pictures) == 0:
        raise ValueError("images is an empty batch. Received: no pictures")

    if isinstance(model, keras.Model):
        probabilities = model.predict(pictures, batch_size=batch_size, verbose=0)
        indices = probabilities.argmax(axis=1)
    else:
        if hasattr(model, "predict_proba"):
            probabilities = model.predict_proba(pictures)
            indices = probabilities.argmax(axis=1)
        else:
            probabilities = None
            predicted = model.predict(pictures)
            lookup = {c: i for i, c in enumerate(model.classes_.tolist())}
            indices = np.asarray([lookup[c] for c in predicted.tolist()])
    return Bunch(
        labels=[class_names[i] for i in indices],
        probabilities=probabilities,
        class_names=class_names,
        filenames=filenames,
    )
