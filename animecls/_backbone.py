"""The drawn backbone: a small CNN pretrained on drawn identities, in the wheel.

ImageNet weights need a download that classrooms behind a proxy, and these
machines, cannot make. Pretraining need not use natural pictures (Kataoka et
al., "Pre-training without Natural Images", ACCV 2020): animecls can draw as
many characters as it likes (``random_designs``), so
``animecls.pretraining.pretrain_backbone`` trains this network to tell
hundreds of drawn identities apart, and the wheel ships the result. Its
features then carry over to characters it never saw, which is the transfer
lesson, visible offline.

The network takes 64x64 pictures, 0-255: ``Rescaling(1/255)``, four
convolution blocks with batch normalisation (32, 64, 128 and 192 filters),
global average pooling to ``FEATURES`` numbers per picture; about half a
million weights. ``drawn_features_model`` puts a ``Resizing`` in front
for pictures of any other size.
"""

import hashlib
import json
import os
import pathlib

import keras
from keras import layers

from ._validation import check_seed

__all__ = [
    "DRAWN_RECORD",
    "DRAWN_WEIGHTS",
    "FEATURES",
    "PRETRAINING_SIZE",
    "build_drawn_backbone",
    "describe_drawn_weights",
    "drawn_features_model",
    "drawn_record",
    "file_sha256",
    "load_drawn_backbone",
    "resized_for_backbone",
    "resolve_drawn_weights",
]

_DATA = pathlib.Path(__file__).resolve().parent / "_data"
#: The shipped weights and the record of how they were made.
DRAWN_WEIGHTS = _DATA / "drawn_backbone.weights.h5"
DRAWN_RECORD = _DATA / "drawn_backbone.json"

#: Picture size the backbone was pretrained at; inputs are resized to it.
PRETRAINING_SIZE = (64, 64)
#: Length of the feature vector of one picture.
FEATURES = 192

# (filters, convolutions) per block: one convolution in the first two blocks
# keeps the cost of the large early maps low; two in the third.
_BLOCKS = ((32, 1), (64, 1), (128, 2), (192, 1))


def build_drawn_backbone(*, name="drawn_backbone"):
    """Build the backbone at its pretraining size, with random weights.

    Seeded by Keras' global seed (``keras.utils.set_random_seed``).

    Returns
    -------
    model : keras.Model
        ``(64, 64, 3)`` pictures, 0-255, to ``FEATURES`` features.
        Layers ``image``, ``rescale``, ``block{i}_conv{j}``,
        ``block{i}_bn{j}``, ``block{i}_relu{j}``, ``block{i}_pool`` and
        ``global_pool``; the blocks' names are what fine-tuning unfreezes.
    """
    inputs = keras.Input(shape=(*PRETRAINING_SIZE, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    for block, (filters, convolutions) in enumerate(_BLOCKS, start=1):
        for conv in range(1, convolutions + 1):
            x = layers.Conv2D(
                filters,
                3,
                padding="same",
                use_bias=False,
                name=f"block{block}_conv{conv}",
            )(x)
            x = layers.BatchNormalization(name=f"block{block}_bn{conv}")(x)
            x = layers.ReLU(name=f"block{block}_relu{conv}")(x)
        if block < len(_BLOCKS):
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    outputs = layers.GlobalAveragePooling2D(name="global_pool")(x)
    return keras.Model(inputs, outputs, name=name)


def load_drawn_backbone(weights="drawn", *, random_state=0):
    """Build the backbone and load ``weights`` into it, frozen.

    Parameters
    ----------
    weights : "drawn", None or path-like, default="drawn"
        The weights shipped with animecls, random weights (seeded by
        ``random_state``), or a ``.weights.h5`` file from
        ``animecls.pretraining.pretrain_backbone``.
    random_state : int, default=0
        Seed of the random weights when ``weights=None``.

    Returns
    -------
    backbone : keras.Model
        Frozen (``trainable=False``): BatchNormalization then runs in
        inference mode, with the statistics of the pretraining pictures.
    """
    path = resolve_drawn_weights(weights)
    seed = check_seed(random_state)
    backbone = build_drawn_backbone()
    if path is None:
        # Seeded here, not through keras.utils.set_random_seed, which would
        # reset the caller's global generators (and every later model's
        # initial weights with them).
        for index, layer in enumerate(
            layer for layer in backbone.layers if isinstance(layer, layers.Conv2D)
        ):
            init = keras.initializers.GlorotUniform(seed=seed * 1000 + index)
            layer.kernel.assign(init(layer.kernel.shape))
    else:
        try:
            backbone.load_weights(path)
        except ValueError as error:
            raise ValueError(
                f"{path!r} does not hold weights of the drawn backbone ({error}). "
                f"Received: weights={weights!r}"
            ) from None
    backbone.trainable = False
    return backbone


def drawn_features_model(input_shape, backbone, *, name="drawn_features"):
    """Wrap ``backbone`` so that it takes pictures of ``input_shape``, 0-255.

    Pictures of another size than ``PRETRAINING_SIZE`` are resized to it
    first (area averaging), as the embedders resize for VGG16.
    """
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    outputs = backbone(resized_for_backbone(inputs), training=False)
    return keras.Model(inputs, outputs, name=name)


def resized_for_backbone(pictures):
    """Resize a Keras tensor of pictures to ``PRETRAINING_SIZE`` if needed.

    Bilinear with antialiasing (an area average when shrinking), which has a
    gradient: Grad-CAM differentiates through it.
    """
    if tuple(pictures.shape[1:3]) == PRETRAINING_SIZE:
        return pictures
    resize = layers.Resizing(
        *PRETRAINING_SIZE, interpolation="bilinear", antialias=True, name="resize"
    )
    return resize(pictures)


def file_sha256(path):
    """Return the SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def drawn_record():
    """Return the record of the shipped weights (settings, sha256, time, accuracy)."""
    return json.loads(DRAWN_RECORD.read_text(encoding="utf-8"))


def resolve_drawn_weights(weights, *, name="weights"):
    """Return the weights file for ``weights`` ("drawn", a path), or None.

    ``"drawn"`` is the file shipped in the package, checked against the
    sha256 of its record, so a damaged install is an error, not silently
    different features. ``name`` is the argument the errors name.
    """
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "drawn":
        if not DRAWN_WEIGHTS.is_file():
            raise FileNotFoundError(
                f"The shipped drawn-backbone weights are missing from "
                f"{os.fspath(DRAWN_WEIGHTS)!r}: reinstall animecls, or pretrain "
                "your own with `animecls pretrain --out FILE`. Received: "
                f"{name}='drawn'"
            )
        expected = drawn_record()["sha256"]
        if file_sha256(DRAWN_WEIGHTS) != expected:
            raise ValueError(
                f"{os.fspath(DRAWN_WEIGHTS)!r} does not match its record "
                f"(sha256 {expected[:12]}...): the install is damaged; reinstall "
                f"animecls. Received: {name}='drawn'"
            )
        return os.fspath(DRAWN_WEIGHTS)
    try:
        path = os.fspath(weights)
    except TypeError:
        path = None
    if (
        not isinstance(path, str)
        or not path.endswith(".weights.h5")
        or not (os.path.isfile(path))
    ):
        raise ValueError(
            f'{name} must be "drawn", None, or a .weights.h5 file written by '
            f"`animecls pretrain`. Received: {name}={weights!r}"
        )
    return path


def describe_drawn_weights(weights):
    """Record which weights a drawn-backbone model started from."""
    if weights is None:
        return {"weights": "none"}
    path = resolve_drawn_weights(weights)
    if weights == "drawn":
        return {"weights": "drawn", "sha256": drawn_record()["sha256"]}
    return {"weights": path, "sha256": file_sha256(path)}
