"""The models animecls can train and compare, in one place.

Each entry of [`MODELS`][animecls.registry.MODELS] is a
[`ModelSpec`][animecls.registry.ModelSpec]: the model's name, a one-line
description, the public function that builds it, how it is fitted, what its
``parameters`` column counts, whether it reads VGG16 features, and the remedy
knobs the experiments may turn.
[`compare_models`][animecls.comparison.compare_models], every function of
[`animecls.experiments`][], the ``animecls`` command's help and the
documentation's model list all read it, so a model added here appears
everywhere at once.

This module is plain Python: it imports neither TensorFlow nor scikit-learn.
The code that fits an entry lives in the private engine behind
[`animecls.comparison`][], which imports Keras when it runs.

Examples
--------
>>> from animecls.registry import MODELS, get_model_spec
>>> list(MODELS)[:2]
['two_layer_cnn', 'vgg16_transfer']
>>> get_model_spec("pixels_svm").kind
'sklearn'
"""

from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_MODELS",
    "MODELS",
    "ModelSpec",
    "get_model_spec",
    "model_label",
    "models_markdown",
]


@dataclass(frozen=True)
class ModelSpec:
    """What animecls knows about one model it can train.

    Parameters
    ----------
    name : str
        The name used in tables, run folders and ``--models``.
    description : str
        One line for tables, help texts and the docs.
    kind : {"keras", "sklearn"}
        A Keras network, or a scikit-learn pipeline on picture arrays.
    builder : str
        The public function that builds it, as ``module:function``.
    fit : str
        How it is trained, in words (the recipe and its settings).
    parameters : str
        What its ``parameters`` column counts. For every model it is the
        numbers learned from the training pictures: the trainable weights
        of a network (a frozen base learns nothing), the coefficients of an
        SVM.
    strategy : str
        Which fitting code of the engine trains it.
    backbone : {"vgg16", "drawn"} or None
        The frozen network whose features it reads: VGG16's ``block5_pool``
        maps, or the drawn backbone's pooled features. Within one run these
        are computed once per set of pictures, size and weights, and shared
        by every entry that reads them.
    knobs : dict of str to str
        The options an experiment may change (remedies), each with what it
        does.
    """

    name: str
    description: str
    kind: str
    builder: str
    fit: str
    parameters: str
    strategy: str
    backbone: str | None = None
    knobs: dict = field(default_factory=dict)

    @property
    def vgg16_features(self):
        """True when the model reads VGG16's features (and its weights apply)."""
        return self.backbone == "vgg16"

    @property
    def file_suffix(self):
        """Extension of the file [`save_model`][animecls.models.save_model] writes."""
        return ".keras" if self.kind == "keras" else ".skops"


_NETWORK_PARAMETERS = "trainable weights of the network"
_SVM_PARAMETERS = (
    "SVM coefficients and intercepts (support-vector coefficients for an RBF "
    "kernel); the feature extractor learns nothing"
)

MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="two_layer_cnn",
            description="the report's Model 1, trained from scratch",
            kind="keras",
            builder="animecls.models:build_two_layer_cnn",
            fit="fit_model, recipe two_layer_cnn (Adam 5e-4, 15 epochs, batch 32)",
            parameters=_NETWORK_PARAMETERS,
            strategy="network",
            knobs={
                "augmentation": "random flips, rotations, zooms, shifts and "
                "contrast in front of the network (make_augmentation)",
                "dropout": "dropout rate before the output (the report's 0.5)",
                "l2": "L2 penalty on the convolution and dense kernels",
                "pooling": '"avg": global average pooling instead of Flatten',
                "dense_units": "width of the hidden dense layer (256)",
                "early_stopping": "patience in epochs on the validation loss, "
                "best weights kept",
            },
        ),
        ModelSpec(
            name="vgg16_transfer",
            description="the report's Model 2: frozen VGG16, Flatten, Dense(256)",
            kind="keras",
            builder="animecls.models:build_vgg16_transfer",
            fit="the head on VGG16 features computed once, recipe vgg16_transfer "
            "(RMSprop 2e-5, 10 epochs)",
            parameters=_NETWORK_PARAMETERS + " (the head; block5 too once fine-tuned)",
            strategy="vgg16_head",
            backbone="vgg16",
            knobs={
                "finetune": "then unfreeze VGG16 from block5_conv1 and fine-tune "
                "on the pictures (unfreeze_top, recipe vgg16_finetune)",
                "early_stopping": "patience in epochs on the validation loss, "
                "best weights kept",
            },
        ),
        ModelSpec(
            name="vgg16_svm",
            description="VGG16 embeddings (average-pooled block5_pool) + linear SVM",
            kind="sklearn",
            builder="animecls.embeddings:make_baseline",
            fit="StandardScaler and SVC(kernel='linear') on the VGG16 features "
            "computed once",
            parameters=_SVM_PARAMETERS,
            strategy="vgg16_svm",
            backbone="vgg16",
        ),
        ModelSpec(
            name="drawn_transfer",
            description="the drawn backbone (pretrained by animecls on drawn "
            "identities, shipped), frozen, + Dense(128) head",
            kind="keras",
            builder="animecls.models:build_drawn_transfer",
            fit="the head on the backbone's features computed once, recipe "
            "drawn_transfer (Adam 1e-3, 60 epochs)",
            parameters=_NETWORK_PARAMETERS + " (the head; block4 too once fine-tuned)",
            strategy="drawn_head",
            backbone="drawn",
            knobs={
                "finetune": "then unfreeze the backbone's last block and "
                "fine-tune on the pictures (unfreeze_top, recipe drawn_finetune)",
                "early_stopping": "patience in epochs on the validation loss, "
                "best weights kept",
            },
        ),
        ModelSpec(
            name="drawn_svm",
            description="drawn-backbone features (192 per picture) + linear SVM",
            kind="sklearn",
            builder="animecls.embeddings:make_baseline",
            fit="StandardScaler and SVC(kernel='linear', C=0.01: chosen on "
            "random identities) on the backbone's features computed once",
            parameters=_SVM_PARAMETERS,
            strategy="drawn_svm",
            backbone="drawn",
        ),
        ModelSpec(
            name="pixels_svm",
            description="raw 32x32 pixels + linear SVM",
            kind="sklearn",
            builder="animecls.embeddings:make_baseline",
            fit="RawPixels, StandardScaler and SVC(kernel='linear')",
            parameters=_SVM_PARAMETERS,
            strategy="pipeline",
        ),
        ModelSpec(
            name="color_histogram_svm",
            description="HSV colour histogram + RBF SVM",
            kind="sklearn",
            builder="animecls.embeddings:make_baseline",
            fit="ColorHistogram, StandardScaler and SVC(kernel='rbf')",
            parameters=_SVM_PARAMETERS,
            strategy="pipeline",
        ),
    )
}
"""Every built-in model, in the order tables list them."""

DEFAULT_MODELS = tuple(MODELS)
"""The models a comparison trains when none are named: all of them."""


def get_model_spec(name):
    """Return the [`ModelSpec`][animecls.registry.ModelSpec] of a built-in model.

    Parameters
    ----------
    name : str
        One of [`MODELS`][animecls.registry.MODELS].

    Returns
    -------
    spec : ModelSpec

    Raises
    ------
    ValueError
        For a name that is not in [`MODELS`][animecls.registry.MODELS]; the
        message lists them.
    """
    if not isinstance(name, str) or name not in MODELS:
        raise ValueError(
            f"Unknown model; the built-in models are {list(MODELS)}. Received: {name!r}"
        )
    return MODELS[name]


def models_markdown():
    """Return the built-in models as a Markdown table, for the docs.

    Returns
    -------
    text : str
        One row per model: name, description, how it is trained and what its
        ``parameters`` column counts.
    """
    lines = [
        "| model | what it is | how it is trained | parameters counted |",
        "| --- | --- | --- | --- |",
    ]
    for spec in MODELS.values():
        lines.append(
            f"| `{spec.name}` | {spec.description} | {spec.fit} | {spec.parameters} |"
        )
    return "\n".join(lines) + "\n"


def model_label(row, *, imagenet=False):
    """Return a row's model name, saying "(random weights)" where it had them.

    A VGG16 or drawn-backbone model run from random weights is not the model
    its name suggests; the table says so in the model's own cell, so no
    number of it can be quoted without its weights.

    Parameters
    ----------
    row : dict
        A table or run row: ``model``, and ``weights`` as the rows' weights
        column says it (``"-"`` when missing).
    imagenet : bool, default=False
        Also say "(ImageNet weights)" where the row had them, for tables
        shown beside ones measured offline (the comparison guide's ImageNet
        tables). The library's own tables leave them unsaid: they are what a
        VGG16 model's name implies.

    Returns
    -------
    label : str
        E.g. ``"vgg16_svm (random weights)"``, ``"vgg16_svm (ImageNet
        weights)"`` or ``"pixels_svm"``.

    Examples
    --------
    >>> from animecls.registry import model_label
    >>> model_label({"model": "vgg16_svm", "weights": "none (ImageNet unavailable)"})
    'vgg16_svm (random weights)'
    >>> model_label({"model": "vgg16_svm", "weights": "imagenet"}, imagenet=True)
    'vgg16_svm (ImageNet weights)'
    >>> model_label({"model": "vgg16_svm", "weights": "imagenet"})
    'vgg16_svm'
    """
    weights = str(row.get("weights", "-"))
    if weights == "none" or weights.startswith("none "):
        return f"{row['model']} (random weights)"
    if imagenet and weights == "imagenet":
        return f"{row['model']} (ImageNet weights)"
    return row["model"]
