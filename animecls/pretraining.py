"""Pretrain the drawn backbone on identities animecls draws itself.

[`pretrain_backbone`][animecls.pretraining.pretrain_backbone] draws hundreds
of random characters ([`random_designs`][animecls.datasets.random_designs],
none close to the default set's three), trains the small CNN of
``animecls._backbone`` to tell them apart with augmentation, and writes its
weights and a record of how they were made.
The weights shipped in the wheel (``weights="drawn"``) are exactly what
``animecls pretrain`` with its defaults writes; a student with a GPU reruns it
in minutes, and with more identities, pictures or epochs.

Imports TensorFlow.
"""

import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
from sklearn.utils import Bunch

from . import __version__
from ._backbone import FEATURES, PRETRAINING_SIZE, build_drawn_backbone, file_sha256
from ._designs import random_designs
from ._files import atomic_write
from ._validation import check_count, check_seed

__all__ = ["PRETRAINING", "pretrain_backbone"]

PRETRAINING = {
    "n_identities": 300,
    "n_per_identity": 24,
    "n_validation_per_identity": 4,
    "epochs": 40,
    "batch_size": 64,
    "learning_rate": 2e-3,
    "random_state": 0,
}
"""The settings of the shipped weights: the defaults of
[`pretrain_backbone`][animecls.pretraining.pretrain_backbone]."""


def _split(target, n_validation, rng):
    """Per identity, the last ``n_validation`` of a shuffled order validate."""
    fit, validation = [], []
    for label in np.unique(target):
        members = rng.permutation(np.flatnonzero(target == label))
        fit.append(members[:-n_validation])
        validation.append(members[-n_validation:])
    return np.concatenate(fit), np.concatenate(validation)


def pretrain_backbone(
    out=None,
    *,
    n_identities=PRETRAINING["n_identities"],
    n_per_identity=PRETRAINING["n_per_identity"],
    n_validation_per_identity=PRETRAINING["n_validation_per_identity"],
    epochs=PRETRAINING["epochs"],
    batch_size=PRETRAINING["batch_size"],
    learning_rate=PRETRAINING["learning_rate"],
    random_state=PRETRAINING["random_state"],
    backup_dir=None,
    verbose=1,
):
    """Train the drawn backbone to tell drawn identities apart.

    Parameters
    ----------
    out : path-like, default=None
        Write the backbone's weights here (a ``.weights.h5`` file) and the
        record beside it (same name, ``.json``); a file already there is
        replaced only once the new one is complete. None writes nothing.
    n_identities : int, default=300
        Random designs to draw (classes of the pretraining task).
    n_per_identity : int, default=24
        Pictures of each, 64x64.
    n_validation_per_identity : int, default=4
        Of those, kept aside to measure the pretraining accuracy.
    epochs, batch_size, learning_rate : int, int, float
        Adam with a cosine-decaying learning rate, from ``learning_rate`` to 0.
    random_state : int, default=0
        Seed of the designs, the pictures, the weights and the training.
    backup_dir : path-like, default=None
        Keep a backup after every epoch here
        (``keras.callbacks.BackupAndRestore``): an interrupted run started
        again with the same arguments resumes at the last finished epoch.
    verbose : int, default=1
        Keras' progress bar (1), one line per epoch (2), or nothing (0).

    Returns
    -------
    result : Bunch
        ``backbone`` (the trained drawn-backbone network),
        ``history`` (per-epoch lists), ``record`` (what ``out``'s JSON holds:
        settings, validation accuracy, training time, versions, sha256) and
        ``path`` (``out``, or None).

    Examples
    --------
    >>> from animecls.pretraining import pretrain_backbone
    >>> result = pretrain_backbone(n_identities=4, n_per_identity=6,
    ...     n_validation_per_identity=2, epochs=1, verbose=0)
    >>> result.backbone.output_shape
    (None, 192)
    """
    from .datasets import make_characters
    from .models import make_augmentation

    settings = {
        "n_identities": check_count(n_identities, "n_identities", minimum=2),
        "n_per_identity": check_count(n_per_identity, "n_per_identity", minimum=2),
        "n_validation_per_identity": check_count(
            n_validation_per_identity, "n_validation_per_identity"
        ),
        "epochs": check_count(epochs, "epochs"),
        "batch_size": check_count(batch_size, "batch_size"),
        "learning_rate": float(learning_rate),
        "random_state": check_seed(random_state),
        "image_size": list(PRETRAINING_SIZE),
    }
    if settings["n_validation_per_identity"] >= settings["n_per_identity"]:
        raise ValueError(
            "n_validation_per_identity must leave pictures to train on: it must "
            f"be below n_per_identity={n_per_identity}. Received: "
            f"n_validation_per_identity={n_validation_per_identity!r}"
        )
    if out is not None and not os.fspath(out).endswith(".weights.h5"):
        raise ValueError(
            f"out must end in .weights.h5 (Keras' weights format). Received: "
            f"out={os.fspath(out)!r}"
        )
    seed = settings["random_state"]
    start = time.perf_counter()
    designs = random_designs(settings["n_identities"], random_state=seed)
    data = make_characters(
        settings["n_per_identity"],
        image_size=PRETRAINING_SIZE,
        characters=designs,
        random_state=seed + 1,
    )
    fit, validation = _split(
        data.target, settings["n_validation_per_identity"], np.random.default_rng(seed)
    )
    drawing_time = time.perf_counter() - start

    keras.utils.set_random_seed(seed)
    # Irreversible for the process, and what makes the weights repeat.
    tf.config.experimental.enable_op_determinism()
    backbone = build_drawn_backbone()
    inputs = keras.Input(shape=(*PRETRAINING_SIZE, 3), name="image")
    x = make_augmentation(random_state=seed)(inputs)
    x = backbone(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)
    outputs = keras.layers.Dense(
        settings["n_identities"], activation="softmax", name="identity"
    )(x)
    model = keras.Model(inputs, outputs, name="pretraining")
    steps = int(np.ceil(len(fit) / settings["batch_size"])) * settings["epochs"]
    schedule = keras.optimizers.schedules.CosineDecay(
        settings["learning_rate"], decay_steps=steps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = []
    if backup_dir is not None:
        callbacks.append(keras.callbacks.BackupAndRestore(os.fspath(backup_dir)))
    train_start = time.perf_counter()
    history = model.fit(
        data.images[fit],
        data.target[fit],
        validation_data=(data.images[validation], data.target[validation]),
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        shuffle=True,
        callbacks=callbacks,
        verbose=verbose,
    )
    training_time = time.perf_counter() - train_start
    _, val_accuracy = model.evaluate(
        data.images[validation], data.target[validation], verbose=0
    )
    record = {
        "what": "animecls drawn backbone: a CNN pretrained to tell drawn "
        "identities apart (random_designs, none close to the default characters)",
        "settings": settings,
        "n_pictures": {"fit": int(len(fit)), "validation": int(len(validation))},
        "n_parameters": int(backbone.count_params()),
        "features": FEATURES,
        "pretraining_val_accuracy": round(float(val_accuracy), 4),
        "chance": round(1 / settings["n_identities"], 4),
        "history": {
            k: [round(float(v), 4) for v in vs] for k, vs in history.history.items()
        },
        "drawing_time_s": round(drawing_time, 1),
        "training_time_s": round(training_time, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "gpus": len(tf.config.list_physical_devices("GPU")),
        },
        "versions": {
            "animecls": __version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    }
    path = None
    if out is not None:
        path = os.fspath(out)
        with atomic_write(path) as temporary:
            backbone.save_weights(temporary)
        record["sha256"] = file_sha256(path)
        record_path = path[: -len(".weights.h5")] + ".json"
        with atomic_write(record_path) as temporary:
            with open(temporary, "w", encoding="utf-8") as file:
                json.dump(record, file, indent=1)
                file.write("\n")
    return Bunch(backbone=backbone, history=history.history, record=record, path=path)
