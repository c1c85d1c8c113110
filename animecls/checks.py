"""Sanity checks that catch the report's kinds of mistakes before and by training.

[`check_model`][animecls.checks.check_model] reads a Keras model (and, when
given, the pictures and labels it will train on) and lists what is wrong in
plain words: the output activation that does not fit the loss, a VGG16 base fed
unpreprocessed pictures, an input size that differs from the pictures, a
validation split that is not representative, and (a heuristic warning) far
more parameters per picture than is usual.
[`shuffled_labels_test`][animecls.checks.shuffled_labels_test] trains a fresh
model on randomly permuted labels: a model that reaches high training accuracy
on them can memorise, whatever its test accuracy on true labels suggests.

Keras is imported inside the functions that need it, so importing this
module is light.
"""

import math
from dataclasses import dataclass

import numpy as np
from sklearn.utils import Bunch

__all__ = [
    "Finding",
    "ModelCheckError",
    "ModelCheckReport",
    "check_model",
    "shuffled_labels_test",
]

_SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Finding:
    """One problem found by [`check_model`][animecls.checks.check_model].

    Attributes
    ----------
    code : str
        Stable identifier, ``"AC001"`` to ``"AC008"`` (see
        [`check_model`][animecls.checks.check_model]).
    severity : {"error", "warning", "info"}
        ``"error"``: the model or data are wrong and the numbers it gives mean
        little; ``"warning"``: it will train but likely mislead on tiny data;
        ``"info"``: worth knowing.
    message : str
        What is wrong, why it matters on tiny data and how to fix it.
    """

    code: str
    severity: str
    message: str

    def __str__(self):
        return f"{self.code} [{self.severity}] {self.message}"


class ModelCheckReport(list):
    """The list of ``Finding`` returned by ``check_model``.

    A plain list with a readable ``str``, and the findings of each severity
    as ``errors``, ``warnings`` and ``infos``.
    """

    @property
    def errors(self):
        """Findings of severity ``"error"``."""
        return [f for f in self if f.severity == "error"]

    @property
    def warnings(self):
        """Findings of severity ``"warning"``."""
        return [f for f in self if f.severity == "warning"]

    @property
    def infos(self):
        """Findings of severity ``"info"``."""
        return [f for f in self if f.severity == "info"]

    def __str__(self):
        if not self:
            return "check_model: no problems found."
        counts = ", ".join(
            f"{len([f for f in self if f.severity == s])} {s}(s)"
            for s in reversed(_SEVERITIES)
        )
        return "\n".join([f"check_model: {counts}"] + [f"- {f}" for f in self])


class ModelCheckError(ValueError):
    """Raised by ``check_model`` with ``raise_on`` when a finding is severe.

    Attributes
    ----------
    report : ModelCheckReport
        All the findings, not only the ones that caused the error.
    """

    def __init__(self, report):
        super().__init__(str(report))
        self.report = report


# ------------------------------------------------------------------ helpers


def _layer_kind(layer):
    return type(layer).__name__


def _activation_name(layer):
    """Name of the activation a layer ends with, or None if it has none."""
    if _layer_kind(layer) == "Softmax":
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    name = getattr(activation, "__name__", None) or _layer_kind(activation)
    return str(name).lower()


def _loss_name(model):
    """(name, from_logits) of the compiled loss, or (None, None) if uncompiled."""
    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (list, tuple, dict)):
        return None, None
    if isinstance(loss, str):
        return loss.lower(), False
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
    from_logits = False
    if hasattr(loss, "get_config"):
        try:
            from_logits = bool(loss.get_config().get("from_logits", False))
        except (NotImplementedError, TypeError):
            from_logits = False
    return str(name).lower(), from_logits


def _labels(target):
    target = np.asarray(target)
    if target.ndim == 2:
        return target.argmax(axis=1)
    return target


def _split_data(data):
    """Return (images or None, target or None, n_classes or None) from ``data``."""
    if data is None:
        return None, None, None
    if isinstance(data, dict):
        images = data.get("images", data.get("data"))
        target = data.get("target")
        names = data.get("class_names")
    elif isinstance(data, tuple) and len(data) == 2:
        (images, target), names = data, None
    else:
        images, target, names = data, None, None
    images = None if images is None else np.asarray(images)
    n_classes = None
    if target is not None:
        target = np.asarray(target)
        if target.ndim == 2:
            n_classes = target.shape[1]
        if names is not None:
            n_classes = len(names)
        elif n_classes is None:
            n_classes = len(np.unique(target))
    if images is not None and target is not None and len(images) != len(target):
        raise ValueError(
            "data's images and target must hold one entry per picture. Received: "
            f"images.shape={images.shape}, target.shape={target.shape}"
        )
    return images, target, n_classes


def _count(model, trainable):
    weights = model.trainable_weights if trainable else model.weights
    return int(sum(math.prod(int(d) for d in w.shape) for w in weights))


# ------------------------------------------------------------------ checks


def _check_output(model, n_classes):
    """AC001: the output activation must fit the loss and one label per image."""
    activation = _activation_name(model.layers[-1])
    units = int(model.output_shape[-1])
    loss, from_logits = _loss_name(model)
    categorical = loss is not None and "categorical_crossentropy" in loss
    binary = loss is not None and "binary_crossentropy" in loss
    if activation == "softmax" and units == 1:
        return [
            Finding(
                "AC001",
                "error",
                "The output is softmax over a single unit, which is always 1.0: the "
                "model cannot learn anything. Use Dense(n_classes, "
                'activation="softmax") or, for two classes, one sigmoid unit with '
                "binary cross-entropy.",
            )
        ]
    if activation == "sigmoid" and units > 1:
        if categorical:
            severity, start = (
                "error",
                (
                    f"The output layer is {units} sigmoid units but the loss is "
                    "categorical cross-entropy (the report's Model 2 mistake)."
                ),
            )
        elif binary:
            return []  # multi-label on purpose: sigmoid + binary CE is coherent
        else:
            severity, start = (
                "warning",
                (
                    f"The output layer is {units} sigmoid units; trained with "
                    "categorical cross-entropy (as animecls.training.fit_model "
                    "compiles) this is the report's Model 2 mistake."
                ),
            )
        return [
            Finding(
                "AC001",
                severity,
                f"{start} Sigmoid scores each class on its own, as for pictures "
                "with several labels; the loss renormalises the outputs inside, so "
                "training still runs, but the scores the model prints are not the "
                "probabilities of one character (they need not sum to one, several "
                "can be near 1), and on a tiny test set such scores are all a "
                'student sees. Use activation="softmax" for one character per '
                'picture (build_vgg16_transfer(output_activation="softmax")).',
            )
        ]
    if activation == "softmax" and binary and units > 1:
        return [
            Finding(
                "AC001",
                "error",
                f"The output is softmax over {units} classes but the loss is "
                "binary cross-entropy. Keras then also reads metrics=['accuracy'] "
                "as binary accuracy per output, which is inflated: predicting all "
                f"zeros already scores {(units - 1) / units:.2f} with {units} "
                "classes, so the curves look good on any data. Compile with "
                "loss='categorical_crossentropy' (or sparse_categorical_"
                "crossentropy for integer labels).",
            )
        ]
    if activation in ("linear", None) and (categorical or binary) and not from_logits:
        return [
            Finding(
                "AC001",
                "error",
                "The output layer has no activation (it outputs logits) but the "
                "loss expects probabilities (from_logits=False). Add "
                'activation="softmax" to the last layer, or compile with '
                "keras.losses.CategoricalCrossentropy(from_logits=True).",
            )
        ]
    return []


def _find_vgg16(model):
    """Return (index of the VGG16 base in model.layers, nested?) or None."""
    # block5_conv3 is VGG16's own: the drawn backbone also names its first
    # convolution block1_conv1, and takes 0-255 pictures as they are.
    names = {layer.name for layer in model.layers}
    for index, layer in enumerate(model.layers):
        if layer.name == "block1_conv1" and "block5_conv3" in names:
            return index, False
        sublayers = getattr(layer, "layers", None)
        if sublayers is not None and (
            "vgg16" in layer.name.lower()
            or any(sub.name == "block5_conv3" for sub in sublayers)
        ):
            return index, True
    return None


def _check_vgg16_preprocessing(model, images):
    """AC002: a VGG16 base needs ``preprocess_input`` in front of it."""
    found = _find_vgg16(model)
    if found is None:
        return []
    from ._vgg16 import is_vgg16_preprocessing

    index, nested = found
    before = [
        layer for layer in model.layers[:index] if _layer_kind(layer) != "InputLayer"
    ]
    scaling_only = False
    for layer in before:
        kind = _layer_kind(layer)
        if kind in ("VGG16Preprocess", "Lambda", "TFOpLambda", "Normalization") or (
            kind == "Dense" and is_vgg16_preprocessing(layer)
        ):
            # A Lambda cannot be read; give it the benefit of the doubt.
            return []
        if kind == "Rescaling":
            if np.any(np.asarray(layer.offset) != 0):
                return []
            scaling_only = True
    if images is not None and images.size and float(np.min(images)) < 0:
        return []  # negative values: the pictures were preprocessed outside
    why = (
        "VGG16's ImageNet weights were trained on BGR pictures with the ImageNet "
        "mean (103.9, 116.8, 123.7) subtracted from each channel and no scaling; "
        "fed RGB 0-255 or 0-1 pictures, its filters see colours swapped and "
        "shifted, so the pretrained features are worse and on a few hundred "
        "pictures the head cannot make up for it."
    )
    fix = (
        "Put animecls.models.vgg16_preprocessing() (keras.applications.vgg16."
        "preprocess_input as a frozen built-in layer) between the input and the "
        "base, as build_vgg16_transfer does, so a saved model cannot be used "
        "without it and plain Keras loads it."
    )
    if scaling_only:
        return [
            Finding(
                "AC002",
                "warning",
                "The pictures reach the VGG16 base through a Rescaling layer only, "
                f"which is not VGG16's preprocessing. {why} {fix}",
            )
        ]
    where = (
        ""
        if nested
        else " (the model's input is the base's input, so nothing "
        "can be put in front of it inside this model)"
    )
    return [
        Finding(
            "AC002",
            "error",
            "The model has a VGG16 base but no preprocessing before it"
            f"{where}{' and the pictures given are not preprocessed (no negative values)' if images is not None else ''}. "  # noqa: E501
            f"{why} {fix}",
        )
    ]


def _check_shapes(model, images):
    """AC003 (size) and AC004 (channels): the input must match the pictures."""
    if images is None:
        return []
    findings = []
    expected = tuple(model.input_shape[1:])
    if images.ndim != 4 or len(expected) != 3:
        return [
            Finding(
                "AC003",
                "error",
                f"The model takes inputs of shape {expected} but the pictures "
                f"have shape {images.shape[1:]}: they cannot be fed as they are. "
                "Pass pictures as an array (n_images, height, width, channels).",
            )
        ]
    height, width, channels = expected
    if (height is not None and height != images.shape[1]) or (
        width is not None and width != images.shape[2]
    ):
        findings.append(
            Finding(
                "AC003",
                "error",
                f"The model was built for {height}x{width} pictures but the "
                f"pictures are {images.shape[1]}x{images.shape[2]} (the report "
                "resized to 256x256 and built the CNN for 250x250). Keras refuses "
                "the batch, and resizing elsewhere (crop, a different "
                "interpolation) changes what the network sees at prediction time. "
                "Build the model with input_shape="
                f"{(images.shape[1], images.shape[2], images.shape[3])} or load the "
                f"pictures with image_size=({height}, {width}).",
            )
        )
    if channels is not None and channels != images.shape[3]:
        findings.append(
            Finding(
                "AC004",
                "error",
                f"The model takes {channels} channel(s) but the pictures have "
                f"{images.shape[3]}. Convert them (RGB: 3 channels, drop an alpha "
                "channel, repeat a grey one) or build the model with "
                f"input_shape=(..., {images.shape[3]}).",
            )
        )
    return findings


def _check_classes(model, target, n_classes):
    """AC005: one output unit per class."""
    if target is None:
        return []
    units = int(model.output_shape[-1])
    labels = _labels(target)
    largest = int(labels.max()) if labels.size and labels.dtype.kind in "iu" else None
    if units == 1 and n_classes == 2:
        return []  # one sigmoid unit for two classes
    if units != n_classes or (largest is not None and largest >= units):
        return [
            Finding(
                "AC005",
                "error",
                f"The model has {units} output units but the targets hold "
                f"{n_classes} classes"
                f"{f' (labels up to {largest})' if largest is not None else ''}. "
                "Keras either refuses the one-hot labels or, with sparse labels, "
                "trains a class that never appears and never predicts one that "
                f"does. Build the model with num_classes={n_classes}.",
            )
        ]
    return []


def _is_sorted_by_class(labels):
    """Tell whether each class occupies one contiguous block, as folders give."""
    changes = int(np.count_nonzero(labels[1:] != labels[:-1]))
    return len(np.unique(labels)) > 1 and changes == len(np.unique(labels)) - 1


def _check_validation(target, validation, max_proportion_gap):
    """AC006 (sorted targets) and AC007 (unrepresentative validation part)."""
    if validation is None or target is None:
        return [], None
    labels = _labels(target)
    findings = []
    if isinstance(validation, (tuple, list)):
        if len(validation) != 2:
            raise ValueError(
                "validation must be a fraction or a pair (x_val, y_val). "
                f"Received: validation of length {len(validation)}"
            )
        val_labels = _labels(validation[1])
        described = "the validation labels given"
        n_train = len(labels)
    else:
        fraction = float(validation)
        if not 0 < fraction < 1:
            raise ValueError(
                "validation must be a fraction in (0, 1) or a pair (x_val, y_val). "
                f"Received: validation={validation!r}"
            )
        # Keras' own split point: the first floor(n * (1 - v)) train, unshuffled.
        n_train = int(math.floor(len(labels) * (1.0 - fraction)))
        val_labels = labels[n_train:]
        described = (
            f"the last {len(val_labels)} of {len(labels)} targets, which Keras' "
            f"fit(validation_split={fraction:g}) keeps for validation before any "
            "shuffling,"
        )
        if _is_sorted_by_class(labels):
            findings.append(
                Finding(
                    "AC006",
                    "error",
                    "The targets are sorted by class (one block per class, as a "
                    "folder-by-folder loader returns them). Keras' "
                    "validation_split takes the last pictures without shuffling, "
                    "so validation holds the last class(es) only and training "
                    "never sees them: validation accuracy measures nothing. "
                    "Shuffle before fitting, or split with animecls.datasets."
                    "train_validation_split(images, target) (stratified) and pass "
                    "validation_data.",
                )
            )
    classes = np.unique(labels)
    missing = [c.item() for c in classes if c not in set(val_labels.tolist())]
    proportions_all = np.array([np.mean(labels == c) for c in classes])
    proportions_val = np.array([np.mean(val_labels == c) for c in classes])
    gap = float(np.max(np.abs(proportions_val - proportions_all)))
    if missing or gap > max_proportion_gap:
        worst = classes[int(np.argmax(np.abs(proportions_val - proportions_all)))]
        detail = (
            f"class(es) {missing} never appear in it"
            if missing
            else (
                f"class {worst.item()!r} makes "
                f"{proportions_val[classes == worst][0]:.0%} of it against "
                f"{proportions_all[classes == worst][0]:.0%} of all "
                f"targets (a gap of {gap:.2f}, above {max_proportion_gap:g})"
            )
        )
        findings.append(
            Finding(
                "AC007",
                "warning",
                f"The validation part is not representative: in {described} "
                f"{detail}. With {len(val_labels)} validation pictures one picture "
                f"moves accuracy by {1 / max(len(val_labels), 1):.2f}, and a "
                "skewed class mix makes the validation curve say more about the "
                "split than about the model. Split with animecls.datasets."
                "train_validation_split(images, target) (stratified, seeded) and "
                "pass validation_data=(x_val, y_val).",
            )
        )
    return findings, n_train


def _largest_layer(model):
    best, best_count = None, 0
    for layer in model.layers:
        count = _count(layer, trainable=True)
        if count > best_count:
            best, best_count = layer, count
    return best, best_count


def _check_parameters(model, n_images, max_params_per_image):
    """AC008: trainable parameters per training picture (a heuristic warning)."""
    if not n_images:
        return []
    trainable = _count(model, trainable=True)
    per_image = trainable / n_images
    if per_image <= max_params_per_image:
        return []
    layer, count = _largest_layer(model)
    where = ""
    if layer is not None:
        where = (
            f" The largest layer, {_layer_kind(layer)} {layer.name!r}, holds "
            f"{count:,} of them ({count / trainable:.2%})"
        )
        index = model.layers.index(layer)
        previous = model.layers[index - 1] if index > 0 else None
        if previous is not None and _layer_kind(previous) == "Flatten":
            fed = int(previous.output.shape[-1])
            where += (
                f": it takes the {fed:,} numbers of Flatten {previous.name!r}; "
                "global average pooling instead of Flatten (build_two_layer_cnn("
                'pooling="avg"), build_vgg16_transfer(head="avg")) removes most '
                "of them"
            )
        where += "."
    # The default's provenance (check_model's Notes) is claimed only for the
    # default; it is read from the signature, the one place it is set, which
    # the rendered docs show as a number.
    default = check_model.__kwdefaults__["max_params_per_image"]
    if max_params_per_image == default:
        threshold = (
            "above check_model's warning threshold of "
            f"{max_params_per_image:,.0f} (max_params_per_image; a convention, "
            "about 100 times what VGG16 trains per ImageNet picture, not a "
            "proven limit)"
        )
    else:
        # A fractional threshold below 1 would print as 0 with ",.0f".
        shown = (
            f"{max_params_per_image:,.0f}"
            if max_params_per_image >= 1
            else f"{max_params_per_image:g}"
        )
        threshold = (
            f"above your warning threshold of {shown} (max_params_per_image; "
            f"check_model's default is {default:,})"
        )
    return [
        Finding(
            "AC008",
            "warning",
            f"The model trains {trainable:,} parameters on {n_images} pictures: "
            f"{per_image:,.0f} per picture, {threshold}.{where} The count shows "
            "room to memorise, not memorising, and a small count is no proof "
            "against it (a linear model with more features than pictures fits "
            "any labels). shuffled_labels_test "
            "measures it: training accuracy near 1.0 on permuted labels means the "
            "training accuracy on the true labels proves nothing, and only "
            "validation and test accuracy count. Reduce the parameters, freeze "
            "more, add pictures or augmentation.",
        )
    ]


# ------------------------------------------------------------------ public


def check_model(
    model,
    data=None,
    *,
    validation=None,
    max_params_per_image=10_000,
    max_proportion_gap=0.2,
    raise_on=None,
):
    """Lint a Keras model (and its training data) for the report's mistakes.

    Run it before training: it needs neither a compiled model nor weights.

    ======  ============================================================
    Code    Finding
    ======  ============================================================
    AC001   Output activation does not fit the loss: sigmoid units with
            categorical cross-entropy (the report's Model 2), softmax with
            binary cross-entropy, softmax over one unit, logits with a loss
            that expects probabilities.
    AC002   A VGG16 base without ``preprocess_input`` before it.
    AC003   Model input size differs from the pictures' size.
    AC004   Model input channels differ from the pictures' channels.
    AC005   Number of output units differs from the number of classes.
    AC006   Targets sorted by class while Keras' ``validation_split`` (the
            last pictures, unshuffled) picks the validation part.
    AC007   The validation part is not representative: a class missing or
            a class proportion far from the one in all targets.
    AC008   More trainable parameters per training picture than
            ``max_params_per_image``; names the largest layer. A
            heuristic warning, see Notes: ``shuffled_labels_test``
            measures memorising.
    ======  ============================================================

    Parameters
    ----------
    model : keras.Model
        A built model (functional, or Sequential with an input shape),
        compiled or not. Loss checks (AC001) use the compiled loss when there
        is one.
    data : array, Bunch, dict, tuple or None, default=None
        The training pictures: an array ``(n_images, height, width,
        channels)``, a Bunch or dict with ``images`` and ``target`` (and
        optionally ``class_names``), as
        [`load_image_folder`][animecls.datasets.load_image_folder] returns, or
        a pair ``(images, target)``. Either may be None inside a Bunch. Without
        data only AC001 and AC002 can run.
    validation : float, tuple or None, default=None
        How validation pictures are chosen: a fraction, as passed to
        ``fit(validation_split=...)`` (then the last part of ``data.target``
        is checked, as Keras takes it), or the pair ``(x_val, y_val)`` passed
        as ``validation_data``. None skips AC006 and AC007.
    max_params_per_image : float, default=10_000
        AC008's warning threshold on trainable parameters per training
        picture (those left after the validation split). A convention of
        animecls, not a bound from theory: see Notes. The message cites the
        default's origin only for the default; another value is named as
        yours.
    max_proportion_gap : float, default=0.2
        AC007's limit on the largest absolute difference between a class's
        proportion in the validation part and in all targets.
    raise_on : {"error", "warning", "info"} or None, default=None
        Raise [`ModelCheckError`][animecls.checks.ModelCheckError] if a finding
        of this severity or a more severe one is found. None only returns the
        findings.

    Returns
    -------
    report : ModelCheckReport
        A list of [`Finding`][animecls.checks.Finding] (``code``, ``severity``,
        ``message``); ``print(report)`` shows them one per line. Empty when all
        is well.

    Raises
    ------
    ModelCheckError
        If ``raise_on`` is set and a finding is at least that severe.
    ValueError
        For arguments of the wrong kind.

    See Also
    --------
    shuffled_labels_test : Measure by training whether a model memorises.
    animecls.datasets.train_validation_split : A stratified validation split.

    Notes
    -----
    AC008 is a heuristic and its threshold a convention, not a theorem. The
    default 10,000 is set about a hundred times above what VGG16 trains per
    ImageNet picture: 138 million parameters (configuration D in table 2 of
    Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale
    Image Recognition", ICLR 2015) on the 1.28 million training pictures of
    ILSVRC-2012 (Russakovsky et al., "ImageNet Large Scale Visual Recognition
    Challenge", International Journal of Computer Vision 115(3), 211-252,
    2015), about 108 per picture. At that level it flags the report's two
    Flatten heads (the CNN's 62,990,275 parameters on 103 pictures, 611,556
    per picture; the VGG16 head's 8,389,635, 81,453 per picture) and passes
    the same networks with global average pooling (258 and 1,283 per
    picture). No theory draws the line between
    memorising and generalising at any number of parameters per picture:

    - the classical worst-case bound (Baum and Haussler, "What Size Net
      Gives Valid Generalization?", Neural Computation 1(1), 151-160, 1989)
      asks for on the order of W/epsilon training examples for W weights
      and error epsilon; the rule of thumb drawn from it, about ten pictures
      per *parameter* for 90 % accuracy, is missed by orders of magnitude by
      VGG16 on ImageNet, which generalises all the same;
    - Zhang, Bengio, Hardt, Recht and Vinyals ("Understanding deep learning
      requires rethinking generalization", ICLR 2017) trained the networks
      that generalise on CIFAR-10 and ImageNet to fit random labels too, and
      proved that a two-layer ReLU network with 2n + d weights can fit any
      labels of n pictures given as d numbers each: for 103 pictures of 512
      features, 718 weights, 7 per picture.

    What a model can fit is set by the numbers each picture reaches it as,
    not by its parameter count. A linear classifier on d features separates
    every labelling of up to d + 1 pictures in general position (Cover,
    "Geometrical and Statistical Properties of Systems of Linear
    Inequalities with Applications in Pattern Recognition", IEEE
    Transactions on Electronic Computers EC-14(3), 326-334, 1965; d + 1 is
    the VC dimension of half-spaces). So the linear SVM of ``make_baseline("vgg16")``
    on 512 features per picture, with 3 x 513 = 1,539 coefficients, about 15
    per picture on 103 pictures and far below AC008's threshold, still fits
    shuffled labels: 512 features exceed 103 pictures. A check for "more
    features than pictures" would draw no better line: with 103 pictures it
    would flag nearly every model in animecls (their last hidden layers hold
    128 or 256 units, their SVMs take 192 or 512 features), the ones that
    generalise best included. Memorising is measured, not counted:
    [`shuffled_labels_test`][animecls.checks.shuffled_labels_test] trains
    the model on permuted labels, and a training accuracy near 1.0 there
    means that its training accuracy on the true labels proves nothing.

    AC007 compares the validation part with *all* targets, not with the
    training part, because a fraction that is far off in one is far off in
    the other. A random (unstratified) split of 26 pictures among three
    equal classes gives each class's proportion a standard deviation of
    about 0.08, so a gap above 0.2 (2.4 standard deviations) is rare by
    chance and certain for a split of pictures sorted by class.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.checks import check_model
    >>> from animecls.models import build_two_layer_cnn
    >>> model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    >>> images = np.zeros((60, 32, 32, 3), dtype="uint8")
    >>> target = np.repeat([0, 1, 2], 20)  # sorted by class, as a folder loader
    >>> report = check_model(model, (images, target), validation=0.2)
    >>> [finding.code for finding in report]
    ['AC006', 'AC007']
    >>> rng = np.random.default_rng(0)
    >>> print(check_model(model, (images, rng.permutation(target)), validation=0.2))
    check_model: no problems found.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            "model must be a keras.Model. Received: model of type "
            f"{type(model).__module__}.{type(model).__qualname__}"
        )
    if not model.built or not model.layers:
        raise ValueError(
            "model must be built (give its Input a shape) so its input and output "
            f"shapes are known. Received: unbuilt model {model.name!r}"
        )
    if raise_on is not None and raise_on not in _SEVERITIES:
        raise ValueError(
            f"raise_on must be one of {list(_SEVERITIES)} or None. "
            f"Received: raise_on={raise_on!r}"
        )
    if not max_params_per_image > 0:
        raise ValueError(
            "max_params_per_image must be positive. "
            f"Received: max_params_per_image={max_params_per_image!r}"
        )
    if not 0 < max_proportion_gap < 1:
        raise ValueError(
            "max_proportion_gap must be in (0, 1). "
            f"Received: max_proportion_gap={max_proportion_gap!r}"
        )
    images, target, n_classes = _split_data(data)

    report = ModelCheckReport()
    report += _check_output(model, n_classes)
    report += _check_vgg16_preprocessing(model, images)
    report += _check_shapes(model, images)
    report += _check_classes(model, target, n_classes)
    validation_findings, n_train = _check_validation(
        target, validation, max_proportion_gap
    )
    report += validation_findings
    if n_train is None:
        n_train = len(images) if images is not None else None
        if n_train is None and target is not None:
            n_train = len(target)
    report += _check_parameters(model, n_train, max_params_per_image)

    if raise_on is not None:
        level = _SEVERITIES.index(raise_on)
        if any(_SEVERITIES.index(f.severity) >= level for f in report):
            raise ModelCheckError(report)
    return report


def shuffled_labels_test(
    build_model,
    images,
    target,
    *,
    test_size=0.3,
    epochs=30,
    memorise_accuracy=0.9,
    random_state=0,
    verbose=0,
    **fit_params,
):
    """Train a fresh model on randomly permuted labels to see if it memorises.

    The pictures are split into a training and a held-out part (stratified,
    seeded); the training labels are permuted, so that no picture's content
    predicts its label any more; a model from ``build_model()`` is trained
    on them with [`animecls.training.fit_model`][]. A network that still
    reaches high training accuracy has learnt the pictures by heart, and
    its held-out accuracy on the true labels stays at chance: the clearest
    proof that a training accuracy of 1.0 on true labels, on its own, says
    nothing (Zhang et al., "Understanding deep learning requires rethinking
    generalization", ICLR 2017).

    Parameters
    ----------
    build_model : callable
        Called with no argument; returns a fresh, uncompiled Keras model
        that takes ``images``, e.g. ``functools.partial(build_two_layer_cnn,
        (32, 32, 3))``. Called after seeding, so its initial weights are
        repeatable.
    images : array of shape (n_images, height, width, channels)
        The pictures, 0-255.
    target : array of shape (n_images,)
        True class numbers.
    test_size : float, default=0.3
        Fraction held out (stratified), as the report's 70/30 split.
    epochs : int, default=30
        Training epochs; memorising random labels takes longer than learning
        true ones.
    memorise_accuracy : float, default=0.9
        Training accuracy on the permuted labels from which the verdict is
        "memorises".
    random_state : int, default=0
        Seed of the split, the permutation, the model's initial weights and
        training.
    verbose : int, default=0
        Passed to [`fit_model`][animecls.training.fit_model].
    **fit_params
        Passed to [`fit_model`][animecls.training.fit_model] (``recipe``,
        ``learning_rate``, ``batch_size``...). A model animecls did not
        build needs ``recipe``.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``history`` (Keras History; ``val_accuracy`` is the held-out accuracy
        on true labels per epoch), ``train_accuracy`` (on the permuted labels
        it was trained on, in inference mode), ``held_out_accuracy`` (on true
        labels) with ``held_out_interval`` (Wilson 95 %), ``chance_level``
        (the held-out share of its most frequent class: what always guessing
        that class scores), ``n_train``, ``n_held_out``, ``verdict``
        (``"memorises"``, ``"does not memorise"`` or ``"above chance"``) and
        ``message`` (the verdict in a sentence).

    Raises
    ------
    ValueError
        If ``images`` and ``target`` differ in length or an option is out of
        range.

    See Also
    --------
    check_model : Warns of many parameters per picture before training (a
        heuristic; this test is the measurement).

    Notes
    -----
    "Near chance" means that the Wilson 95 % interval of the held-out
    accuracy contains the chance level. With random labels even a held-out
    accuracy somewhat above chance is an accident of a small held-out set,
    hence "above chance" only when the interval lies wholly above it.

    Examples
    --------
    >>> import functools, numpy as np
    >>> from animecls.checks import shuffled_labels_test
    >>> from animecls.models import build_two_layer_cnn
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, (60, 32, 32, 3), dtype=np.uint8)
    >>> build = functools.partial(build_two_layer_cnn, (32, 32, 3))
    >>> target = np.arange(60) % 3
    >>> result = shuffled_labels_test(build, images, target)  # doctest: +SKIP
    >>> result.verdict  # doctest: +SKIP
    'memorises'
    """
    import keras
    from sklearn.model_selection import train_test_split

    from .evaluation import accuracy_interval
    from .training import fit_model

    # A model is callable too; training the same one twice would not start
    # from fresh weights.
    if not callable(build_model) or isinstance(build_model, keras.Model):
        raise TypeError(
            "build_model must be a function that returns a fresh Keras model, "
            "not a model. Received: build_model of type "
            f"{type(build_model).__name__}"
        )
    images = np.asarray(images)
    target = np.asarray(target)
    if target.ndim != 1 or len(images) != len(target) or len(target) == 0:
        raise ValueError(
            "images and target must hold one entry per picture, target as class "
            f"numbers. Received: images.shape={images.shape}, "
            f"target.shape={target.shape}"
        )
    if not 0 < test_size < 1:
        raise ValueError(
            f"test_size must be in (0, 1). Received: test_size={test_size}"
        )
    if not 0 < memorise_accuracy <= 1:
        raise ValueError(
            "memorise_accuracy must be in (0, 1]. "
            f"Received: memorise_accuracy={memorise_accuracy}"
        )
    x_train, x_test, y_train, y_test = train_test_split(
        images, target, test_size=test_size, random_state=random_state, stratify=target
    )
    rng = np.random.default_rng(random_state)
    y_shuffled = rng.permutation(y_train)

    keras.utils.set_random_seed(int(random_state))
    model = build_model()
    n_classes = int(model.output_shape[-1])
    history = fit_model(
        model,
        x_train,
        y_shuffled,
        epochs=epochs,
        validation_data=(x_test, y_test),
        random_state=random_state,
        verbose=verbose,
        **fit_params,
    )
    train_pred = model.predict(x_train, verbose=0).argmax(axis=1)
    test_pred = model.predict(x_test, verbose=0).argmax(axis=1)
    train_accuracy = float(np.mean(train_pred == y_shuffled))
    n_correct = int(np.sum(test_pred == y_test))
    held_out = n_correct / len(y_test)
    interval = accuracy_interval(n_correct, len(y_test))
    low, high = float(interval[0]), float(interval[1])
    chance = float(np.max(np.bincount(y_test, minlength=n_classes)) / len(y_test))

    if low > chance:
        verdict = "above chance"
        message = (
            f"Held-out accuracy {held_out:.2f} (95% interval {low:.2f}-{high:.2f}) "
            f"is above chance {chance:.2f} although the model learnt random "
            "labels: check the held-out pictures for duplicates of training ones "
            "or labels that leak through the file order."
        )
    elif train_accuracy >= memorise_accuracy:
        verdict = "memorises"
        message = (
            f"The model memorises: it fits {train_accuracy:.0%} of "
            f"{len(y_train)} randomly permuted labels in {epochs} epochs, while "
            f"held-out accuracy on true labels is {held_out:.2f} (95% interval "
            f"{low:.2f}-{high:.2f}), at chance ({chance:.2f}). Its training "
            "accuracy on true labels therefore proves nothing; only held-out "
            "accuracy does."
        )
    else:
        verdict = "does not memorise"
        message = (
            f"The model fits only {train_accuracy:.0%} of the {len(y_train)} "
            f"permuted labels in {epochs} epochs (below {memorise_accuracy:.0%}); "
            "it has too little capacity or training to memorise them. Train "
            "longer before concluding it cannot."
        )
    return Bunch(
        history=history,
        train_accuracy=train_accuracy,
        held_out_accuracy=held_out,
        held_out_interval=(low, high),
        chance_level=chance,
        n_train=len(y_train),
        n_held_out=len(y_test),
        verdict=verdict,
        message=message,
    )
