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

import numbers
import time

import keras
import numpy as np
import tensorflow as tf

from ._info import get_info, set_info
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
    print(
        f"Training {model.name} on {mode}: recipe {settings['recipe']} "
        f"({settings['optimizer']}, learning rate {settings['learning_rate']:g}, "
        f"{settings['epochs']} epochs, batch {settings['batch_size']}, "
        f"validation_split {settings['validation_split']:.2f}); weights: {label}"
    )


def _early_stopping(early_stopping, callbacks, validates):
    """Return ``(callbacks, early_stopping_callback)`` for ``model.fit``."""
    callbacks = list(callbacks or [])
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
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=int(early_stopping), restore_best_weights=True
    )
    return [*callbacks, stopper], stopper


def _validation_size(n_pictures, validation_split, validation_data=None):
    """How many pictures Keras validates on: the last ``floor``-complement."""
    if validation_data is not None:
        return len(validation_data[0])
    if validation_split <= 0:
        return 0
    # model.fit keeps the first floor(n * (1 - split)) pictures for training.
    return n_pictures - int(np.floor(n_pictures * (1.0 - validation_split)))


def _record(model, history, settings, random_state, stopper, start, mode, n_val):
    """Attach the time, settings and stopping point to ``history`` and the model."""
    history.fit_time = time.perf_counter() - start
    # generalization_gap weighs the validation accuracy by this count.
    history.n_val = int(n_val)
    history.settings = dict(
        settings,
        early_stopping=None if stopper is None else stopper.patience,
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
    y,
    *,
    recipe=None,
    epochs=None,
    learning_rate=None,
    optimizer=None,
    batch_size=None,
    validation_split=None,
    validation_data=None,
    shuffle=True,
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
    x : array of shape (n_images, height, width, 3)
        Pictures, 0-255 (the models preprocess them themselves).
    y : array of shape (n_images,) or (n_images, n_classes)
        Integer labels (made one-hot here) or one-hot rows.
    recipe : {"two_layer_cnn", "vgg16_transfer", "vgg16_finetune", \
"drawn_transfer", "drawn_finetune"} or None
        Settings from [`RECIPES`][animecls.training.RECIPES]; None picks the
        recipe of the builder that made ``model``.
    epochs, learning_rate, optimizer, batch_size, validation_split : optional
        Override the recipe's value when not None. ``optimizer`` is
        ``"adam"`` or ``"rmsprop"``.
    validation_data : tuple or None, default=None
        ``(x_val, y_val)``; replaces ``validation_split``.
    shuffle : bool, default=True
        Shuffle the training pictures each epoch (seeded).
    callbacks : list of keras.callbacks.Callback, default=None
        Passed to ``model.fit``.
    early_stopping : int or None, default=None
        Patience in epochs: stop when the validation loss has not improved
        for that many epochs, and restore the weights of the epoch with the
        lowest validation loss (``keras.callbacks.EarlyStopping(
        monitor="val_loss", restore_best_weights=True)``). ``epochs`` is then
        the most epochs trained. Needs validation data. None trains every
        epoch and keeps the last weights.
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
        [`generalization_gap`][animecls.evaluation.generalization_gap]);
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
    """
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
    if validation_data is not None:
        x_val, y_val = _check_xy(*validation_data, model)
        validation_data = (x_val, y_val)
    callbacks, stopper = _early_stopping(
        early_stopping,
        callbacks,
        validation_data is not None or settings["validation_split"] > 0,
    )
    _seed(random_state)
    _compile(model, settings)
    # A head trained on features computed once (pooled vectors, or VGG16's
    # maps of 512 channels) gets no pictures: say which, so that the log does
    # not claim a network saw pictures.
    mode = "pictures" if x.ndim == 4 and x.shape[-1] in (1, 3) else "features"
    _announce(model, settings, verbose, mode)
    start = time.perf_counter()
    history = model.fit(
        x,
        y,
        epochs=int(settings["epochs"]),
        batch_size=int(settings["batch_size"]),
        validation_split=0.0 if validation_data else settings["validation_split"],
        validation_data=validation_data,
        shuffle=shuffle,
        callbacks=callbacks,
        verbose=verbose,
    )
    n_val = _validation_size(len(x), settings["validation_split"], validation_data)
    # The record keeps its word for pictures ("images"), as saved files hold.
    recorded = "images" if mode == "pictures" else mode
    _record(model, history, settings, random_state, stopper, start, recorded, n_val)
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
        Pictures, 0-255.
    y : array of shape (n_images,) or (n_images, n_classes)
        Integer labels or one-hot rows.
    recipe : str, default="vgg16_transfer"
        As in [`fit_model`][animecls.training.fit_model].
    epochs, learning_rate, optimizer, batch_size, validation_split : optional
        Override the recipe's value when not None.
    shuffle : bool, default=True
        Shuffle the training features each epoch (seeded).
    callbacks : list of keras.callbacks.Callback, default=None
        Passed to the head's ``fit``.
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
        callbacks=callbacks,
        verbose=verbose,
    )
    history.extraction_time = extraction_time
    # The full model shares the trained layers; compile it so that
    # evaluate() works on pictures straight away. With the head's optimizer,
    # whose state belongs to those layers: a fresh, never-built one would be
    # saved without its variables, and loading the file would warn.
    _compile(model, settings, optimizer=head.optimizer)
    n_val = _validation_size(len(x), settings["validation_split"])
    _record(
        model, history, settings, random_state, stopper, start, "cached features", n_val
    )
    return history
