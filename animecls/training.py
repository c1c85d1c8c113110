"""Training recipes that reproduce the report's runs, seeded and overridable.

[`fit_model`][animecls.training.fit_model] compiles and fits a network with the
report's settings (Model 1: Adam 5e-4, 15 epochs; Model 2: RMSprop 2e-5, 10
epochs; both with ``validation_split=0.2``).
[`fit_transfer_head`][animecls.training.fit_transfer_head] trains the same
Model 2 much faster: its VGG16 base is frozen, so its output for a picture
never changes, and the head can be trained on features computed once.

Both set the seeds (``keras.utils.set_random_seed``) and ask TensorFlow for
deterministic kernels, so two runs with the same ``random_state`` give the
same numbers on CPU. Build the model after seeding too, e.g. with
``keras.utils.set_random_seed(0)`` before the builder, so that its initial
weights are the same.
"""

import contextlib
import math
import numbers
import time
import warnings
from collections.abc import Mapping
from numbers import Real

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils.class_weight import compute_class_weight

from ._info import get_info, set_info
from ._validation import is_int
from ._vgg16 import base_features, get_vgg16_base, split_transfer_model

__all__ = ["RECIPES", "fit_model", "fit_transfer_head"]

RECIPES = {
    "two_layer_cnn": {
        "optimizer": "adam",
        "learning_rate": 5e-4,
        "epochs": 15,
        "batch_size": 32,
        "validation_split": 0.2,
    },
    "vgg16_transfer": {
        "optimizer": "rmsprop",
        "learning_rate": 2e-5,
        "epochs": 10,
        "batch_size": 32,
        "validation_split": 0.2,
    },
    # The head of build_drawn_transfer on the frozen drawn backbone: 25
    # thousand weights on 192 features, so a faster rate and more epochs.
    "drawn_transfer": {
        "optimizer": "adam",
        "learning_rate": 1e-3,
        "epochs": 60,
        "batch_size": 32,
        "validation_split": 0.2,
    },
    "drawn_finetune": {
        "optimizer": "adam",
        "learning_rate": 1e-4,
        "epochs": 10,
        "batch_size": 32,
        "validation_split": 0.2,
    },
    # Phase 2 of Keras' transfer-learning guide, after unfreeze_top.
    "vgg16_finetune": {
        "optimizer": "rmsprop",
        "learning_rate": 1e-5,
        "epochs": 5,
        "batch_size": 32,
        "validation_split": 0.2,
    },
}
"""The report's settings per model; every entry can be overridden."""

_OPTIMIZERS = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop}


def _seed(random_state):
    keras.utils.set_random_seed(int(random_state))
    # Irreversible for the process, and what makes CPU runs repeatable.
    tf.config.experimental.enable_op_determinism()


def _settings(model, recipe, **overrides):
    """Return the recipe's settings with every override that is not None."""
    if recipe is None:
        builder = get_info(model).get("builder", "")
        recipe = {
            "build_two_layer_cnn": "two_layer_cnn",
            "build_vgg16_transfer": "vgg16_transfer",
            "build_drawn_transfer": "drawn_transfer",
        }.get(builder)
        if recipe is None:
            raise ValueError(
                "Cannot tell which recipe fits this model; pass recipe="
                f"{sorted(RECIPES)}. Received: recipe=None"
            )
    if recipe not in RECIPES:
        raise ValueError(
            f"recipe must be one of {sorted(RECIPES)}. Received: recipe={recipe!r}"
        )
    settings = dict(RECIPES[recipe], recipe=recipe)
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if settings["optimizer"] not in _OPTIMIZERS:
        raise ValueError(
            f"optimizer must be one of {sorted(_OPTIMIZERS)}. "
            f"Received: optimizer={settings['optimizer']!r}"
        )
    if not 0 <= settings["validation_split"] < 1:
        raise ValueError(
            "validation_split must be in [0, 1). "
            f"Received: validation_split={settings['validation_split']}"
        )
    for name in ("epochs", "batch_size"):
        if int(settings[name]) < 1:
            raise ValueError(
                f"{name} must be a positive integer. Received: {name}={settings[name]}"
            )
    return settings


def _one_hot(y, num_classes):
    """Integer labels or one-hot rows -> one-hot rows, checked against the model."""
    y = np.asarray(y)
    if y.ndim == 2:
        if y.shape[1] != num_classes:
            raise ValueError(
                f"y has {y.shape[1]} columns but the model has {num_classes} "
                f"outputs: the class counts differ. Received: y with shape {y.shape}"
            )
        return y.astype("float32")
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(
            "y must be integer labels (n_images,) or one-hot rows (n_images, "
            f"n_classes). Received: y with shape {y.shape} and dtype {y.dtype}"
        )
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"y holds labels 0..{int(y.max())} but the model has {num_classes} "
            "outputs: the class counts differ. Build the model with "
            f"num_classes={int(y.max()) + 1}. "
            f"Received: labels {sorted(set(y.tolist()))}"
        )
    return keras.utils.to_categorical(y, num_classes).astype("float32")


def _is_dataset(x):
    return isinstance(x, tf.data.Dataset | keras.utils.PyDataset)


def _check_dataset(data, model, name):
    """Check a dataset of ``(images, labels)`` batches; return it with one-hot labels.

    Returns ``(dataset, batch_size, mode)``: the batch size when the dataset's
    batches all have a static size (else None) and ``"pictures"`` or
    ``"features"``.
    """
    num_classes = int(model.output_shape[-1])
    expected = tuple(model.input_shape[1:])
    if isinstance(data, keras.utils.PyDataset):
        if data.num_batches is None:
            raise ValueError(
                f"{name} is an infinite PyDataset; fit_model trains whole passes "
                f"over the data. Give it a __len__. Received: {name}={data!r}"
            )
        # Its batches are only seen when Keras asks for them, so they are
        # checked and made one-hot one by one (_one_hot's checks, per batch).
        mode = (
            "pictures"
            if len(expected) == 3 and expected[-1] in (1, 3)
            else ("features")
        )
        return _OneHotBatches(data, num_classes, name), None, mode
    spec = data.element_spec
    if not (
        isinstance(spec, tuple)
        and len(spec) == 2
        and all(isinstance(part, tf.TensorSpec) for part in spec)
    ):
        raise ValueError(
            f"{name} must be a dataset of (images, labels) batches, as "
            "animecls.datasets.image_dataset_from_folder yields. "
            f"Received: a dataset of {spec}"
        )
    images, labels = spec
    shape = tuple(images.shape)
    fits = len(shape) == len(expected) + 1 and all(
        got is None or want is None or got == want
        for got, want in zip(shape[1:], expected, strict=True)
    )
    if not fits:
        hint = (
            " The dataset is not batched: call .batch(32) on it."
            if shape == expected
            else ""
        )
        raise ValueError(
            f"{name} must yield batches of pictures of shape (batch, "
            f"{', '.join(map(str, expected))}) for this model.{hint} "
            f"Received: batches of shape {shape}"
        )
    if data.cardinality() == tf.data.INFINITE_CARDINALITY:
        raise ValueError(
            f"{name} repeats forever; fit_model trains whole passes over the "
            "data, so drop the .repeat(). Received: a dataset of infinite "
            "cardinality"
        )
    integer = labels.dtype.is_integer and labels.shape.rank == 1
    one_hot = labels.dtype.is_floating and labels.shape.rank == 2
    if one_hot and labels.shape[-1] not in (None, num_classes):
        raise ValueError(
            f"{name}'s labels have {labels.shape[-1]} columns but the model has "
            f"{num_classes} outputs: the class counts differ. "
            f"Received: labels of shape {tuple(labels.shape)}"
        )
    if not (integer or one_hot):
        raise ValueError(
            f"{name}'s labels must be integer class numbers (batch,) or one-hot "
            f"rows (batch, n_classes). Received: labels of shape "
            f"{tuple(labels.shape)} and dtype {labels.dtype.name}"
        )

    def to_one_hot(batch, labels):
        if one_hot:
            return batch, tf.cast(labels, "float32")
        # tf.one_hot would turn a class number the model has no output for
        # into a row of zeros, and train on it silently.
        message = (
            f"{name} holds a class number outside 0..{num_classes - 1} (the "
            f"model has {num_classes} outputs): the class counts differ"
        )
        checks = [
            tf.debugging.assert_non_negative(labels, message=message),
            tf.debugging.assert_less(
                labels, tf.cast(num_classes, labels.dtype), message=message
            ),
        ]
        with tf.control_dependencies(checks):
            return batch, tf.one_hot(labels, num_classes, dtype="float32")

    mode = "pictures" if len(shape) == 4 and shape[-1] in (1, 3) else "features"
    dataset = data.map(to_one_hot, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset, shape[0], mode


class _OneHotBatches(keras.utils.PyDataset):
    """A ``PyDataset`` whose labels are checked and made one-hot batch by batch."""

    def __init__(self, batches, num_classes, name):
        super().__init__(
            workers=batches.workers,
            use_multiprocessing=batches.use_multiprocessing,
            max_queue_size=batches.max_queue_size,
        )
        self.batches = batches
        self.num_classes = num_classes
        self.name = name

    def __len__(self):
        return self.batches.num_batches

    def __getitem__(self, index):
        batch = self.batches[index]
        if not isinstance(batch, tuple | list) or len(batch) != 2:
            raise ValueError(
                f"{self.name} must yield (images, labels) batches. Received: "
                f"a batch of type {type(batch).__name__}"
            )
        images, labels = batch
        return images, _one_hot(labels, self.num_classes)

    def on_epoch_begin(self):
        self.batches.on_epoch_begin()

    def on_epoch_end(self):
        self.batches.on_epoch_end()


def _dataset_labels(data):
    """Return every class number of a checked dataset, in one pass over it."""
    if isinstance(data, keras.utils.PyDataset):
        batches = (data[index][1] for index in range(len(data)))
    else:
        batches = data.map(lambda batch, labels: labels).as_numpy_iterator()
    labels = [np.argmax(np.asarray(rows), axis=-1) for rows in batches]
    return np.concatenate(labels) if labels else np.zeros(0, dtype=int)


def _check_xy(x, y, model):
    x = np.asarray(x)
    expected = tuple(model.input_shape[1:])
    # Pictures for a network, or features for the head of a frozen base.
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            f"x must be pictures of shape (n_images, {', '.join(map(str, expected))})"
            f" for this model. Received: x with shape {x.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"x is an empty batch. Received: x with shape {x.shape}")
    if y is None:
        raise ValueError(
            "y (the labels) is needed when x is an array of pictures; only a "
            "dataset of (images, labels) batches goes without. Received: y=None"
        )
    y = _one_hot(y, int(model.output_shape[-1]))
    if len(y) != len(x):
        raise ValueError(
            f"x and y differ in length. Received: {len(x)} pictures, {len(y)} labels"
        )
    return x, y


def _announce(model, settings, verbose, mode):
    """Print what is being trained and from which weights, before Keras' bar."""
    if verbose == 0:
        return
    weights = get_info(model).get("weights", {})
    label = weights.get("weights", "not recorded")
    batch = settings["batch_size"]
    batch = "the dataset's batches" if batch is None else f"batch {batch}"
    print(
        f"Training {model.name} on {mode}: recipe {settings['recipe']} "
        f"({settings['optimizer']}, learning rate {settings['learning_rate']:g}, "
        f"{settings['epochs']} epochs, {batch}, "
        f"validation_split {settings['validation_split']:.2f}); weights: {label}"
    )


def _class_weight(class_weight, num_classes, labels):
    """Return ``class_weight`` as ``model.fit`` takes it, one weight per class.

    ``labels`` is called for the training class numbers, only for
    ``"balanced"`` (on a dataset it costs a pass over it).
    """
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        target = labels()
        present = np.unique(target)
        weights = dict.fromkeys(range(num_classes), 1.0)
        # A class absent from the training labels weighs nothing either way.
        balanced = compute_class_weight("balanced", classes=present, y=target)
        weights.update(zip(present.tolist(), balanced.tolist(), strict=True))
        return weights
    if not isinstance(class_weight, Mapping):
        raise ValueError(
            'class_weight must be None, "balanced" or a dict {class number: '
            f"weight}}. Received: class_weight={class_weight!r}"
        )
    for key, value in class_weight.items():
        if not is_int(key) or not 0 <= key < num_classes:
            raise ValueError(
                f"class_weight's keys must be class numbers 0..{num_classes - 1} "
                f"(the model has {num_classes} outputs). "
                f"Received: class_weight={class_weight!r}"
            )
        number = isinstance(value, Real) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < 0:
            raise ValueError(
                "class_weight's weights must be finite numbers >= 0. "
                f"Received: class_weight={class_weight!r}"
            )
    if class_weight and not any(class_weight.values()):
        raise ValueError(
            "class_weight gives every class weight 0, so the loss would be 0 "
            f"and nothing would train. Received: class_weight={class_weight!r}"
        )
    # Keras' tf.data path indexes a list of weights by class number, so
    # every class gets one; those not given weigh 1, as Keras' arrays do.
    return {c: float(class_weight.get(c, 1.0)) for c in range(num_classes)}


def _record_class_weight(settings, class_weight, weights):
    settings["class_weight"] = (
        None
        if weights is None
        else "balanced"
        if class_weight == "balanced"
        else "dict"
    )
    settings["class_weights"] = None if weights is None else list(weights.values())


def _check_callbacks(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, keras.callbacks.Callback) or not isinstance(
        callbacks, list | tuple
    ):
        raise ValueError(
            "callbacks must be a list of keras.callbacks.Callback (put a single "
            f"one in a list). Received: callbacks={callbacks!r}"
        )
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise ValueError(
                "callbacks must be a list of keras.callbacks.Callback. "
                f"Received: a callbacks entry of type {type(callback).__name__}"
            )
    return list(callbacks)


def _early_stopping(early_stopping, callbacks, validates):
    """Return ``(callbacks, early_stopping_callback)`` for ``model.fit``."""
    callbacks = _check_callbacks(callbacks)
    if early_stopping is None:
        return callbacks, None
    if (
        isinstance(early_stopping, bool)
        or not isinstance(early_stopping, numbers.Integral)
        or early_stopping < 1
    ):
        raise ValueError(
            "early_stopping must be None or a patience of at least 1 epoch. "
            f"Received: early_stopping={early_stopping!r}"
        )
    if not validates:
        raise ValueError(
            "early_stopping watches the validation loss, so it needs "
            "validation_split > 0 or validation_data. Received: "
            f"early_stopping={early_stopping!r} without validation data"
        )
    theirs = [c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)]
    if theirs:
        # Two stoppers would each stop and restore on their own rule, and
        # the record could not say which one decided.
        raise ValueError(
            "Pass early_stopping= or a keras.callbacks.EarlyStopping in "
            "callbacks, not both. Received: "
            f"early_stopping={early_stopping!r} and callbacks holding "
            f"{len(theirs)} EarlyStopping"
        )
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=int(early_stopping), restore_best_weights=True
    )
    return [*callbacks, stopper], stopper


def _check_streamed_options(y, batch_size, validation_split):
    """Refuse the options a dataset of batches answers itself."""
    if y is not None:
        raise ValueError(
            "x is a dataset, which yields its labels with the pictures, so y "
            f"must be None. Received: y of type {type(y).__name__}"
        )
    if batch_size is not None:
        raise ValueError(
            "x is a dataset, whose batches set the batch size (e.g. "
            "image_dataset_from_folder(..., batch_size=...)), so batch_size "
            f"must be None. Received: batch_size={batch_size!r}"
        )
    if validation_split:
        raise ValueError(
            "validation_split cannot split a dataset: Keras only splits "
            "arrays. Pass validation_data (arrays or a dataset, e.g. "
            "image_dataset_from_folder on a separate folder or subset). "
            f"Received: validation_split={validation_split!r} with a dataset"
        )


def _check_validation_data(validation_data, model):
    """Return ``validation_data`` checked as ``fit_model``'s ``x`` and ``y`` are."""
    if validation_data is None:
        return None
    if _is_dataset(validation_data):
        return _check_dataset(validation_data, model, "validation_data")[0]
    if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
        raise ValueError(
            "validation_data must be (x_val, y_val) or a dataset of (images, "
            "labels) batches. Received: validation_data of type "
            f"{type(validation_data).__name__}"
        )
    return _check_xy(*validation_data, model)


@contextlib.contextmanager
def _unsized_streams_end_quietly(*data):
    """Silence Keras' "ran out of data" at the end of a pass of unknown length.

    Keras learns the number of batches of a dataset of unknown cardinality
    (``image_dataset_from_folder`` filters unreadable files, so its length
    is unknown) by reaching its end, and warns then, although nothing went
    wrong (keras-team/keras#23360 removes the warning).
    """
    unsized = any(
        isinstance(part, tf.data.Dataset)
        and part.cardinality() == tf.data.UNKNOWN_CARDINALITY
        for part in data
    )
    with warnings.catch_warnings():
        if unsized:
            warnings.filterwarnings(
                "ignore", "Your input ran out of data", category=UserWarning
            )
        yield


def _training_labels(y, validation_split):
    """Return the class numbers of the pictures Keras trains on, before its split."""
    target = np.argmax(y, axis=1)
    return target[: len(target) - _validation_size(target, validation_split)]


def _validation_size(x, validation_split, validation_data=None):
    """How many pictures Keras validates on: the last ``floor``-complement."""
    if _is_dataset(validation_data):
        # Its batches need not be full or counted in advance (a folder's
        # stream drops unreadable files): count them, one pass.
        return len(_dataset_labels(validation_data))
    if validation_data is not None:
        return len(validation_data[0])
    if validation_split <= 0:
        return 0
    # model.fit keeps the first floor(n * (1 - split)) pictures for training.
    n_pictures = len(x)
    return n_pictures - int(np.floor(n_pictures * (1.0 - validation_split)))


def _record(
    model, history, settings, random_state, stopper, start, mode, n_val, callbacks
):
    """Attach the time, settings and stopping point to ``history`` and the model."""
    history.fit_time = time.perf_counter() - start
    # generalization_gap weighs the validation accuracy by this count.
    history.n_val = int(n_val)
    history.settings = dict(
        settings,
        early_stopping=None if stopper is None else stopper.patience,
        # The user's callbacks, by class: one may have stopped or changed
        # the training (an EarlyStopping, a LearningRateScheduler).
        callbacks=[type(c).__name__ for c in callbacks if c is not stopper],
        # fit_time depends on both: one device or several, 32 or 16 bits.
        replicas=int(model.distribute_strategy.num_replicas_in_sync),
        dtype_policy=model.dtype_policy.name,
        random_state=int(random_state),
    )
    history.epochs_trained = len(history.epoch)
    # EarlyStopping counts epochs from 0; people (and Keras' logs) from 1.
    history.best_epoch = None if stopper is None else stopper.best_epoch + 1
    set_info(
        model,
        training=dict(
            history.settings,
            fit_time_s=round(history.fit_time, 3),
            mode=mode,
            epochs_trained=history.epochs_trained,
            best_epoch=history.best_epoch,
        ),
    )


def _compile(model, settings, optimizer=None):
    # Inside the strategy the model was built under (the default one if
    # none), as Keras' distributed-training guide compiles: the optimizer's
    # variables are then mirrored like the model's. Under the mixed_float16
    # policy Keras wraps the optimizer in a LossScaleOptimizer itself.
    with model.distribute_strategy.scope():
        if optimizer is None:
            optimizer = _OPTIMIZERS[settings["optimizer"]](
                learning_rate=settings["learning_rate"]
            )
        model.compile(
            optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"]
        )


def fit_model(
    model,
    x,
    y=None,
    *,
    recipe=None,
    epochs=None,
    learning_rate=None,
    optimizer=None,
    batch_size=None,
    validation_split=None,
    validation_data=None,
    shuffle=True,
    class_weight=None,
    callbacks=None,
    early_stopping=None,
    random_state=0,
    verbose="auto",
):
    """Compile and train a network with one of the report's recipes.

    Parameters
    ----------
    model : keras.Model
        From [`build_two_layer_cnn`][animecls.models.build_two_layer_cnn] or
        [`build_vgg16_transfer`][animecls.models.build_vgg16_transfer].
    x : array of shape (n_images, height, width, 3), tf.data.Dataset or \
keras.utils.PyDataset
        Pictures, 0-255 (the models preprocess them themselves); or a
        dataset of ``(images, labels)`` batches, as
        [`image_dataset_from_folder`][animecls.datasets.image_dataset_from_folder]
        streams a folder too big for memory. A dataset's labels may be
        integer class numbers (made one-hot inside the pipeline, and checked
        against the model's outputs there) or one-hot rows; a
        ``PyDataset``'s are made one-hot batch by batch. A dataset sets its
        own batch size and shuffling, and cannot be split by
        ``validation_split``: pass ``validation_data``.
    y : array of shape (n_images,) or (n_images, n_classes), or None
        Integer labels (made one-hot here) or one-hot rows; None when ``x``
        is a dataset.
    recipe : {"two_layer_cnn", "vgg16_transfer", "vgg16_finetune", \
"drawn_transfer", "drawn_finetune"} or None
        Settings from [`RECIPES`][animecls.training.RECIPES]; None picks the
        recipe of the builder that made ``model``.
    epochs, learning_rate, optimizer, batch_size, validation_split : optional
        Override the recipe's value when not None. ``optimizer`` is
        ``"adam"`` or ``"rmsprop"``. With a dataset, ``batch_size`` must be
        None and the recipe's ``validation_split`` is not applied (0 is
        recorded).
    validation_data : tuple, tf.data.Dataset, keras.utils.PyDataset or None, \
default=None
        ``(x_val, y_val)`` or a dataset of ``(images, labels)`` batches;
        replaces ``validation_split``.
    shuffle : bool, default=True
        Shuffle the training pictures each epoch (seeded); for a
        ``PyDataset``, the order of its batches. A ``tf.data.Dataset`` is
        passed as it is: it shuffles itself (``image_dataset_from_folder``
        does, by default).
    class_weight : dict, "balanced" or None, default=None
        Weight of each class in the training loss, as ``model.fit`` takes it:
        ``{class number: weight}`` (classes not given weigh 1), or
        ``"balanced"``, scikit-learn's ``compute_class_weight("balanced")``
        on the training labels (``n_pictures / (n_classes * count)``: a
        class with half the pictures weighs twice as much). For a dataset,
        ``"balanced"`` reads its labels in one pass before training. The
        weights used are recorded (``settings["class_weights"]``).
    callbacks : list of keras.callbacks.Callback, default=None
        Passed to ``model.fit``, and run together with ``early_stopping``'s.
        Their class names are recorded (``settings["callbacks"]``).
    early_stopping : int or None, default=None
        Patience in epochs: stop when the validation loss has not improved
        for that many epochs, and restore the weights of the epoch with the
        lowest validation loss (``keras.callbacks.EarlyStopping(
        monitor="val_loss", restore_best_weights=True)``). ``epochs`` is then
        the most epochs trained. Needs validation data. None trains every
        epoch and keeps the last weights. Either this or your own
        ``EarlyStopping`` in ``callbacks``, not both (an error); with your
        own, ``history.best_epoch`` is None, as fit_model cannot tell which
        weights it kept.
    random_state : int, default=0
        Seed of Keras, NumPy and Python random generators.
    verbose : "auto", 0, 1 or 2, default="auto"
        ``model.fit``'s progress output.

    Returns
    -------
    history : keras.callbacks.History
        ``history.history`` holds the per-epoch loss and accuracy;
        ``history.fit_time`` the training time in seconds; ``history.settings``
        the recipe used; ``history.n_val`` the number of validation pictures
        (read by
        [`generalization_gap`][animecls.evaluation.generalization_gap]; a
        validation dataset is counted in one pass over it after training);
        ``history.epochs_trained`` the number of epochs run and
        ``history.best_epoch`` the epoch (from 1) whose weights were kept by
        early stopping (None without it). These are also recorded on the model
        and saved with it by [`save_model`][animecls.models.save_model].

    See Also
    --------
    fit_transfer_head : Model 2 trained on cached VGG16 features.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from animecls.models import build_two_layer_cnn
    >>> from animecls.training import fit_model
    >>> keras.utils.set_random_seed(0)
    >>> model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    >>> x = np.random.default_rng(0).integers(0, 256, (20, 32, 32, 3))
    >>> history = fit_model(model, x, np.arange(20) % 3, epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    >>> history.n_val  # the last 20% of the 20 pictures
    4

    With early stopping, the history says where training stopped:

    >>> history = fit_model(model, x, np.arange(20) % 3, epochs=2,
    ...                     early_stopping=1, verbose=0)
    >>> history.epochs_trained <= 2, history.best_epoch <= history.epochs_trained
    (True, True)

    A ``tf.data`` pipeline of ``(images, labels)`` batches trains the same way:

    >>> import tensorflow as tf
    >>> batches = tf.data.Dataset.from_tensor_slices((x, np.arange(20) % 3)).batch(8)
    >>> history = fit_model(model, batches, validation_data=batches, epochs=1,
    ...                     verbose=0)
    >>> history.n_val, history.settings["batch_size"]
    (20, None)
    """
    streamed = _is_dataset(x)
    if streamed:
        _check_streamed_options(y, batch_size, validation_split)
        # A dataset cannot be split by Keras; validation_data replaces it.
        validation_split = 0.0
    settings = _settings(
        model,
        recipe,
        epochs=epochs,
        learning_rate=learning_rate,
        optimizer=optimizer,
        batch_size=batch_size,
        validation_split=validation_split,
    )
    if streamed:
        x, settings["batch_size"], mode = _check_dataset(x, model, "x")
        y = None
    else:
        x, y = _check_xy(x, y, model)
        # A head trained on features computed once (pooled vectors, or
        # VGG16's maps of 512 channels) gets no pictures: say which, so that
        # the log does not claim a network saw pictures.
        mode = "pictures" if x.ndim == 4 and x.shape[-1] in (1, 3) else "features"
    validation_data = _check_validation_data(validation_data, model)
    callbacks, stopper = _early_stopping(
        early_stopping,
        callbacks,
        validation_data is not None or settings["validation_split"] > 0,
    )
    # validation_data replaces the recipe's split.
    split = 0.0 if validation_data is not None else settings["validation_split"]
    weights = _class_weight(
        class_weight,
        int(model.output_shape[-1]),
        lambda: _dataset_labels(x) if streamed else _training_labels(y, split),
    )
    _record_class_weight(settings, class_weight, weights)
    _seed(random_state)
    _compile(model, settings)
    _announce(model, settings, verbose, mode)
    start = time.perf_counter()
    with _unsized_streams_end_quietly(x, validation_data):
        history = model.fit(
            x,
            y,
            epochs=int(settings["epochs"]),
            batch_size=None if streamed else int(settings["batch_size"]),
            validation_split=split,
            validation_data=validation_data,
            # Keras shuffles a PyDataset's batch order, but warns that it cannot
            # shuffle a tf.data pipeline: that one shuffles itself.
            shuffle=shuffle and not isinstance(x, tf.data.Dataset),
            class_weight=weights,
            callbacks=callbacks,
            verbose=verbose,
        )
    n_val = _validation_size(x, settings["validation_split"], validation_data)
    # The record keeps its word for pictures ("images"), as saved files hold.
    recorded = "images" if mode == "pictures" else mode
    _record(
        model,
        history,
        settings,
        random_state,
        stopper,
        start,
        recorded,
        n_val,
        callbacks,
    )
    return history


def fit_transfer_head(
    model,
    x,
    y,
    *,
    recipe="vgg16_transfer",
    epochs=None,
    learning_rate=None,
    optimizer=None,
    batch_size=None,
    validation_split=None,
    shuffle=True,
    class_weight=None,
    callbacks=None,
    early_stopping=None,
    random_state=0,
    cache_dir=None,
    verbose="auto",
):
    """Train the head of a frozen-base transfer model on features computed once.

    With the base frozen, ``fit_model`` recomputes the same VGG16 features for
    every picture at every epoch, which is almost all of its run time. Here
    the base runs once over the pictures (batched through ``tf.data``,
    optionally cached on disk), and the head (the same layers as in
    ``model``) trains on the features. Afterwards ``model`` predicts on
    pictures as usual, with the trained head.

    Parameters
    ----------
    model : keras.Model
        From [`build_vgg16_transfer`][animecls.models.build_vgg16_transfer],
        base frozen.
    x : array of shape (n_images, height, width, 3)
        Pictures, 0-255. Arrays only: the head trains on the features of
        every picture held in memory; train on a dataset with
        [`fit_model`][animecls.training.fit_model].
    y : array of shape (n_images,) or (n_images, n_classes)
        Integer labels or one-hot rows.
    recipe : str, default="vgg16_transfer"
        As in [`fit_model`][animecls.training.fit_model].
    epochs, learning_rate, optimizer, batch_size, validation_split : optional
        Override the recipe's value when not None.
    shuffle : bool, default=True
        Shuffle the training features each epoch (seeded).
    class_weight : dict, "balanced" or None, default=None
        Weight of each class in the loss, as in
        [`fit_model`][animecls.training.fit_model].
    callbacks : list of keras.callbacks.Callback, default=None
        Passed to the head's ``fit``, as in
        [`fit_model`][animecls.training.fit_model].
    early_stopping : int or None, default=None
        Patience in epochs, as in [`fit_model`][animecls.training.fit_model].
    random_state : int, default=0
        Seed, as in [`fit_model`][animecls.training.fit_model].
    cache_dir : path-like or None, default=None
        Keep the base's features on disk, keyed by the pictures' bytes and the
        base's weight values, so a second run skips the extraction.
    verbose : "auto", 0, 1 or 2, default="auto"
        Progress output of the extraction and of ``fit``.

    Returns
    -------
    history : keras.callbacks.History
        As [`fit_model`][animecls.training.fit_model] returns, plus
        ``history.extraction_time`` (seconds spent computing or loading the
        features; included in ``fit_time``).

    Raises
    ------
    ValueError
        If the base is not frozen: features of a base that trains change at
        every step, so they cannot be computed once.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from animecls.models import build_vgg16_transfer
    >>> from animecls.training import fit_transfer_head
    >>> keras.utils.set_random_seed(0)
    >>> model = build_vgg16_transfer((32, 32, 3), weights=None)
    >>> x = np.random.default_rng(0).integers(0, 256, (20, 32, 32, 3))
    >>> history = fit_transfer_head(model, x, np.arange(20) % 3, epochs=2, verbose=0)
    >>> model.predict(x[:2], verbose=0).shape
    (2, 3)
    """
    base = get_vgg16_base(model)
    if any(weight.trainable for weight in base.weights):
        raise ValueError(
            "The VGG16 base has trainable layers, so its features change while "
            "training and cannot be computed once; use fit_model instead. "
            "Received: a model with trainable base layers "
            f"{[layer.name for layer in base.layers if layer.trainable_weights]}"
        )
    if _is_dataset(x):
        raise ValueError(
            "fit_transfer_head holds the features of every picture in memory, "
            "so it takes arrays; train on a dataset with fit_model. "
            f"Received: x of type {type(x).__name__}"
        )
    settings = _settings(
        model,
        recipe,
        epochs=epochs,
        learning_rate=learning_rate,
        optimizer=optimizer,
        batch_size=batch_size,
        validation_split=validation_split,
    )
    x, y = _check_xy(x, y, model)
    callbacks, stopper = _early_stopping(
        early_stopping, callbacks, settings["validation_split"] > 0
    )
    weights = _class_weight(
        class_weight,
        int(model.output_shape[-1]),
        lambda: _training_labels(y, settings["validation_split"]),
    )
    _record_class_weight(settings, class_weight, weights)
    # The extractor and head are new models: made in the model's strategy,
    # they run on its devices, with its (mirrored) layers.
    with model.distribute_strategy.scope():
        extractor, head = split_transfer_model(model)
    _announce(model, settings, verbose, "cached VGG16 features")
    start = time.perf_counter()
    features = base_features(
        extractor,
        x,
        cache_dir=cache_dir,
        batch_size=int(settings["batch_size"]),
        verbose=verbose,
    )
    extraction_time = time.perf_counter() - start
    _seed(random_state)
    _compile(head, settings)
    history = head.fit(
        features,
        y,
        epochs=int(settings["epochs"]),
        batch_size=int(settings["batch_size"]),
        validation_split=settings["validation_split"],
        shuffle=shuffle,
        class_weight=weights,
        callbacks=callbacks,
        verbose=verbose,
    )
    history.extraction_time = extraction_time
    # The full model shares the trained layers; compile it so that
    # evaluate() works on pictures straight away. With the head's optimizer,
    # whose state belongs to those layers: a fresh, never-built one would be
    # saved without its variables, and loading the file would warn.
    _compile(model, settings, optimizer=head.optimizer)
    n_val = _validation_size(x, settings["validation_split"])
    _record(
        model,
        history,
        settings,
        random_state,
        stopper,
        start,
        "cached features",
        n_val,
        callbacks,
    )
    return history
