"""The one fit-and-score path under every comparison and experiment.

As scikit-learn's ``model_selection/_validation.py`` has one
``_fit_and_score`` for ``cross_validate``, ``learning_curve`` and
``validation_curve``, ``fit_and_score`` here trains one model on one
split and returns one row layout (``ROW_COLUMNS``), whoever asks:
``compare_models``,
``learning_curve``,
``repeated_splits``,
``measure_remedies`` and
``shortcut_experiment``.

A ``Workspace`` holds one set of pictures and what is computed once
for it: the frozen VGG16 base's ``block5_pool`` maps, which the transfer
head trains on and whose average the VGG16 SVM classifies. With frozen
weights a picture's maps never change, so every model, seed and split of a
run reads the same array.

The models come from ``animecls.registry``, or from the caller: a
scikit-learn estimator that takes picture arrays, or a function
``build(input_shape, num_classes)`` returning a Keras model
(``resolve_models``).

Keras is imported inside the functions that train, so importing this module
(and ``animecls.comparison``) stays light.
"""

import copy
import inspect
import os
import sys
import time
import warnings

import numpy as np
from sklearn.utils import Bunch

from ._store import PictureFile
from ._validation import VGG16_MIN_SIZE, check_count, check_image_size
from .registry import DEFAULT_MODELS, MODELS, ModelSpec

__all__ = [
    "FULL_IMAGE_SIZE",
    "QUICK",
    "ROW_COLUMNS",
    "ImageNetFallbackWarning",
    "Workspace",
    "check_drawn_weights",
    "check_split_classes",
    "drawn_weights_label",
    "describe_data",
    "fit_and_score",
    "learned_parameters",
    "load_data",
    "log",
    "resolve_image_size",
    "resolve_models",
    "resolve_weights",
    "rows",
    "check_stream",
    "split_parts",
]

#: The one quick preset of every entry point: small pictures and few epochs,
#: so a comparison runs in about half a minute on two CPU cores; the protocol
#: (split, seeds) is unchanged.
QUICK = {"image_size": (64, 64), "epochs": 5}

#: The report's picture size (its CNN's input).
FULL_IMAGE_SIZE = (250, 250)

#: The columns of a row, for every model and every entry point.
ROW_COLUMNS = (
    "model",
    "seed",
    "test_accuracy",
    "accuracy_low",
    "accuracy_high",
    "test_loss",
    "n_train",
    "n_val",
    "n_test",
    "train_accuracy",
    "val_accuracy",
    "gap",
    "verdict",
    "epochs_run",
    "parameters",
    "fit_time_s",
    "weights",
)


class ImageNetFallbackWarning(UserWarning):
    """``weights="auto"`` found no ImageNet weights and used random ones."""


def log(verbose, message):
    """Print ``message`` to standard error when ``verbose``."""
    if verbose:
        print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ models


def _is_estimator(item):
    return all(hasattr(item, name) for name in ("fit", "predict", "get_params"))


def _custom_spec(name, item):
    """Return the ``ModelSpec`` of a caller's estimator or builder."""
    if _is_estimator(item):
        kind = type(item)
        return ModelSpec(
            name=name,
            description=f"your scikit-learn estimator {kind.__name__}",
            kind="sklearn",
            builder=f"{kind.__module__}:{kind.__qualname__}",
            fit="a clone of the estimator, fit on the picture arrays",
            parameters="coefficients and intercepts the estimator learned",
            strategy="custom_sklearn",
        )
    module = getattr(item, "__module__", None) or "?"
    qualname = getattr(item, "__qualname__", None) or type(item).__qualname__
    return ModelSpec(
        name=name,
        description=f"your Keras network from {qualname}",
        kind="keras",
        builder=f"{module}:{qualname}",
        fit="fit_model, recipe two_layer_cnn (Adam 5e-4, 15 epochs, batch 32)",
        parameters="trainable weights of the network",
        strategy="custom_keras",
    )


def _default_name(item):
    if _is_estimator(item):
        return type(item).__name__
    return getattr(item, "__name__", None) or type(item).__name__


def _takes(function, n_arguments):
    """Return True when ``function`` takes ``n_arguments`` positional ones."""
    try:
        inspect.signature(function).bind(*([None] * n_arguments))
    except TypeError:
        return False
    except ValueError:  # no signature to read: let the call decide
        return True
    return True


def _own_model(name, item):
    """Check one model of the caller's; return the estimator or the builder."""
    if inspect.isclass(item):
        problem = "a class, not an instance (pass an instance, e.g. MyModel())"
    elif _is_estimator(item):
        return item
    elif hasattr(item, "fit") and hasattr(item, "predict"):
        # A keras.Model instance: every seed would train the same weights on.
        problem = (
            "a model instance without get_params (for a Keras network, pass "
            "the function that builds it)"
        )
    elif callable(item) and _takes(item, 2):
        return item
    elif callable(item) and _takes(item, 0):
        # A function that makes an estimator, as --model may name one.
        made = item()
        if _is_estimator(made):
            return made
        problem = f"a function that returned {type(made).__name__}, not an estimator"
    else:
        problem = "neither an estimator nor a function build(input_shape, num_classes)"
    raise ValueError(
        f"The model {name!r} is {problem}. A model of your own must be a "
        "scikit-learn estimator instance (with fit, predict and get_params), a "
        "function build(input_shape, num_classes) returning a Keras model, or a "
        f"function of no arguments returning an estimator. Received: {name!r}: "
        f"{item!r}"
    )


def resolve_models(models):
    """Turn ``compare_models(models=...)`` into ``[(spec, estimator or builder)]``.

    Each item is a registry name, a scikit-learn estimator (with ``fit``,
    ``predict`` and ``get_params``) that takes picture arrays, a function
    ``build(input_shape, num_classes)`` that returns a Keras model, a
    function of no arguments that returns an estimator, or a ``(name, item)``
    pair that names one of those. Everything is checked before any training.
    """
    if isinstance(models, str) or not (models is None or np.iterable(models)):
        items = []
    else:
        items = list(DEFAULT_MODELS if models is None else models)
    if not items:
        raise ValueError(
            "models must be a non-empty list of built-in names "
            f"{list(MODELS)}, scikit-learn estimators or Keras builders. "
            f"Received: models={models!r}"
        )
    entries = []
    for item in items:
        if isinstance(item, str):
            if item not in MODELS:
                raise ValueError(
                    f"Unknown model {item!r}: models must be built-in names from "
                    f"{list(MODELS)}, scikit-learn estimators or Keras builders. "
                    f"Received: models={models!r}"
                )
            entries.append((MODELS[item], None))
            continue
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, item = item
        else:
            name = _default_name(item)
        if not name.isidentifier() or name in MODELS:
            raise ValueError(
                "A model of your own needs a Python identifier for a name (it "
                "names files of the run folder) that is not a built-in model's "
                f"({list(MODELS)}). Received: name={name!r}"
            )
        item = _own_model(name, item)
        entries.append((_custom_spec(name, item), item))
    names = [spec.name for spec, _ in entries]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"Every model needs its own name; {repeated} appear more than once "
            "(name your own models with (name, model) pairs). "
            f"Received: models={names}"
        )
    return entries


def learned_parameters(model):
    """Count the numbers a fitted model learned from its training pictures.

    A network's trainable weights (a frozen base learns nothing); for a
    scikit-learn model, the coefficients and intercepts of its last step
    (an SVM with a non-linear kernel: its support vectors' coefficients).
    None when the estimator exposes neither.
    """
    if hasattr(model, "trainable_weights"):
        return int(sum(np.prod(w.shape) for w in model.trainable_weights))
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    # CalibratedClassifierCV(ensemble=False) keeps one calibrated SVM.
    calibrated = getattr(last, "calibrated_classifiers_", None)
    if calibrated:
        last = calibrated[0].estimator
    if getattr(last, "kernel", "linear") != "linear" and hasattr(last, "dual_coef_"):
        return int(last.dual_coef_.size + last.intercept_.size)
    sizes = [
        np.size(getattr(last, name))
        for name in ("coef_", "intercept_")
        if getattr(last, name, None) is not None
    ]
    return int(sum(sizes)) if sizes else None


# -------------------------------------------------------------------- data


def resolve_weights(weights, verbose=0, *, stacklevel=4):
    """Return (VGG16 weights for the builders, label for tables).

    ``stacklevel`` points the fallback warning at the caller's caller.
    """
    from ._weights import WeightsUnavailableError, imagenet_weights_path

    if weights != "auto":
        if weights is None or (isinstance(weights, str) and weights == "none"):
            return None, "none"
        return weights, "imagenet" if weights == "imagenet" else os.fspath(weights)
    try:
        imagenet_weights_path()
    except WeightsUnavailableError:
        warnings.warn(
            "The VGG16 ImageNet weights are not in the Keras cache and cannot be "
            'downloaded, so with weights="auto" the VGG16 models use random '
            "weights (recorded as weights=none in the results): their scores say "
            "nothing about transfer learning. To use ImageNet weights, connect "
            "once, or install a copied file with `animecls weights install FILE`.",
            ImageNetFallbackWarning,
            stacklevel=stacklevel,
        )
        return None, "none (ImageNet unavailable)"
    return "imagenet", "imagenet"


def check_drawn_weights(weights):
    """Check the drawn backbone's weights before any training; return them.

    ``"drawn"`` (the shipped file, checked against its record), None, or a
    ``.weights.h5`` file, returned as a str.
    """
    from ._backbone import resolve_drawn_weights

    path = resolve_drawn_weights(weights, name="drawn_weights")
    return weights if weights is None or weights == "drawn" else path


def drawn_weights_label(weights):
    """Return what the rows' weights column says of the drawn backbone's weights."""
    return "none" if weights is None else os.fspath(weights)


def resolve_image_size(data, image_size, quick, *, default, needs_vgg16=True):
    """Return the picture size of a run: asked for, the Bunch's own, or a preset."""
    if image_size is not None:
        if needs_vgg16:
            return check_image_size(
                image_size,
                minimum=VGG16_MIN_SIZE,
                why="VGG16 halves the size five times",
            )
        return check_image_size(image_size)
    if isinstance(data, dict) and "images" in data:
        images = data["images"]
        if not isinstance(images, PictureFile):
            images = np.asarray(images)
        return tuple(int(s) for s in images.shape[1:3])
    return tuple(QUICK["image_size"]) if quick else tuple(default)


def _count_files(directory):
    """Count the files in ``directory``'s class folders, without reading them."""
    n = 0
    try:
        with os.scandir(directory) as entries:
            folders = [e.path for e in entries if e.is_dir() and e.name[0] != "."]
        for folder in folders:
            with os.scandir(folder) as entries:
                n += sum(1 for e in entries if e.is_file() and e.name[0] != ".")
    except OSError:
        # The loader reports what is wrong with the folder, in its words.
        return 0
    return n


def check_stream(stream):
    """Return ``stream`` (None, True or False), or raise naming it."""
    if stream is not None and not isinstance(stream, bool | np.bool_):
        raise ValueError(
            "stream must be None (stream folders of more than STREAM_ABOVE "
            f"pictures), True or False. Received: stream={stream!r}"
        )
    return None if stream is None else bool(stream)


def load_data(data, image_size, verbose=0, *, stream=None):
    """Return the Bunch a run trains on: drawn, loaded from a folder, or given.

    A folder is held in memory, or, with ``stream=True`` (or None and more
    than ``STREAM_ABOVE`` files), decoded once into a file on disk and read
    a batch at a time (``open_image_folder``).
    """
    from .datasets import (
        STREAM_ABOVE,
        load_image_folder,
        make_characters,
        open_image_folder,
    )

    if data is None:
        log(verbose, "Data: drawing the embedded default characters.")
        return make_characters(image_size=image_size)
    if isinstance(data, str | os.PathLike):
        if stream or (stream is None and _count_files(data) > STREAM_ABOVE):
            log(
                verbose,
                f"Data: decoding {os.fspath(data)!r} once into a file on disk, "
                "read a batch at a time.",
            )
            return open_image_folder(data, image_size=image_size)
        log(verbose, f"Data: loading {os.fspath(data)!r}.")
        return load_image_folder(data, image_size=image_size)
    if isinstance(data, dict) and {"images", "target", "class_names"} <= set(data):
        images = data["images"]
        if not isinstance(images, PictureFile):
            images = np.asarray(images)
        if images.shape[1:3] != tuple(image_size):
            raise ValueError(
                f"data holds {images.shape[1]}x{images.shape[2]} pictures but "
                f"image_size is {image_size[0]}x{image_size[1]}; pass "
                "image_size=None to use the pictures' own size. Received: "
                f"image_size={tuple(image_size)}"
            )
        return data
    raise TypeError(
        "data must be None (the embedded default), a folder path, or a Bunch "
        "with images, target and class_names. Received: data of type "
        f"{type(data).__name__}"
    )


def split_parts(
    target,
    class_names,
    *,
    test_size,
    validation_split,
    random_state,
    who="random_state",
    verbose=0,
):
    """Split as the report does, and check every class is in every part.

    The one split of ``compare_models`` and of the experiments:
    [`split_indices`][animecls.datasets.split_indices] (a stratified test
    part, then the last ``validation_split`` of the training part to validate
    with, as Keras' ``fit(validation_split=...)`` cuts it, unstratified; with
    0, as the learning curve splits, the training part whole), then
    ``check_split_classes``. Called before any training, so a split that
    leaves a class out fails in a second, not after the run.

    Returns the split's Bunch (``train``, ``validation``, ``test``...), with
    ``validation_missing``: the classes with no validation picture, said in
    the log when ``verbose``.
    """
    from .datasets import split_indices

    split = split_indices(
        target,
        test_size=test_size,
        validation_split=validation_split,
        random_state=random_state,
    )
    parts = {"fit": split.train, "validation": split.validation, "test": split.test}
    how = ""
    received = f"{who}={random_state!r}"
    if len(split.validation):
        how = (
            f"the validation part is the last {validation_split:.0%} of the "
            "training part, cut as Keras' validation_split cuts it, not "
            "stratified"
        )
        received += f", validation_split={validation_split!r}"
    else:
        del parts["validation"]
    split.validation_missing = check_split_classes(
        target,
        class_names,
        parts,
        how=how,
        received=received,
        verbose=verbose,
        note=f"with {who} {random_state} (the last {validation_split:.0%} of the "
        "training part validates, unstratified)",
    )
    return split


def _listed(names):
    quoted = [repr(n) for n in names]
    return (
        quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    )


def check_split_classes(
    target, class_names, parts, *, how="", received="", verbose=0, note=""
):
    """Check, before training, that every class is in every part of a split.

    ``parts`` maps a part's name (``"fit"``, ``"validation"``, ``"test"``) to
    its indices into ``target``. A class with no picture to fit on is never
    learned (an SVM then never predicts it, and its row in the table looks
    normal), and one with none to test on is never measured: either raises a
    ``ValueError`` naming the classes, their counts in every part and what
    to do; ``how`` says how the split was made.

    A class missing only from the validation part is not an error: the
    models learn it and are tested on it, only the validation scores
    (validation accuracy, the gap and its verdict, early stopping) leave it
    out. It happens by chance on small sets, since the part is cut
    unstratified as Keras cuts it, so it is returned for the caller to say,
    rather than raised or warned (which would stop such runs wherever
    warnings are errors). Returns the names of such classes, empty when
    there is none, and with ``verbose`` says them in the log, with ``note``
    (which seed, how the part is cut).
    """
    target = np.asarray(target)
    counts = {
        part: np.bincount(
            target[np.asarray(idx, dtype=np.int64)], minlength=len(class_names)
        )
        for part, idx in parts.items()
    }
    lacking = []
    for c in range(len(class_names)):
        empty = [
            part for part in ("fit", "test") if part in counts and not counts[part][c]
        ]
        if empty:
            total = int(sum(n[c] for n in counts.values()))
            cells = ", ".join(f"{part} {int(n[c])}" for part, n in counts.items())
            verbs = " or ".join(_VERBS[part] for part in empty)
            lacking.append(
                f"{class_names[c]!r} has none to {verbs} (of its {total} "
                f"pictures: {cells})"
            )
    if lacking:
        how = (
            f" {how[0].upper()}{how[1:]}, so a small class can land there whole."
            if how
            else ""
        )
        raise ValueError(
            f"Every class needs pictures to fit on and to test with: "
            f"{'; '.join(lacking)}.{how} A model never learns a class it does "
            "not fit on, nor is measured on one it is not tested with; nothing "
            "was trained. Add pictures of that class, or try another seed. "
            f"Received: {received}"
        )
    missing = [
        class_names[c]
        for c in range(len(class_names))
        if "validation" in counts and not counts["validation"][c]
    ]
    if missing:
        log(
            verbose,
            f"Note: no validation picture of {_listed(missing)}"
            f"{' ' + note if note else ''}: the validation scores leave it out. "
            "More pictures of it, or another seed, would include it.",
        )
    return missing


_VERBS = {"fit": "fit on", "validation": "validate with", "test": "test with"}


def describe_data(data):
    """Name ``data`` (as the entry points take it) for tables and settings."""
    if data is None:
        return "the embedded default characters"
    if isinstance(data, str | os.PathLike):
        return os.fspath(data)
    return "a Bunch"


class Workspace:
    """One set of pictures, and the VGG16 features computed once for it.

    Parameters
    ----------
    data : Bunch
        ``images``, ``target`` and ``class_names``.
    weights : None or str
        VGG16 weights as ``resolve_weights`` returns them.
    weights_label : str
        How tables name them.
    seed : int
        Seed of random VGG16 weights (``weights=None``): the same for every
        model of the run, so both VGG16 models read one base.
    epochs : int or None
        Epochs of every network; None keeps each recipe's.
    cache_dir : path-like or None
        Keep the VGG16 features on disk.
    """

    def __init__(
        self,
        data,
        *,
        weights,
        weights_label,
        seed,
        epochs,
        cache_dir,
        drawn_weights="drawn",
    ):
        images = data["images"]
        #: An array, or a PictureFile read a batch at a time (``streaming``).
        self.images = images if isinstance(images, PictureFile) else np.asarray(images)
        self.target = np.asarray(data["target"])
        self.class_names = [str(name) for name in data["class_names"]]
        self.weights = weights
        self.weights_label = weights_label
        self.drawn_weights = drawn_weights
        self.drawn_label = drawn_weights_label(drawn_weights)
        self.seed = int(seed)
        self.epochs = epochs
        self.cache_dir = cache_dir
        self._features = {}
        #: Seconds spent computing each backbone's features, once.
        self.feature_times = {}

    @property
    def input_shape(self):
        """Height, width and channels of the pictures."""
        return tuple(int(d) for d in self.images.shape[1:])

    @property
    def n_classes(self):
        """Number of classes."""
        return len(self.class_names)

    @property
    def streaming(self):
        """Whether the pictures are read from disk a batch at a time."""
        return isinstance(self.images, PictureFile)

    def embedded(self, name, transformer):
        """Return every picture through a stateless ``transformer``, once.

        What a streamed run's pipelines fit on: the pictures are read and
        transformed a batch at a time, and only the features stay in memory.
        """
        if name not in self._features:
            start = time.perf_counter()
            features = None
            # Filled in place: joining the batches' features would hold them
            # twice, the largest allocation of a big streamed run.
            for k, batch in enumerate(self.images.batches(256)):
                part = transformer.transform(batch)
                if features is None:
                    features = np.empty((len(self.images), *part.shape[1:]), part.dtype)
                features[k * 256 : k * 256 + len(part)] = part
            self._features[name] = (features, None)
            self.feature_times[name] = time.perf_counter() - start
        return self._features[name][0]

    def weights_label_of(self, backbone):
        """How tables name the weights of ``backbone`` ("-" for none)."""
        return {"vgg16": self.weights_label, "drawn": self.drawn_label}.get(
            backbone, "-"
        )

    def features(self, backbone):
        """Return ``(features, base)`` of every picture for ``backbone``.

        ``"vgg16"``: VGG16's block5_pool maps; ``"drawn"``: the drawn
        backbone's pooled features. Computed on first use and kept: a frozen
        base gives a picture the same features for every model, seed and
        split.
        """
        if backbone not in self._features:
            import keras

            from ._vgg16 import base_features

            start = time.perf_counter()
            if backbone == "vgg16":
                from ._vgg16 import build_vgg16_base, seeded_init, vgg16_preprocessing

                base = build_vgg16_base(self.input_shape, self.weights)
                if self.weights is None:
                    seeded_init(base, self.seed)
                base.trainable = False
                inputs = keras.Input(shape=self.input_shape, name="image")
                x = vgg16_preprocessing(name="preprocess")(inputs)
                extractor = keras.Model(inputs, base(x, training=False), name="vgg16")
            else:
                from ._backbone import drawn_features_model, load_drawn_backbone

                base = load_drawn_backbone(self.drawn_weights, random_state=self.seed)
                extractor = drawn_features_model(self.input_shape, base)
            features = base_features(
                extractor,
                self.images,
                cache_dir=self.cache_dir,
                batch_size=32,
                verbose=0,
            )
            self._features[backbone] = (features, base)
            self.feature_times[backbone] = time.perf_counter() - start
        return self._features[backbone]

    def vgg16(self):
        """Return ``(maps, base)``: every picture's VGG16 block5_pool maps."""
        return self.features("vgg16")

    def vgg16_embeddings(self):
        """Average-pooled block5_pool maps: what ``VGG16Embedder`` returns."""
        import keras

        maps, _ = self.vgg16()
        # The op GlobalAveragePooling2D runs: the saved pipeline's embedder
        # then gives the SVM exactly the numbers it was fitted on.
        return keras.ops.convert_to_numpy(keras.ops.mean(maps, axis=(1, 2)))


# ----------------------------------------------------------------- fitting


def _check_options(spec, options):
    unknown = sorted(set(options) - set(spec.knobs))
    if unknown:
        raise ValueError(
            f"{spec.name} has no option {unknown}; its options are "
            f"{sorted(spec.knobs)}. Received: options={options!r}"
        )


def rows(x, idx):
    """Return ``x[idx]``; pictures on disk stay there until read in batches."""
    return x.take(idx) if isinstance(x, PictureFile) else x[idx]


def _fit_network(model, x, y, fit, val, space, seed, recipe, early_stopping, verbose):
    from .training import RECIPES, fit_model

    if isinstance(x, PictureFile):
        from ._batches import PictureBatches

        batch_size = RECIPES[recipe]["batch_size"]
        n_classes = space.n_classes
        return fit_model(
            model,
            PictureBatches(x, y, fit, n_classes, batch_size, shuffle=True, seed=seed),
            recipe=recipe,
            epochs=space.epochs,
            validation_data=None
            if val is None
            else PictureBatches(x, y, val, n_classes, batch_size),
            early_stopping=early_stopping,
            random_state=seed,
            verbose=verbose,
        )
    history = fit_model(
        model,
        x[fit],
        y[fit],
        recipe=recipe,
        epochs=space.epochs,
        validation_split=0.0 if val is None else None,
        validation_data=None if val is None else (x[val], y[val]),
        early_stopping=early_stopping,
        random_state=seed,
        verbose=verbose,
    )
    return history


def _phase(history):
    """Return ``(epochs run, epoch kept from 1 or None)`` of one fit."""
    return len(history.history["loss"]), history.best_epoch


def _network(spec, item, space, fit, val, seed, options, verbose):
    import keras

    from .models import build_two_layer_cnn

    options = dict(options)
    early_stopping = options.pop("early_stopping", None)
    keras.utils.set_random_seed(seed)
    if spec.strategy == "custom_keras":
        model = item(space.input_shape, space.n_classes)
        if not isinstance(model, keras.Model):
            raise ValueError(
                f"The builder of {spec.name!r} must return a keras.Model. "
                f"Received: {type(model).__name__}"
            )
        if tuple(model.output_shape[1:]) != (space.n_classes,):
            raise ValueError(
                f"The network of {spec.name!r} must end in {space.n_classes} "
                "outputs, one per class, with a softmax. Received: output shape "
                f"{model.output_shape}"
            )
    else:
        model = build_two_layer_cnn(space.input_shape, space.n_classes, **options)
    history = _fit_network(
        model,
        space.images,
        space.target,
        fit,
        val,
        space,
        seed,
        "two_layer_cnn",
        early_stopping,
        verbose,
    )
    return Bunch(
        model=model,
        scorer=model,
        x=space.images,
        history=history.history,
        phases=[_phase(history)],
    )


def _transfer_model(backbone, space):
    """Build the entry's transfer model around the run's shared base."""
    from ._info import set_info

    features, base = space.features(backbone)
    if backbone == "vgg16":
        from ._weights import describe_weights
        from .models import build_vgg16_transfer

        # Built with random weights, then given the run's shared base: the
        # weights file is read once per run, not once per model.
        model = build_vgg16_transfer(space.input_shape, space.n_classes, weights=None)
        model.get_layer("vgg16").set_weights(base.get_weights())
        set_info(model, weights=describe_weights(space.weights))
        return model, "vgg16", features, ("vgg16_transfer", "vgg16_finetune")
    from ._backbone import describe_drawn_weights
    from .models import build_drawn_transfer

    model = build_drawn_transfer(space.input_shape, space.n_classes, weights=None)
    model.get_layer("drawn_backbone").set_weights(base.get_weights())
    set_info(model, weights=describe_drawn_weights(space.drawn_weights))
    return model, "drawn_backbone", features, ("drawn_transfer", "drawn_finetune")


def _frozen_head(spec, item, space, fit, val, seed, options, verbose):
    import keras

    from ._info import get_info, set_info
    from ._vgg16 import split_transfer_model
    from .models import unfreeze_top

    options = dict(options)
    finetune = options.pop("finetune", False)
    if not isinstance(finetune, bool):
        raise ValueError(
            f"finetune must be True or False. Received: finetune={finetune!r}"
        )
    early_stopping = options.pop("early_stopping", None)
    space.features(spec.backbone)
    keras.utils.set_random_seed(seed)
    model, base_name, features, (recipe, finetune_recipe) = _transfer_model(
        spec.backbone, space
    )
    _, head = split_transfer_model(model, base_name)
    # The head's log line and record name the backbone's weights too.
    set_info(head, weights=get_info(model).get("weights", {}))
    history = _fit_network(
        head,
        features,
        space.target,
        fit,
        val,
        space,
        seed,
        recipe,
        early_stopping,
        verbose,
    )
    # The full model shares the head's trained layers; compiled with the
    # head's optimizer (whose state belongs to those layers) so that it can
    # be evaluated and saved as it is.
    model.compile(
        optimizer=head.optimizer,
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    set_info(
        model,
        training=dict(get_info(head).get("training", {}), mode="frozen features"),
    )
    if not finetune:
        return Bunch(
            model=model,
            scorer=head,
            x=features,
            history=history.history,
            phases=[_phase(history)],
        )
    unfreeze_top(model)
    second = _fit_network(
        model,
        space.images,
        space.target,
        fit,
        val,
        space,
        seed,
        finetune_recipe,
        early_stopping,
        verbose,
    )
    first = history.history
    joined = {k: first[k] + second.history.get(k, []) for k in first}
    # Early stopping restores each phase's best epoch on its own: the phases
    # say which of the joined epochs the returned weights went through.
    return Bunch(
        model=model,
        scorer=model,
        x=space.images,
        history=joined,
        phases=[_phase(history), _phase(second)],
    )


def _features_svm(spec, item, space, fit, val, seed, options, verbose):
    from sklearn.pipeline import Pipeline

    from .embeddings import DrawnEmbedder, VGG16Embedder, make_baseline

    if spec.backbone == "vgg16":
        features = space.vgg16_embeddings()
        embedder = VGG16Embedder(
            weights=space.weights,
            image_size=space.input_shape[:2],
            cache_dir=space.cache_dir,
            random_state=space.seed,
            verbose=0,
        )
    else:
        features, _ = space.features("drawn")
        embedder = DrawnEmbedder(
            weights=space.drawn_weights, random_state=space.seed, verbose=0
        )
    model = make_baseline(spec.backbone, random_state=seed).set_params(embed=embedder)
    # The embedder is stateless: the scaler and SVM fitted on the features
    # computed once, behind an embedder of the same base, are the pipeline
    # make_baseline would fit on the pictures (the steps are shared).
    scorer = Pipeline([("embed", "passthrough"), *model.steps[1:]])
    scorer.fit(features[fit], space.target[fit])
    return Bunch(model=model, scorer=scorer, x=features, history=None)


def _pipeline(spec, item, space, fit, val, seed, options, verbose):
    from sklearn.base import clone

    from .embeddings import make_baseline

    if spec.strategy == "custom_sklearn":
        model = clone(item)
    elif spec.name == "pixels_svm":
        model = make_baseline("pixels", random_state=seed)
    else:
        model = make_baseline("color_histogram", kernel="rbf", random_state=seed)
    if space.streaming and spec.strategy != "custom_sklearn":
        from sklearn.pipeline import Pipeline

        # As for the embedding SVMs: the first step is stateless, so the
        # steps after it fitted on its features, computed once batch by
        # batch, are the pipeline fitted on the pictures.
        features = space.embedded(spec.name, model.steps[0][1])
        scorer = Pipeline([("embed", "passthrough"), *model.steps[1:]])
        scorer.fit(features[fit], space.target[fit])
        return Bunch(model=model, scorer=scorer, x=features, history=None)
    # A pipeline of the user's is fitted on the pictures themselves: read
    # into memory when they are on disk.
    model.fit(space.images[fit], space.target[fit])
    return Bunch(model=model, scorer=model, x=space.images, history=None)


_STRATEGIES = {
    "network": _network,
    "custom_keras": _network,
    "vgg16_head": _frozen_head,
    "vgg16_svm": _features_svm,
    "drawn_head": _frozen_head,
    "drawn_svm": _features_svm,
    "pipeline": _pipeline,
    "custom_sklearn": _pipeline,
}


def _accuracy(scorer, x, y, idx):
    # The model as it is returned, in inference mode: the training accuracy
    # Keras logs during fit has dropout and augmentation switched on, which
    # would flatter exactly the remedies against overfitting.
    if isinstance(x, PictureFile):
        from ._batches import predict_in_batches

        predicted = predict_in_batches(scorer, x.take(idx), verbose=0).argmax(axis=1)
    elif hasattr(scorer, "trainable_weights"):
        predicted = scorer.predict(x[idx], verbose=0).argmax(axis=1)
    else:
        predicted = np.asarray(scorer.predict(x[idx]))
    return float(np.mean(predicted == y[idx]))


def _kept_epochs(phases):
    """Return the indices, in the phases' joined history, of the epochs kept.

    Each phase starts from the weights the one before it kept, and early
    stopping restores its own best epoch: the epochs after a phase's best
    trained weights that were thrown away.
    """
    kept, start = [], 0
    for n_epochs, best_epoch in phases:
        kept += range(start, start + (n_epochs if best_epoch is None else best_epoch))
        start += n_epochs
    return kept


def _verdict(history, train_accuracy, val_accuracy, n_val, *, phases=None):
    """generalization_gap's rule on the accuracies measured after training.

    ``n_val`` is the number of validation pictures ``val_accuracy`` was
    measured on: the verdict weighs the gap by it. ``phases`` lists, for each
    training phase whose epochs ``history`` joins in order, ``(epochs run,
    best epoch)``: the epoch (from 1, within the phase) whose weights early
    stopping restored, or None when the phase kept its last epoch's. None
    reads all of ``history`` as one phase that kept its last epoch.
    """
    from .evaluation import generalization_gap

    if val_accuracy is None:
        return None
    record = dict(history or {})
    if not record.get("val_loss"):
        # A model without a loss curve (an SVM) is judged on its gap alone.
        record = {"loss": [0.0], "val_loss": [0.0]}
    elif phases is not None:
        # The model scored holds the weights early stopping restored (the
        # best epoch of the last phase, grown from the best of the ones
        # before): the epochs after a phase's best trained weights that were
        # thrown away, and their rising loss is not this model's. An argmin
        # over the joined history would pick the wrong epoch when the last
        # phase never beats an earlier one's lowest loss.
        kept = _kept_epochs(phases)
        record = {key: [values[i] for i in kept] for key, values in record.items()}
    record["accuracy"] = [*record.get("accuracy", [])[:-1], train_accuracy]
    record["val_accuracy"] = [*record.get("val_accuracy", [])[:-1], val_accuracy]
    return generalization_gap(record, n_val=n_val).verdict


def fit_and_score(
    entry, space, fit, test, val=None, *, seed, options=None, epochs=None, verbose=0
):
    """Train one model on one split of a ``Workspace`` and score it.

    Parameters
    ----------
    entry : tuple
        ``(spec, item)`` from ``resolve_models``.
    space : Workspace
        The pictures, and the features computed once for them.
    fit, test : array of int
        Indices of the training and the test pictures.
    val : array of int or None, default=None
        Indices of the validation pictures; None trains without validation.
    seed : int
        Seed of the model's initial weights and of its training.
    options : dict, default=None
        Knobs of the entry (``ModelSpec.knobs``), e.g.
        ``{"augmentation": True}`` or ``{"finetune": True}``.
    epochs : int or None, default=None
        Epochs of this run's networks (of each phase, and the most with
        early stopping); None uses the workspace's.
    verbose : int, default=0
        Keras' progress output.

    Returns
    -------
    result : Bunch
        ``row`` (a dict with ``ROW_COLUMNS``), ``model`` (the fitted
        model, taking pictures), ``history`` (per-epoch lists, None for an
        estimator without one) and ``evaluation``
        (``evaluate`` on the test pictures).
    """
    from .evaluation import evaluate

    spec, item = entry
    options = dict(options or {})
    _check_options(spec, options)
    if val is not None and len(val) == 0:
        val = None
    if epochs is not None:
        # A shallow copy: the features computed once stay shared.
        space = copy.copy(space)
        space.epochs = check_count(epochs, "epochs")
    start = time.perf_counter()
    fitted = _STRATEGIES[spec.strategy](
        spec, item, space, fit, val, seed, options, verbose
    )
    fit_time = time.perf_counter() - start
    target = space.target
    evaluation = evaluate(
        fitted.scorer, rows(fitted.x, test), target[test], class_names=space.class_names
    )
    train_accuracy = _accuracy(fitted.scorer, fitted.x, target, fit)
    val_accuracy = (
        None if val is None else _accuracy(fitted.scorer, fitted.x, target, val)
    )
    low, high = evaluation.accuracy_interval
    history = fitted.history
    n_val = 0 if val is None else len(val)
    row = {
        "model": spec.name,
        "seed": int(seed),
        "test_accuracy": evaluation.accuracy,
        "accuracy_low": low,
        "accuracy_high": high,
        "test_loss": evaluation.loss,
        "n_train": len(fit),
        "n_val": n_val,
        "n_test": len(test),
        "train_accuracy": train_accuracy,
        "val_accuracy": val_accuracy,
        "gap": None if val_accuracy is None else train_accuracy - val_accuracy,
        "verdict": _verdict(
            history,
            train_accuracy,
            val_accuracy,
            n_val,
            phases=fitted.get("phases"),
        ),
        "epochs_run": None if history is None else len(history["loss"]),
        "parameters": learned_parameters(fitted.model),
        "fit_time_s": fit_time,
        "weights": space.weights_label_of(spec.backbone),
    }
    return Bunch(
        row=row,
        model=fitted.model,
        history=history,
        evaluation=evaluation,
        spec=spec,
    )
