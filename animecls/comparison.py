"""The report's comparison, done better, as one function.

[`compare_models`][animecls.comparison.compare_models] trains every model of
[`animecls.registry`][] (and any model of your own) on the same split of the
same pictures, evaluates each with a confidence interval and a paired test
against the best, and can write everything to a run folder: the table, the
figures, the training histories and the trained model of highest validation
accuracy (or every model, or none).

Every model goes through the same fit-and-score path as the experiments of
[`animecls.experiments`][], so a row means the same thing wherever it is
printed; the VGG16 base runs once per run, shared by both VGG16 models.
"""

import contextlib
import json
import math

from sklearn.utils import Bunch

from . import __version__
from ._engine import (
    FULL_IMAGE_SIZE,
    QUICK,
    ROW_COLUMNS,
    ImageNetFallbackWarning,
    Workspace,
    check_drawn_weights,
    check_stream,
    describe_data,
    fit_and_score,
    load_data,
    log,
    resolve_image_size,
    resolve_models,
    resolve_weights,
    rows,
    split_parts,
)
from ._files import RunFolder, check_apart, write_rows
from ._validation import check_count, check_fraction, check_seed, check_test_size
from .evaluation import mcnemar_test
from .registry import MODELS, model_label

__all__ = [
    "MODEL_NAMES",
    "ImageNetFallbackWarning",
    "compare_models",
    "results_markdown",
]

MODEL_NAMES = tuple(MODELS)
"""The built-in models a comparison can train, in the order the table lists
them: the names of [`animecls.registry.MODELS`][], kept here for code
written before the registry.
"""

#: The columns of ``results.csv``: a fit-and-score row and the paired test.
COLUMNS = (*ROW_COLUMNS, "mcnemar_p_vs_best")


def _format(value, column):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if column == "parameters":
        return f"{value:,}"
    if column == "fit_time_s":
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


_BACKBONES = {"vgg16": "VGG16", "drawn": "Drawn-backbone"}

# The Markdown table's columns after the model and its accuracy interval.
_SHOWN = (
    ("test loss", "test_loss"),
    ("train acc", "train_accuracy"),
    ("val acc", "val_accuracy"),
    ("gap", "gap"),
    ("verdict", "verdict"),
    ("McNemar p vs best", "mcnemar_p_vs_best"),
    ("parameters", "parameters"),
    ("fit time (s)", "fit_time_s"),
    ("weights", "weights"),
)


def results_markdown(table):
    """Return the comparison table as Markdown, one row per model.

    Parameters
    ----------
    table : list of dict
        The ``table`` of
        [`compare_models`][animecls.comparison.compare_models].

    Returns
    -------
    text : str
        A Markdown table: test accuracy with its 95% interval, test loss,
        train and validation accuracy (measured after training, in inference
        mode), their gap and verdict, the McNemar p-value against the best
        model, the parameters learned, fit time and VGG16 weights.
    """
    header = "| model | test accuracy (95% CI) | " + " | ".join(
        title for title, _ in _SHOWN
    )
    lines = [header + " |", "|" + " --- |" * (len(_SHOWN) + 2)]
    for row in table:
        accuracy = (
            f"{row['test_accuracy']:.3f} ({row['accuracy_low']:.2f}-"
            f"{row['accuracy_high']:.2f})"
        )
        cells = [model_label(row), accuracy] + [_format(row[c], c) for _, c in _SHOWN]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _write_table(run_dir, table, meta):
    write_rows(run_dir / "results.csv", table, COLUMNS)
    missing = meta.get("validation_missing")
    intro = (
        f"# Comparison on {meta['data']}\n\n"
        f"{meta['n_fit']} training, {meta['n_val']} validation and "
        f"{meta['n_test']} test pictures of {meta['n_classes']} classes at "
        f"{meta['image_size'][0]}x{meta['image_size'][1]}; split "
        f"{1 - meta['test_fraction']:.0%}/{meta['test_fraction']:.0%} with seed "
        f"{meta['random_state']}, the last {meta['validation_fraction']:.0%} of "
        "the training part kept for validation (as Keras' validation_split)"
        + (
            f"; it holds no picture of {', '.join(map(repr, missing))}, which "
            "the validation scores leave out"
            if missing
            else ""
        )
        + ".\n\n"
        "The interval is Wilson's 95% interval; the McNemar p-value tests each "
        "model against the most accurate one on the same test pictures (a large "
        "p-value: the test set cannot tell them apart). Train and validation "
        "accuracy are measured after training, with dropout and augmentation "
        "off; parameters count what each model learned from the pictures.\n\n"
    )
    (run_dir / "results.md").write_text(
        intro + results_markdown(table), encoding="utf-8"
    )


def _save_figures(run_dir, space, split, outcomes, table):
    # Saving needs no particular backend; the caller's stays as it is.
    import matplotlib.pyplot as plt

    from .plotting import (
        plot_comparison,
        plot_confident_mistakes,
        plot_confusion_matrix,
        plot_embedding_projection,
        plot_history,
        plot_predictions,
        plot_samples,
    )

    names = space.class_names
    chance = 1 / len(names)
    test = split.test
    x_test, y_test = rows(space.images, test), space.target[test]
    figures = {}

    def save(key, figure):
        path = run_dir / "figures" / f"{key}.png"
        figure.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(figure)
        figures[key] = path

    save("samples", plot_samples(space.images, space.target, names, n_per_class=6))
    save("comparison", plot_comparison(table, chance=chance))
    for name, outcome in outcomes.items():
        if outcome.history is not None and "val_loss" in outcome.history:
            figure = plot_history(outcome.history, chance=chance)
            figure.suptitle(name)
            save(f"curves_{name}", figure)
        figure = plot_confusion_matrix(
            y_test, outcome.evaluation.y_pred, class_names=names
        )
        figure.axes[0].set_title(f"Confusion matrix: {name}")
        save(f"confusion_{name}", figure)
        shown = slice(0, 12)
        save(
            f"predictions_{name}",
            plot_predictions(
                x_test[shown],
                outcome.evaluation.y_pred[shown],
                names,
                y_true=y_test[shown],
            ),
        )
        probabilities = outcome.evaluation.probabilities
        if probabilities is not None:
            save(
                f"mistakes_{name}",
                plot_confident_mistakes(x_test, y_test, probabilities, names),
            )
    if "vgg16_svm" in outcomes:
        # What the SVM sees: the test pictures' VGG16 embeddings, in 2-D.
        figure = plot_embedding_projection(
            space.vgg16_embeddings()[test], y_test, names
        )
        figure.axes[0].set_title("PCA of the test pictures' VGG16 embeddings")
        save("projection_vgg16_svm", figure)
    return figures


def compare_models(
    data=None,
    *,
    models=None,
    image_size=None,
    epochs=None,
    weights="auto",
    drawn_weights="drawn",
    quick=False,
    test_size=0.3,
    validation_split=0.2,
    random_state=42,
    out_dir=None,
    save_models="best",
    cache_dir=None,
    stream=None,
    verbose=1,
    out_name="out_dir",
):
    """Train every model on the same split and compare them honestly.

    The protocol is the report's: a 70/30 split of the pictures (stratified,
    seed 42, [`split_indices`][animecls.datasets.split_indices]), and the last
    20% of the training part kept for validation, as
    ``fit(validation_split=0.2)`` did. Every model trains on the same pictures
    and is tested on the same pictures, so the McNemar test between two of them
    is valid. Before any training, every class must have pictures in each of
    the three parts (to fit on, to validate with, to test with): a split that
    leaves a class out of one raises a ``ValueError`` naming the class and
    its counts.

    Parameters
    ----------
    data : None, path-like or Bunch, default=None
        None for the embedded default characters
        ([`make_characters`][animecls.datasets.make_characters]), a folder of
        class folders
        ([`load_image_folder`][animecls.datasets.load_image_folder]), or a
        Bunch with ``images``, ``target`` and ``class_names``.
    models : list, default=None
        What to train, in table order; every built-in model of
        [`animecls.registry.MODELS`][] when None. Each item is one of:

        - a built-in name ([`MODEL_NAMES`][animecls.comparison.MODEL_NAMES]);
        - a scikit-learn estimator whose ``fit`` and ``predict`` take an
          array of pictures ``(n_images, height, width, 3)`` of 0-255
          values (a ``Pipeline`` that starts with a feature extractor);
          it is cloned, fitted on the training pictures, and its row
          counts the coefficients it learned;
        - a function ``build(input_shape, num_classes)`` returning an
          uncompiled Keras model that takes 0-255 pictures and ends in a
          softmax over ``num_classes``; it is trained with the report's
          from-scratch recipe ([`fit_model`][animecls.training.fit_model],
          ``recipe="two_layer_cnn"``, with ``epochs``);
        - a function of no arguments that returns such an estimator (as
          ``animecls compare --model module:function`` may name one);
        - a ``(name, model)`` pair, to name the row (not a built-in name).

        Your own models get rows, intervals, McNemar tests and figures like
        the built-in ones.
    image_size : int or tuple of int, default=None
        Size the pictures are loaded or drawn at. None means 250x250 (the
        report's CNN input), 64x64 with ``quick=True``, or the size of the
        pictures in a Bunch.
    epochs : int, default=None
        Epochs for every network. None keeps the report's recipes (15 for the
        CNN, 10 for VGG16), or 5 with ``quick=True``.
    weights : "auto", "imagenet", None or path-like, default="auto"
        VGG16 weights. ``"auto"`` uses ImageNet when the file is cached or can
        be downloaded, and otherwise random weights with an
        [`ImageNetFallbackWarning`][animecls.comparison.ImageNetFallbackWarning];
        the choice is recorded in every row. ``"imagenet"`` raises
        [`WeightsUnavailableError`][animecls.models.WeightsUnavailableError]
        when offline.
    drawn_weights : "drawn", None or path-like, default="drawn"
        Weights of the drawn backbone (``drawn_transfer``, ``drawn_svm``):
        the ones pretrained by animecls and shipped with it, None for random
        weights (the same network without pretraining: what pretraining
        buys), or a ``.weights.h5`` file from ``animecls pretrain``.
    quick : bool, default=False
        64x64 pictures and 5 epochs, the one quick preset of every entry
        point: the whole comparison in about half a minute on two CPU cores,
        for trying things out.
    test_size : float or int, default=0.3
        Fraction (or number) of the pictures kept for testing.
    validation_split : float, default=0.2
        Fraction of the training part kept for validation (its last rows).
    random_state : int, default=42
        Seed of the split and of every model; it also seeds random VGG16
        weights.
    out_dir : path-like, default=None
        Write a run folder here: ``results.csv``, ``results.md``,
        ``histories.json``, ``run.json``, ``figures/*.png``, and the models
        ``save_models`` chooses in ``models/``.
        Before any training the run claims ``<out_dir>.incomplete`` (so
        ``out_dir`` must not exist, and its name must be one that can be
        created); the files are written there once training is over, and
        the folder is renamed to ``out_dir`` when all are written, so every
        file in it comes from this run. Another run with the same
        ``out_dir`` fails at once and touches nothing of this one's; an
        interrupted run leaves no folder that looks complete, and a rerun
        with the same ``out_dir`` replaces what it left. If ``out_dir``
        appears during the run, the finished results go to
        ``<out_dir>.recovered-<token>`` and a ``FileExistsError`` says so.
    save_models : {"best", "all", "none"} or bool, default="best"
        Which trained models to save in ``out_dir/models`` (``.keras`` for
        networks, ``.skops`` for SVM pipelines), ready for ``animecls
        predict``: ``"best"`` the one of highest validation accuracy (ties
        go to the first in table order; never chosen by test accuracy,
        which would tune the choice to the test pictures), ``"all"`` every
        one (``True``, as before), ``"none"`` none (``False``). Networks are
        saved without optimizer state
        ([`save_model`][animecls.models.save_model]): at the report's
        settings the CNN still takes about 240 MiB, its 63 million weights
        at 4 bytes apiece. ``results.md``, ``run.json`` (``saved_models``:
        file and bytes of each) and the last progress line say what was
        saved. An estimator of your own that cannot be saved without pickle
        is left out, with a line saying so.
    cache_dir : path-like, default=None
        Keep VGG16 features on disk so a second run skips the extraction;
        it must not be ``out_dir`` or inside it.
    stream : bool or None, default=None
        Read the pictures of a folder from disk a batch at a time instead
        of holding them in memory: they are decoded once into a file
        ([`open_image_folder`][animecls.datasets.open_image_folder]), the
        networks train on batches read from it, and the SVMs on features
        computed batch by batch, so memory holds the features and a few
        batches, whatever the number of pictures. None streams folders of
        more than [`STREAM_ABOVE`][animecls.datasets.STREAM_ABOVE]
        pictures; a Bunch whose ``images`` is a ``PictureFile`` always
        streams. A scikit-learn estimator of your own still gets its
        training pictures in one array.
    verbose : int, default=1
        0 is silent; 1 prints progress to standard error.
    out_name : str, default="out_dir"
        How error messages name ``out_dir`` (the command line passes
        ``"--out"``, and its messages then speak of ``--out`` and
        ``--cache-dir``), as [`results_folder`][animecls.experiments.results_folder]'s
        ``name``.

    Returns
    -------
    result : Bunch
        ``table`` (list of dicts, one per model, with the columns of
        ``COLUMNS``; see
        [`results_markdown`][animecls.comparison.results_markdown]),
        ``markdown`` (the table as text), ``histories``, ``evaluations``
        ([`evaluate`][animecls.evaluation.evaluate] results), ``models`` (the
        trained models), ``split`` (sizes and settings), ``class_names``,
        ``run_dir``, ``figures`` and ``saved_models`` (paths, by model name;
        when ``out_dir`` is given).

    Examples
    --------
    >>> from animecls.comparison import compare_models
    >>> result = compare_models(quick=True)  # doctest: +SKIP
    >>> print(result.markdown)  # doctest: +SKIP

    Beat the baseline with a model of your own:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> flat = FunctionTransformer(lambda x: x.reshape(len(x), -1) / 255)
    >>> mine = make_pipeline(flat, LogisticRegression(max_iter=500))
    >>> result = compare_models(quick=True, models=["pixels_svm", ("mine", mine)],
    ...                         verbose=0)  # doctest: +SKIP
    """
    option = out_name
    advice = (
        "another --out, or leave it out for a new time-stamped folder under runs/"
        if out_name == "--out"
        else None
    )
    entries = resolve_models(models)
    stream = check_stream(stream)
    save_models = _check_save_models(save_models)
    random_state = check_seed(random_state)
    validation_split = check_fraction(validation_split, "validation_split")
    test_size = check_test_size(test_size)
    needs_vgg16 = any(spec.vgg16_features for spec, _ in entries)
    size = resolve_image_size(
        data, image_size, quick, default=FULL_IMAGE_SIZE, needs_vgg16=needs_vgg16
    )
    # Checked before any training, and even when no model uses it (as the
    # experiments do): a mistyped file fails now, not in the run that needs it.
    drawn_weights = check_drawn_weights(drawn_weights)
    if epochs is None and quick:
        epochs = QUICK["epochs"]
    if epochs is not None:
        epochs = check_count(epochs, "epochs")
    # Claimed before any training: a run that cannot be written, or whose
    # folder another run holds, fails now; the folder is this run's alone.
    folder = None
    if out_dir is not None:
        check_apart(
            out_dir,
            cache_dir,
            "cache_dir" if option.isidentifier() else "--cache-dir",
            option=option,
        )
        # models/ is made only when a model is saved into it.
        folder = RunFolder(
            out_dir, subfolders=("figures",), option=option, advice=advice
        )
        folder.claim()
    try:
        return _compare(
            folder,
            data,
            entries,
            size,
            epochs,
            weights,
            drawn_weights,
            quick,
            test_size,
            validation_split,
            random_state,
            needs_vgg16,
            save_models,
            cache_dir,
            stream,
            verbose,
        )
    except BaseException:
        # Before the results exist this removes the empty claimed folder;
        # after, it leaves what was written, marked incomplete, for a rerun.
        if folder is not None:
            folder.abandon()
        raise


def _compare(
    folder,
    data,
    entries,
    size,
    epochs,
    weights,
    drawn_weights,
    quick,
    test_size,
    validation_split,
    random_state,
    needs_vgg16,
    save_models,
    cache_dir,
    stream,
    verbose,
):
    bunch = load_data(data, size, verbose, stream=stream)
    # Every class in every part, checked before any training.
    split = split_parts(
        bunch["target"],
        list(bunch["class_names"]),
        test_size=test_size,
        validation_split=validation_split,
        random_state=random_state,
        verbose=verbose,
    )
    vgg16_weights, weights_label = (
        resolve_weights(weights, verbose, stacklevel=5) if needs_vgg16 else (None, "-")
    )
    space = Workspace(
        bunch,
        weights=vgg16_weights,
        weights_label=weights_label,
        seed=random_state,
        epochs=epochs,
        cache_dir=cache_dir,
        drawn_weights=drawn_weights,
    )
    log(
        verbose,
        f"Split: {len(split.train)} training, {len(split.validation)} validation, "
        f"{len(split.test)} test pictures at {size[0]}x{size[1]}.",
    )

    outcomes = {}
    for step, entry in enumerate(entries, start=1):
        spec = entry[0]
        log(verbose, f"[{step}/{len(entries)}] {spec.name}: {spec.description}")
        if spec.backbone and spec.backbone not in space.feature_times:
            space.features(spec.backbone)
            log(
                verbose,
                f"    {_BACKBONES[spec.backbone]} features of all "
                f"{len(space.target)} pictures in "
                f"{space.feature_times[spec.backbone]:.1f} s, shared by every "
                "model that reads them",
            )
        outcome = fit_and_score(
            entry,
            space,
            split.train,
            split.test,
            split.validation,
            seed=random_state,
            verbose=2 if verbose else 0,
        )
        outcome.row["mcnemar_p_vs_best"] = None
        outcomes[spec.name] = outcome
        evaluation = outcome.evaluation
        log(
            verbose,
            f"    test accuracy {evaluation.accuracy:.3f} "
            f"(95% CI {evaluation.accuracy_interval[0]:.2f}-"
            f"{evaluation.accuracy_interval[1]:.2f}), "
            f"fit {outcome.row['fit_time_s']:.1f} s",
        )

    y_test = space.target[split.test]
    best = max(outcomes, key=lambda n: outcomes[n].evaluation.accuracy)
    for name, outcome in outcomes.items():
        if name != best:
            outcome.row["mcnemar_p_vs_best"] = mcnemar_test(
                y_test,
                outcomes[best].evaluation.y_pred,
                outcome.evaluation.y_pred,
            ).pvalue
    table = [outcome.row for outcome in outcomes.values()]
    n_images = len(space.target)
    meta = {
        "data": describe_data(data),
        "n_fit": len(split.train),
        "n_val": len(split.validation),
        "n_test": len(split.test),
        "n_classes": space.n_classes,
        "image_size": size,
        "test_size": test_size,
        "test_fraction": len(split.test) / n_images,
        "random_state": int(random_state),
        "validation_fraction": len(split.validation)
        / (len(split.train) + len(split.validation)),
        "epochs": "recipe" if epochs is None else epochs,
        "quick": bool(quick),
        # Pictures read from disk a batch at a time (see stream=).
        "streamed": space.streaming,
        "weights": weights_label,
        "feature_times_s": {k: round(v, 3) for k, v in space.feature_times.items()},
        "drawn_weights": space.drawn_label,
        "models": {n: o.spec.description for n, o in outcomes.items()},
        # Classes the unstratified validation part holds no picture of.
        "validation_missing": list(split.validation_missing),
    }
    result = Bunch(
        table=table,
        markdown=results_markdown(table),
        histories={n: o.history for n, o in outcomes.items()},
        evaluations={n: o.evaluation for n, o in outcomes.items()},
        models={n: o.model for n, o in outcomes.items()},
        split=meta,
        class_names=list(space.class_names),
        run_dir=None,
        figures={},
        saved_models={},
    )
    if folder is not None:
        # Training is over; results exist under the final name only once every
        # file is written, so an interrupted run never looks finished.
        run_dir = folder.start()
        saved = _write_run(run_dir, space, outcomes, table, meta, save_models, verbose)
        figures = _save_figures(run_dir, space, split, outcomes, table)
        final = folder.finish()
        result.figures = {k: str(folder.final_path(v)) for k, v in figures.items()}
        result.saved_models = {
            name: str(final / record["file"]) for name, record in saved.items()
        }
        result.run_dir = str(final)
        log(
            verbose,
            f"Wrote {final}/ (results.md, results.csv, run.json, histories.json, "
            f"figures/{_saved_summary(saved, save_models)}).",
        )
    return result


# What save_models may be; True and False stand for "all" and "none".
_SAVE_MODELS = ("best", "all", "none")


def _check_save_models(value):
    """Return ``save_models`` as one of ``_SAVE_MODELS``."""
    if isinstance(value, bool):
        return "all" if value else "none"
    if isinstance(value, str) and value in _SAVE_MODELS:
        return value
    raise ValueError(
        "save_models must be 'best', 'all', 'none', True (all) or False (none). "
        f"Received: save_models={value!r}"
    )


def _best_by_validation(table):
    """Name the row of highest validation accuracy, the first of a tie.

    Never the highest test accuracy: choosing by it would fit the choice to
    the test pictures, and the saved model's test score would be optimistic.
    A row without a validation score (None, NaN) is never chosen over one
    with.
    """

    def score(row):
        value = row["val_accuracy"]
        return -math.inf if value is None or math.isnan(value) else value

    return max(table, key=score)["model"]


def _size(n_bytes):
    """Return a file size for people: ``116.0 KiB``, ``240.3 MiB``."""
    for unit in ("B", "KiB", "MiB"):
        if n_bytes < 1024 or unit == "MiB":
            break
        n_bytes /= 1024
    return f"{n_bytes:.0f} B" if unit == "B" else f"{n_bytes:.1f} {unit}"


def _saved_summary(saved, save_models):
    """Return the progress line's account of ``models/``, ``""`` if nothing saved."""
    if not saved:
        return ""
    total = _size(sum(record["bytes"] for record in saved.values()))
    if save_models == "best":
        (record,) = saved.values()
        return f", {record['file']}: {total}, the best by validation accuracy"
    plural = "s" if len(saved) > 1 else ""
    return f", models/ ({len(saved)} model{plural}, {total})"


def _saved_markdown(saved, save_models, table, not_saved):
    """Return the paragraph of ``results.md`` on the saved models, or ``""``."""
    if not saved and not not_saved:
        return ""
    lines = []
    if saved and save_models == "best":
        ((name, record),) = saved.items()
        row = next(row for row in table if row["model"] == name)
        lines.append(
            f"Saved model, for `animecls predict`: `{record['file']}` "
            f"({_size(record['bytes'])}), {name}, the model of highest validation "
            f"accuracy ({row['val_accuracy']:.3f}; the first in the table on a "
            "tie; test accuracy plays no part in the choice). The other models "
            'were not saved (`save_models="best"`, `--save-models best`).'
        )
    elif saved:
        files = ", ".join(
            f"`{record['file']}` ({_size(record['bytes'])})"
            for record in saved.values()
        )
        total = _size(sum(record["bytes"] for record in saved.values()))
        lines.append(f"Saved models, for `animecls predict`: {files}; {total} in all.")
    if saved and any(record["file"].endswith(".keras") for record in saved.values()):
        lines.append(
            "Networks are saved without optimizer state: `load_model` compiles "
            "them again with a fresh optimizer."
        )
    for name, reason in not_saved.items():
        lines.append(f"{name} was not saved: {reason}")
    return "\n" + "\n\n".join(lines) + "\n"


def _write_run(run_dir, space, outcomes, table, meta, save_models, verbose):
    """Write the run's files but the figures; return the saved models' records.

    ``{name: record}``: a record holds the model file's path inside the run
    folder and its size in bytes, as ``run.json`` lists them under
    ``saved_models``.
    """
    from .models import save_model

    if save_models == "best":
        names = [_best_by_validation(table)]
    else:
        names = list(outcomes) if save_models == "all" else []
    saved, not_saved = {}, {}
    for name in names:
        outcome = outcomes[name]
        spec = outcome.spec
        (run_dir / "models").mkdir(exist_ok=True)
        file = f"models/{name}{spec.file_suffix}"
        try:
            save_model(
                outcome.model,
                run_dir / file,
                class_names=list(space.class_names),
                image_size=None if spec.kind == "keras" else space.input_shape[:2],
            )
        except TypeError as error:
            if spec.strategy != "custom_sklearn":
                raise
            # Only pipelines animecls can rebuild without pickle are saved.
            log(verbose, f"    {name} not saved: {error}")
            not_saved[name] = str(error)
            continue
        saved[name] = {"file": file, "bytes": (run_dir / file).stat().st_size}
    if not saved:
        # A best model that could not be saved leaves no empty models/.
        with contextlib.suppress(FileNotFoundError):
            (run_dir / "models").rmdir()
    _write_table(run_dir, table, meta)
    with open(run_dir / "results.md", "a", encoding="utf-8") as f:
        f.write(_saved_markdown(saved, save_models, table, not_saved))
    with open(run_dir / "histories.json", "w", encoding="utf-8") as f:
        json.dump(
            {n: o.history for n, o in outcomes.items() if o.history is not None},
            f,
            indent=1,
        )
    with open(run_dir / "run.json", "w", encoding="utf-8") as f:
        json.dump(
            dict(
                meta,
                image_size=list(meta["image_size"]),
                class_names=list(space.class_names),
                animecls=__version__,
                save_models=save_models,
                saved_models=saved,
                models_not_saved=not_saved,
            ),
            f,
            indent=1,
        )
    return saved
