"""The ``animecls`` command line.

Each sub-command is a thin layer over a public function, so everything the
command does can also be done from Python. Each command's parser is built by
an ``_add_<command>`` function written next to its handler ``_<command>``;
[`build_parser`][animecls.cli.build_parser] calls them in the order ``animecls
--help`` lists them.
"""

import argparse
import importlib
import inspect
import logging
import os
import re
import sys
import tempfile
import textwrap
import time
import warnings

from . import __version__
from ._weights import WeightsUnavailableError
from .registry import DEFAULT_MODELS, MODELS

__all__ = ["main"]


# ---------------------------------------------------------------- option types

#: The largest side ``--image-size`` takes, in pixels: four times the
#: report's 250, far past what a tiny data set can train; 185 pictures at
#: 1024x1024 already take 580 MB as bytes, and four times that as floats.
MAX_IMAGE_SIDE = 1024

#: The most pictures per character ``data make --n-per-class`` draws.
MAX_N_PER_CLASS = 10_000

#: The most memory, in bytes, the pictures ``data make`` draws may take
#: (pictures x height x width x 3 bytes), 4 GiB: they are all drawn in memory
#: before any is written.
MAX_SET_BYTES = 4 * 2**30


def _image_size(text):
    """Parse ``"64"`` or ``"64x48"`` (height x width) into a tuple."""
    parts = text.lower().replace(",", "x").split("x")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"image size must look like 64 or 64x48. Received: {text!r}"
        ) from None
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) <= 0:
        raise argparse.ArgumentTypeError(
            f"image size must look like 64 or 64x48. Received: {text!r}"
        )
    if max(size) > MAX_IMAGE_SIDE:
        # Refused before anything is allocated: a MemoryError (or swapping)
        # after minutes of loading helps nobody.
        raise argparse.ArgumentTypeError(
            f"image size must be at most {MAX_IMAGE_SIDE} pixels a side; "
            "pictures are resized to it, and larger ones only cost memory. "
            f"Received: {text!r}"
        )
    return size


def _n_per_class(text):
    """Parse ``--n-per-class``: a whole number up to ``MAX_N_PER_CLASS``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of pictures. Received: {text!r}"
        ) from None
    if value > MAX_N_PER_CLASS:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_N_PER_CLASS:,} pictures per character. Received: {text!r}"
        )
    return value


def _difficulty(text):
    """Keep named levels as text and turn ``"0.4"`` into a number."""
    try:
        return float(text)
    except ValueError:
        return text


def _names(text):
    """Parse ``"a,b"`` into ``["a", "b"]``; the functions check the names."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated names. Received: {text!r}"
        )
    return names


def _weights_argument(text):
    """``none`` means random weights; anything else is passed on as given."""
    return None if text.lower() == "none" else text


def _train_sizes(text):
    """Parse ``"5,10,all"`` into ``(5, 10, None)``: None is the whole training part."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            sizes.append(None)
            continue
        try:
            sizes.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(
                "sizes must be pictures per character, like 5,10,20,all. "
                f"Received: {text!r}"
            ) from None
    return tuple(sizes)


# ---------------------------------------------------------------- help texts


def _models_help(default):
    """Help of a ``--models`` option, with the built-in names from the registry."""
    return f"comma-separated subset of: {', '.join(MODELS)} (default: {default})"


def _models_list():
    """Return the built-in models, one indented line each: name, description."""
    width = max(len(name) for name in MODELS) + 2
    return "\n".join(
        f"  {spec.name:<{width}}{spec.description}" for spec in MODELS.values()
    )


class _ListFormatter(argparse.HelpFormatter):
    """argparse's layout, except that a paragraph with indented lines is kept.

    argparse would join the lines of a list into one paragraph, and
    ``RawDescriptionHelpFormatter`` would stop the prose around the list from
    wrapping to the terminal as every other help text does.
    """

    def _fill_text(self, text, width, indent):
        paragraphs = []
        for paragraph in text.split("\n\n"):
            if any(line.startswith(" ") for line in paragraph.splitlines()):
                paragraphs.append(textwrap.indent(paragraph, indent))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


# ---------------------------------------------------------------- data


def _add_data(commands):
    data = commands.add_parser(
        "data", help="make the embedded default data set or describe a folder"
    )
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION")
    data_commands.required = True
    _add_data_make(data_commands)
    _add_data_info(data_commands)


def _add_data_make(data_commands):
    make = data_commands.add_parser(
        "make",
        help="write the embedded default characters as one folder per character",
        description=(
            "Draw the embedded default data set (3 characters, 185 pictures, "
            "as in the report) and write it as DIRECTORY/<character>/<image>.png."
        ),
    )
    make.add_argument("directory", metavar="DIR", help="folder to write (created)")
    make.add_argument(
        "--n-per-class",
        type=_n_per_class,
        default=None,
        help="pictures per character, at most 10,000 (default: the report's 185 "
        "in all)",
    )
    make.add_argument(
        "--image-size",
        type=_image_size,
        default=(250, 250),
        help="picture size, 250 or HEIGHTxWIDTH (default: 250x250)",
    )
    make.add_argument(
        "--difficulty",
        type=_difficulty,
        default="default",
        help=(
            "how hard the task is: easy, default, hard, or a number from 0 to 1 "
            "(default: default)"
        ),
    )
    make.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    make.add_argument(
        "--overwrite",
        action="store_true",
        help="replace pictures of the same names in an existing DIR",
    )
    make.set_defaults(handler=_data_make)


# The embedded default set: its characters and pictures in all, as
# make_characters draws it (written out so the parser imports nothing heavy).
_DEFAULT_CHARACTERS, _DEFAULT_TOTAL = 3, 185


def _data_make(args):
    from ._folders import _save_image_folder, claim_new_folder

    height, width = args.image_size
    n_images = (
        _DEFAULT_TOTAL
        if args.n_per_class is None
        else _DEFAULT_CHARACTERS * max(args.n_per_class, 0)
    )
    needed = n_images * height * width * 3
    if needed > MAX_SET_BYTES:
        raise ValueError(
            f"{n_images:,} pictures at {height}x{width} would take "
            f"{needed / 2**30:.1f} GiB of memory while they are drawn, more than "
            f"the {MAX_SET_BYTES / 2**30:.0f} GiB data make allows; draw fewer "
            "or smaller pictures. Received: " + _size_options(args)
        )
    directory = os.fspath(args.directory)
    # A new folder is claimed before drawing: one that cannot be written, or
    # that another run is writing, fails now rather than after the drawing.
    # An existing one, even empty, is written into in place, as
    # save_image_folder does.
    folder = None
    if not os.path.lexists(directory):
        folder = claim_new_folder(directory, option="DIR")
    elif not os.path.isdir(directory):
        raise NotADirectoryError(
            f"{directory!r} is a file; pass a folder to write into. "
            f"Received: DIR {directory}"
        )
    try:
        from .datasets import make_characters

        bunch = make_characters(
            n_per_class=args.n_per_class,
            image_size=args.image_size,
            difficulty=args.difficulty,
            random_state=args.seed,
        )
        _save_image_folder(bunch, directory, "png", args.overwrite, folder)
    except BaseException:
        if folder is not None:
            folder.abandon()
        raise
    counts = ", ".join(
        f"{name}: {int((bunch.target == i).sum())}"
        for i, name in enumerate(bunch.class_names)
    )
    print(f"Wrote {len(bunch.target)} images to {args.directory} ({counts}).")
    return 0


def _add_data_info(data_commands):
    info = data_commands.add_parser(
        "info",
        help="print class counts, image sizes and the files that would be skipped",
    )
    info.add_argument("directory", metavar="DIR", help="folder of class folders")
    info.set_defaults(handler=_data_info)


def _data_info(args):
    from .datasets import scan_image_folder

    scan = scan_image_folder(args.directory)
    print(scan.summary())
    return 0


# ---------------------------------------------------------------- weights


def _add_weights(commands):
    weights = commands.add_parser(
        "weights", help="install the VGG16 ImageNet weights without internet"
    )
    weights_commands = weights.add_subparsers(dest="weights_command", metavar="ACTION")
    weights_commands.required = True
    _add_weights_install(weights_commands)


def _add_weights_install(weights_commands):
    install = weights_commands.add_parser(
        "install",
        help="check a copied VGG16 weights file and put it in the Keras cache",
        description=(
            "Check FILE (vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5, "
            "copied from a machine that has it in ~/.keras/models) against "
            "Keras' published hash and place it in the Keras cache "
            "($KERAS_HOME/models or ~/.keras/models), so weights='imagenet' "
            "works offline."
        ),
    )
    install.add_argument("file", metavar="FILE", help="the copied weights file")
    install.add_argument(
        "--overwrite", action="store_true", help="replace a valid cached copy"
    )
    install.set_defaults(handler=_weights_install)


def _weights_install(args):
    from ._weights import install_weights

    destination = install_weights(args.file, overwrite=args.overwrite)
    print(f"Installed the VGG16 ImageNet weights at {destination}.")
    return 0


# ---------------------------------------------------------------- predict


def _add_predict(commands):
    predict = commands.add_parser(
        "predict",
        help="name the character in pictures with a saved model",
        description=(
            "Load MODEL (saved by animecls.models.save_model) and print the "
            "predicted character and the class probabilities of each picture."
        ),
    )
    predict.add_argument("model", metavar="MODEL", help=".keras or .skops model file")
    predict.add_argument(
        "images", metavar="IMAGE", nargs="+", help="picture files or folders"
    )
    predict.set_defaults(handler=_predict)


def _predict(args):
    from .models import get_info, load_model, predict

    model = load_model(args.model)
    print(f"Model: {args.model} ({_model_label(get_info(model))})")
    result = predict(model, args.images)
    for index, label in enumerate(result.labels):
        line = f"{result.filenames[index]}: {label}"
        if result.probabilities is not None:
            row = result.probabilities[index]
            order = row.argsort()[::-1]
            line += f" ({row[order[0]]:.3f}"
            others = ", ".join(
                f"{result.class_names[i]} {row[i]:.3f}" for i in order[1:]
            )
            line += f"; {others})" if others else ")"
        print(line)
    return 0


def _model_label(info):
    """Say what built a loaded model and from which VGG16 weights (predict, check).

    ``info`` is [`animecls.models.get_info`][] of the model, which has the
    same layout for a network and a pipeline.
    """
    pipeline = info.get("saved", {}).get("kind") == "sklearn"
    built = info.get("builder") or ("sklearn pipeline" if pipeline else "a Keras model")
    # A pipeline records weights only when it has a VGG16 embedder to use them.
    if pipeline and "weights" not in info:
        weights = "n/a"
    else:
        weights = _weights_label(info.get("weights"))
    return f"{built}; weights: {weights}"


def _weights_label(weights):
    """One phrase for a recorded weights entry: which weights, and their hash."""
    if not weights:
        return "not recorded"
    label = weights.get("weights", "not recorded")
    if "sha256" in weights:
        label += f" (sha256 {weights['sha256'][:12]})"
    return label


# ---------------------------------------------------------------- compare

_CUSTOM_MODEL_FORM = "package.module:function"


def _add_pretrain(commands):
    pretrain = commands.add_parser(
        "pretrain",
        help="pretrain the drawn backbone on identities animecls draws",
        description=(
            "Draw hundreds of random characters (none close to the default "
            "set's three), train the drawn backbone to tell them apart with "
            "augmentation, and write its weights (a .weights.h5 file) and a "
            "record of how they were made (the same name, .json). With no "
            "options it remakes the weights animecls ships (weights='drawn'); "
            "use the file with --drawn-weights or weights=FILE. Deterministic "
            "for a seed; --backup-dir resumes an interrupted run."
        ),
    )
    pretrain.add_argument(
        "--out",
        metavar="FILE",
        required=True,
        help="weights file to write (.weights.h5)",
    )
    for flag, help_text in (
        ("--identities", "random identities to draw (default: 300)"),
        ("--per-identity", "pictures of each, 64x64 (default: 24)"),
        ("--epochs", "training epochs (default: 40)"),
        ("--seed", "seed of the designs, pictures and training (default: 0)"),
    ):
        pretrain.add_argument(flag, type=int, default=None, help=help_text)
    pretrain.add_argument(
        "--backup-dir",
        default=None,
        help="keep a backup after every epoch here; rerun to resume",
    )
    pretrain.add_argument(
        "--overwrite", action="store_true", help="replace an existing FILE"
    )
    pretrain.set_defaults(handler=_pretrain)


def _pretrain(args):
    if os.path.exists(args.out) and not args.overwrite:
        raise FileExistsError(
            f"{args.out!r} already exists; pass --overwrite to replace it. "
            f"Received: --out {args.out}"
        )
    from .pretraining import pretrain_backbone

    given = {
        "n_identities": args.identities,
        "n_per_identity": args.per_identity,
        "epochs": args.epochs,
        "random_state": args.seed,
    }
    result = pretrain_backbone(
        args.out,
        backup_dir=args.backup_dir,
        verbose=1,
        **{k: v for k, v in given.items() if v is not None},
    )
    record = result.record
    print(
        f"Wrote {result.path}: pretraining accuracy "
        f"{record['pretraining_val_accuracy']:.3f} on "
        f"{record['n_pictures']['validation']} held-out pictures of "
        f"{record['settings']['n_identities']} identities (chance "
        f"{record['chance']:.3f}), {record['training_time_s']:.0f} s of training. "
        "Its record is beside it (.json)."
    )
    return 0


def _add_compare(commands):
    compare = commands.add_parser(
        "compare",
        help="train every model on one split and compare them honestly",
        description=(
            "Reproduce the report's comparison: a 70/30 split (seed 42) with the "
            "last 20% of the training part for validation, and every built-in "
            "model below (and yours, with --model) trained and tested on the "
            "same pictures. Writes results.csv, results.md, figures and "
            "histories to a new run folder, and the trained model of highest "
            "validation accuracy."
        ),
        epilog=(
            f"built-in models (--models):\n{_models_list()}\n\n"
            f"Your own model (--model {_CUSTOM_MODEL_FORM}, repeatable): a "
            "scikit-learn estimator that fits (n, height, width, 3) uint8 "
            "pictures, or a function build(input_shape, num_classes) that returns "
            "an uncompiled Keras model; a class is instantiated with no "
            "arguments. The module "
            "is imported from the current folder first, then the installed "
            "packages, and its rows are named after the part after the colon."
        ),
        formatter_class=_ListFormatter,
    )
    compare.add_argument(
        "directory",
        metavar="DIR",
        nargs="?",
        default=None,
        help="folder of class folders (default: the embedded default characters)",
    )
    compare.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        help="picture size, 250 or HEIGHTxWIDTH (default: 250, or 64 with --quick)",
    )
    compare.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs for every network (default: the report's 15, and 10 for "
        "VGG16; 5 with --quick)",
    )
    compare.add_argument(
        "--weights",
        type=_weights_argument,
        default="auto",
        help="VGG16 weights: imagenet, none, a file, or auto (default: auto = "
        "imagenet when available, else none with a warning)",
    )
    _add_drawn_weights_option(compare)
    compare.add_argument(
        "--models",
        type=_names,
        default=None,
        help=_models_help(
            "all" if DEFAULT_MODELS == tuple(MODELS) else ",".join(DEFAULT_MODELS)
        ),
    )
    compare.add_argument(
        "--model",
        dest="custom_models",
        metavar="MODULE:FUNCTION",
        action="append",
        default=None,
        help=f"also compare your own model, as {_CUSTOM_MODEL_FORM}: a "
        "scikit-learn estimator or a Keras builder (repeatable; see below)",
    )
    compare.add_argument(
        "--out",
        metavar="RUN_DIR",
        default=None,
        help="new folder for the results (default: runs/compare-<date>-<time>)",
    )
    compare.add_argument(
        "--quick",
        action="store_true",
        help="64x64 pictures and 5 epochs: the whole comparison in about half a minute",
    )
    saving = compare.add_mutually_exclusive_group()
    saving.add_argument(
        "--save-models",
        choices=("best", "all", "none"),
        default="best",
        help="trained models to save in RUN_DIR/models, without optimizer state: "
        "best (the one of highest validation accuracy, never chosen by test "
        "accuracy), all, or none (default: best)",
    )
    saving.add_argument(
        "--no-save-models",
        dest="save_models",
        action="store_const",
        const="none",
        help="the same as --save-models none",
    )
    compare.add_argument(
        "--cache-dir",
        default=None,
        help="keep VGG16 features here so a rerun skips the extraction",
    )
    compare.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read the pictures from disk a batch at a time instead of holding "
        "them in memory (default: for folders of more than "
        f"{_stream_above()} pictures)",
    )
    compare.add_argument(
        "--seed", type=int, default=42, help="random seed (default: 42)"
    )
    compare.set_defaults(handler=_compare)


def _stream_above():
    from .datasets import STREAM_ABOVE

    return f"{STREAM_ABOVE:,}"


def _compare(args):
    # Every --model is imported before the comparison loads a picture, so a
    # mistyped one fails in a second, not after an hour of training.
    custom = [_custom_model(spec) for spec in args.custom_models or ()]
    from .comparison import compare_models

    out = args.out or os.path.join("runs", time.strftime("compare-%Y%m%d-%H%M%S"))
    result = compare_models(
        args.directory,
        models=[*(args.models or DEFAULT_MODELS), *custom],
        image_size=args.image_size,
        epochs=args.epochs,
        weights=args.weights,
        drawn_weights=args.drawn_weights,
        quick=args.quick,
        random_state=args.seed,
        out_dir=out,
        save_models=args.save_models,
        cache_dir=args.cache_dir,
        stream=args.stream,
        verbose=1,
        out_name="--out",
    )
    print()
    print(result.markdown)
    saved = list(result.saved_models)
    if not saved:
        what = "Results, figures and histories"
    elif args.save_models == "best":
        what = f"Results, figures, histories and the best model ({saved[0]})"
    else:
        what = f"Results, figures, histories and models ({', '.join(saved)})"
    print(f"{what}: {result.run_dir}")
    return 0


def _custom_model(spec):
    """Return ``(name, model)`` for a ``--model package.module:function``.

    A class is instantiated with no arguments; anything else (a builder
    function, an estimator) is passed on for compare_models to check.
    """
    module_name, colon, name = spec.partition(":")
    parts = module_name.split(".")
    if not colon or not name.isidentifier() or not all(p.isidentifier() for p in parts):
        # --model used to abbreviate --models: say which one a name needs.
        hint = f"; for a built-in model, use --models {spec}" if spec in MODELS else ""
        raise ValueError(
            f"--model expects {_CUSTOM_MODEL_FORM}, such as mymodels:build{hint}. "
            f"Received: {spec!r}"
        )
    # As python -m does, so that a module in the folder the command runs from
    # is found; restored so that it does not shadow an installed package later.
    saved_path = sys.path[:]
    sys.path.insert(0, os.getcwd())
    try:
        importlib.invalidate_caches()
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is None or not (
            module_name == error.name or module_name.startswith(error.name + ".")
        ):
            # The module exists but imports something that is not installed.
            raise ValueError(
                f"--model could not import {module_name}: {error}. Received: {spec!r}"
            ) from error
        hint = ""
        if len(parts) > 1 and parts[-1] == "py":
            hint = f" (name the module, not its file: {'.'.join(parts[:-1])})"
        raise ValueError(
            f"--model expects {_CUSTOM_MODEL_FORM}; there is no module "
            f"{module_name!r} in the current folder or the installed packages"
            f"{hint}. Received: {spec!r}"
        ) from None
    finally:
        sys.path[:] = saved_path
    if not hasattr(module, name):
        raise ValueError(
            f"--model expects {_CUSTOM_MODEL_FORM}; module {module_name!r} has "
            f"no attribute {name!r}. Received: {spec!r}"
        )
    model = getattr(module, name)
    return name, model() if inspect.isclass(model) else model


# ---------------------------------------------------------------- experiments

# What --models holds for a command whose function chooses its own models.
_NO_MODELS = object()


def _add_drawn_weights_option(parser):
    parser.add_argument(
        "--drawn-weights",
        type=_weights_argument,
        default="drawn",
        help="weights of the drawn backbone: drawn (pretrained by animecls, "
        "shipped), none (random: what pretraining buys), or a .weights.h5 file "
        "from animecls pretrain (default: drawn)",
    )


def _add_experiment_options(
    parser,
    *,
    data=True,
    seeds=3,
    models="all",
    epochs="epochs for the networks (default: the report's recipes, fewer with "
    "--quick)",
):
    """Add the options the four experiment commands share.

    ``seeds`` is the default of ``--seeds`` (the function's ``n_seeds``),
    or None for a command without it. ``models`` is the help text's default:
    ``"all"`` (the function's None), a comma-separated list (passed as the
    default), or None for a command that chooses its models itself and has no
    ``--models``. ``epochs`` is the help of ``--epochs``.
    """
    if data:
        parser.add_argument(
            "directory",
            metavar="DIR",
            nargs="?",
            default=None,
            help="folder of class folders (default: the embedded default characters)",
        )
    if seeds is not None:
        parser.add_argument(
            "--seeds",
            type=int,
            default=seeds,
            help=f"repetitions with different splits and seeds (default: {seeds})",
        )
    if models is None:
        parser.set_defaults(models=_NO_MODELS)
    else:
        parser.add_argument(
            "--models",
            type=_names,
            default=None if models == "all" else _names(models),
            help=_models_help(models),
        )
    parser.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        help="picture size, 96 or HEIGHTxWIDTH (default: 96, smaller with --quick)",
    )
    parser.add_argument("--epochs", type=int, default=None, help=epochs)
    parser.add_argument(
        "--test-size",
        type=float,
        default=0.3,
        help="fraction of the pictures kept for testing (default: 0.3)",
    )
    parser.add_argument(
        "--weights",
        type=_weights_argument,
        default="auto",
        help="VGG16 weights: imagenet, none, a file, or auto (default: auto = "
        "imagenet when available, else none with a warning)",
    )
    _add_drawn_weights_option(parser)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="64x64 pictures and 5 epochs: checks that everything runs, in minutes",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="new folder for runs.csv, summary.md, figure.png and settings.json "
        "(default: print the summary only)",
    )
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="keep VGG16 features here so a rerun skips the extraction",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="first random seed (default: 0)"
    )


def _experiment_options(args):
    """Return the keyword options every experiment function takes, from the flags."""
    options = {} if args.models is _NO_MODELS else {"models": args.models}
    return options | {
        "image_size": args.image_size,
        "epochs": args.epochs,
        "weights": args.weights,
        "drawn_weights": args.drawn_weights,
        "quick": args.quick,
        "cache_dir": args.cache_dir,
        "random_state": args.seed,
        "verbose": 1,
    }


def _run_experiment(args, run):
    """Claim ``--out``, run the experiment, print its summary and save it.

    ``--out`` is claimed before ``run()`` trains anything
    ([`results_folder`][animecls.experiments.results_folder]): a folder that
    cannot be written, or that another run holds, fails in a second, not
    after the experiment.
    """
    import contextlib

    from .experiments import results_folder, summary_markdown

    with (
        results_folder(args.out, cache_dir=args.cache_dir, name="--out")
        if args.out
        else contextlib.nullcontext()
    ) as save:
        result = run()
        print()
        print(summary_markdown(result))
        if save is not None:
            path = save(result)
            print(f"Runs, summary, figure and settings: {path}")
    return 0


def _add_learning_curve(commands):
    curve = commands.add_parser(
        "learning-curve",
        help="test accuracy as the training pictures per character grow",
        description=(
            "Train every model on 5, 10, 20, 40 and all training pictures per "
            "character, over several seeds, and print the mean test accuracy "
            "with its 95% interval: where VGG16 features with an SVM beat a "
            "network trained from scratch, and how far more pictures would help."
        ),
    )
    _add_experiment_options(curve)
    curve.add_argument(
        "--sizes",
        type=_train_sizes,
        default=(5, 10, 20, 40, None),
        help="training pictures per character, 'all' for the whole training "
        "part (default: 5,10,20,40,all)",
    )
    curve.set_defaults(handler=_learning_curve)


def _learning_curve(args):
    from .experiments import learning_curve

    return _run_experiment(
        args,
        lambda: learning_curve(
            args.directory,
            train_sizes=args.sizes,
            n_seeds=args.seeds,
            test_size=args.test_size,
            **_experiment_options(args),
        ),
    )


def _add_splits(commands):
    splits = commands.add_parser(
        "splits",
        help="rerun the report's single 70/30 split over many seeds",
        description=(
            "Repeat the comparison over several random 70/30 splits and print "
            "each model's mean test accuracy, its spread and its 95% interval: "
            "how much one split's number can move on a tiny test set."
        ),
    )
    _add_experiment_options(splits, seeds=None)
    splits.add_argument(
        "--splits",
        type=int,
        default=10,
        help="number of random splits (default: 10)",
    )
    splits.set_defaults(handler=_splits)


def _splits(args):
    from .experiments import repeated_splits

    return _run_experiment(
        args,
        lambda: repeated_splits(
            args.directory,
            n_splits=args.splits,
            test_size=args.test_size,
            **_experiment_options(args),
        ),
    )


def _add_remedies(commands):
    remedies = commands.add_parser(
        "remedies",
        help="the report's CNN with one remedy at a time, against overfitting",
        description=(
            "Train the report's CNN as it is and with one remedy at a time "
            "(augmentation, no dropout, the report's fixed epochs, L2, global "
            "pooling, a small head, transfer learning) on the same repeated "
            "splits, each stopped on its validation loss, and print each "
            "remedy's test accuracy, its paired difference to the baseline "
            "with its 95% interval, and the generalisation gap."
        ),
    )
    # Each remedy names the model it changes: no --models. measure_remedies'
    # defaults, written out: reading them would import animecls.experiments,
    # and with it scikit-learn, for every command.
    _add_experiment_options(
        remedies,
        seeds=5,
        models=None,
        epochs="the most epochs of each training phase, which early stopping "
        "usually ends sooner; fixed_epochs trains exactly this many (default: "
        "100, and the recipe's for fixed_epochs; 5 with --quick)",
    )
    remedies.add_argument(
        "--remedies",
        type=_names,
        default=None,
        help="comma-separated subset of: none, augmentation, no_dropout, "
        "fixed_epochs, l2, global_pooling, small_head, transfer_frozen, "
        "transfer_finetune, drawn_frozen, drawn_finetune (default: all)",
    )
    remedies.add_argument(
        "--patience",
        type=int,
        default=20,
        help="epochs without a new lowest validation loss before a run stops "
        "(default: 20)",
    )
    remedies.set_defaults(handler=_remedies)


def _remedies(args):
    from .experiments import measure_remedies

    return _run_experiment(
        args,
        lambda: measure_remedies(
            args.directory,
            remedies=args.remedies,
            n_seeds=args.seeds,
            test_size=args.test_size,
            patience=args.patience,
            **_experiment_options(args),
        ),
    )


def _add_shortcut(commands):
    shortcut = commands.add_parser(
        "shortcut",
        help="a nuisance that gives the character away in training only",
        description=(
            "Draw characters whose background colour or watermark matches the "
            "character in the training part but not in the test part, train "
            "on them, and print how far test accuracy falls, with and without "
            "remedies."
        ),
    )
    # shortcut_experiment's own default, written out: reading it would import
    # animecls.experiments, and with it scikit-learn, for every command.
    _add_experiment_options(
        shortcut, data=False, models="two_layer_cnn,color_histogram_svm"
    )
    shortcut.add_argument(
        "--nuisance",
        choices=("background", "watermark"),
        default="background",
        help="what gives the character away in training (default: background)",
    )
    shortcut.add_argument(
        "--remedies",
        type=_names,
        default=None,
        help="comma-separated subset of: augmentation, weaker_correlation, "
        "background_replacement (default: those that apply)",
    )
    shortcut.set_defaults(handler=_shortcut)


def _shortcut(args):
    from .experiments import shortcut_experiment

    return _run_experiment(
        args,
        lambda: shortcut_experiment(
            nuisance=args.nuisance,
            remedies=args.remedies,
            n_seeds=args.seeds,
            test_size=args.test_size,
            **_experiment_options(args),
        ),
    )


# ---------------------------------------------------------------- leakage


def _add_leakage(commands):
    leakage = commands.add_parser(
        "leakage",
        help="find copies of the same picture in a folder",
        description=(
            "Find pairs of pictures in DIR that are copies of each other "
            "(the same file twice, re-encoded, resized or slightly cropped) "
            "with perceptual hashes, and print them. A random train/test split "
            "can put one copy on each side, and the test accuracy then partly "
            "measures memory. Exits with status 1 when it finds a pair, 0 when "
            "it finds none."
        ),
    )
    leakage.add_argument("directory", metavar="DIR", help="folder of class folders")
    leakage.add_argument(
        "--threshold",
        type=int,
        default=None,
        help="largest Hamming distance of 64 bits still called a copy "
        "(default: 6; 10 catches more crops, with a few false pairs)",
    )
    leakage.add_argument(
        "--flips",
        action="store_true",
        help="also find mirror-image copies",
    )
    leakage.add_argument(
        "--image-size",
        type=_image_size,
        default=(128, 128),
        help="size the pictures are loaded at before hashing (default: 128)",
    )
    leakage.add_argument(
        "--out",
        metavar="PNG",
        default=None,
        help="save the closest pairs side by side to this new picture file "
        "(.png, .jpg, .pdf or .svg; never an existing file, nor one in DIR)",
    )
    leakage.add_argument(
        "--max-pairs",
        type=int,
        default=8,
        help="pairs shown in --out (default: 8)",
    )
    leakage.set_defaults(handler=_leakage)


# The formats ``leakage --out`` writes, read from the extension by Matplotlib.
_FIGURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".pdf", ".svg"}


def _leakage(args):
    from ._files import check_new_file

    if args.out:
        # Before any picture is hashed, as every command checks its output:
        # an existing file is never overwritten (least of all one of DIR's
        # pictures), and a new one in DIR would join the pictures analysed.
        check_new_file(args.out, inside=args.directory, suffixes=_FIGURE_SUFFIXES)
    from .datasets import load_image_folder
    from .leakage import DEFAULT_THRESHOLD, find_duplicates

    data = load_image_folder(args.directory, image_size=args.image_size)
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    result = find_duplicates(data.images, threshold=threshold, flips=args.flips)
    pairs = result.pairs
    n_exact = int((pairs["kind"] == "exact").sum())
    print(
        f"{len(data.target)} pictures in {len(data.class_names)} classes, "
        f"compared at {args.image_size[0]}x{args.image_size[1]} with pHash "
        f"(threshold {result.threshold} of 64 bits"
        f"{', mirror images too' if args.flips else ''}): {len(pairs)} "
        f"{'pair' if len(pairs) == 1 else 'pairs'} of copies ({n_exact} exact, "
        f"{len(pairs) - n_exact} near)."
    )
    directory = os.fspath(args.directory)
    for row in pairs:
        i, j = int(row["i"]), int(row["j"])
        first, second = (os.path.relpath(data.filenames[k], directory) for k in (i, j))
        classes = "" if data.target[i] == data.target[j] else " (different classes)"
        print(f"{first} ~ {second}: {row['kind']}, distance {row['distance']}{classes}")
    if len(pairs):
        print(
            "A random split can put one copy in training and the other in the "
            "test part: split with animecls.leakage.leak_free_split, or remove "
            "the copies."
        )
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .leakage import plot_duplicate_pairs

        figure = plot_duplicate_pairs(
            data.images,
            result,
            max_pairs=args.max_pairs,
            target=data.target,
            class_names=data.class_names,
        )
        from ._files import atomic_write

        # Linked to its name only if nothing took the name meanwhile.
        with atomic_write(args.out, overwrite=False) as temporary:
            figure.savefig(temporary, dpi=100, bbox_inches="tight")
        plt.close(figure)
        print(f"Pairs shown in {args.out}")
    return 1 if len(pairs) else 0


# ---------------------------------------------------------------- check

# As in animecls.checks, which imports scikit-learn: too slow for every command.
_SEVERITIES = ("info", "warning", "error")


def _add_check(commands):
    check = commands.add_parser(
        "check",
        help="lint a saved model and its training folder for the report's mistakes",
        description=(
            "Load MODEL (saved by animecls.models.save_model) and the training "
            "part of DIR at the model's input size, run "
            "animecls.checks.check_model and print what it finds: an output "
            "activation that does not fit the loss, a VGG16 base without its "
            "preprocessing, a wrong number of outputs, an unrepresentative "
            "validation split, far more parameters than pictures. Exits with "
            "status 1 when it finds an error (see --fail-on), 0 otherwise."
        ),
    )
    check.add_argument("model", metavar="MODEL", help=".keras model file")
    check.add_argument("directory", metavar="DIR", help="folder of class folders")
    check.add_argument(
        "--validation-split",
        type=float,
        default=None,
        help="fraction of the training part Keras keeps for validation, 0 for "
        "none (default: the one the model was trained with, else 0.2)",
    )
    check.add_argument(
        "--test-size",
        type=float,
        default=0.3,
        help="fraction of DIR in the test part, left out (default: 0.3)",
    )
    check.add_argument(
        "--seed",
        type=int,
        default=42,
        help="seed of the train/test split (default: 42, the report's)",
    )
    check.add_argument(
        "--fail-on",
        choices=_SEVERITIES,
        default="error",
        help="exit with status 1 on findings this severe or worse (default: error)",
    )
    check.set_defaults(handler=_check)


def _check(args):
    import keras

    from .checks import check_model
    from .datasets import load_image_folder
    from .models import get_info, load_model

    model = load_model(args.model)
    if not isinstance(model, keras.Model):
        raise ValueError(
            "check reads Keras networks; an embedding/SVM pipeline has no layers "
            f"to check. Received: {args.model}"
        )
    info = get_info(model)
    validation = args.validation_split
    if validation is None:
        # What the model was trained with, else the report's recipes' 0.2.
        validation = info.get("training", {}).get("validation_split", 0.2)
    height, width = (int(d) for d in model.input_shape[1:3])
    data = load_image_folder(
        args.directory,
        image_size=(height, width),
        subset="train",
        test_size=args.test_size,
        random_state=args.seed,
    )
    print(f"Model: {args.model} ({_model_label(info)})")
    print(
        f"Data: the training part of {args.directory} ({len(data.target)} "
        f"pictures at {height}x{width}, {len(data.class_names)} classes; "
        f"test_size {args.test_size}, seed {args.seed}), validation_split "
        f"{validation:g}"
    )
    report = check_model(model, data, validation=validation or None)
    print(report)
    level = _SEVERITIES.index(args.fail_on)
    failing = [f for f in report if _SEVERITIES.index(f.severity) >= level]
    return 1 if failing else 0


# ---------------------------------------------------------------- the command


def build_parser():
    """Return the ``argparse`` parser of the ``animecls`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        The top parser; each sub-command's parser comes from its
        ``_add_<command>`` function, in the order the help lists them.
    """
    parser = argparse.ArgumentParser(
        prog="animecls",
        description=(
            "Image classification on tiny data sets: load a folder of pictures "
            "(one sub-folder per character), train the report's models, compare "
            "them and see why they overfit."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for add_command in (
        _add_data,
        _add_weights,
        _add_predict,
        _add_compare,
        _add_pretrain,
        _add_learning_curve,
        _add_splits,
        _add_remedies,
        _add_shortcut,
        _add_leakage,
        _add_check,
    ):
        add_command(commands)
    return parser


def main(argv=None):
    """Run the ``animecls`` command; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success, 1 when the input was rejected with an error message.
    """
    # TensorFlow reads it once, when it is imported; the user's own setting
    # wins. Level 3 also hides the C++ ERROR lines TensorFlow logs on a machine
    # without a GPU and under op determinism (tf.data's rewrite of parallel
    # maps): TensorFlow's real errors reach Python as exceptions instead.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if args.handler not in _WITHOUT_TENSORFLOW:
        _import_tensorflow_quietly()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.handler(args)
    except (OSError, ValueError, WeightsUnavailableError) as error:
        # A rejected input, a missing file or a full disk is the user's to
        # fix: say what, without a traceback.
        print(f"animecls: error: {error}", file=sys.stderr)
        return 1
    except MemoryError as error:
        # Sizes past the limits are refused up front; within them a machine
        # can still run short. Say what was asked for, not a traceback.
        print(_out_of_memory(error, args), file=sys.stderr)
        return 1
    except Exception as error:
        # TensorFlow's own out-of-memory error, named without importing it.
        if type(error).__name__ != "ResourceExhaustedError":
            raise
        print(_out_of_memory(error, args), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("animecls: interrupted", file=sys.stderr)
        return 130


#: The handlers that never import TensorFlow, spared its seconds of import
#: (tests/test_quiet_cli.py checks that they do not).
_WITHOUT_TENSORFLOW = frozenset({_data_make, _data_info, _leakage})

# A line of TensorFlow's C++ logging (absl's format, then TensorFlow's older
# one) and its severity letter: Info, Warning, Error, Fatal.
_LOG_LINE = re.compile(
    r"^(?:(?P<absl>[IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\]]*\] "
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: (?P<tf>[IWEF]) )"
)
_PYTHON_WARNING = re.compile(r"^\S.*:\d+: \w*Warning: ")
_ABSL_HEADER = "WARNING: All log messages before absl::InitializeLog() is called"


def _import_tensorflow_quietly():
    """Import TensorFlow with the start-up lines its log level hides dropped.

    ``import tensorflow`` logs (oneDNN, CUDA drivers) before absl's logging
    starts, where ``TF_CPP_MIN_LOG_LEVEL`` does not reach, straight to file
    descriptor 2. The import's output is caught there and written back
    without the lines below that level, so anything else (a failed import's
    message, a Python warning) still shows.
    """
    if "tensorflow" in sys.modules:
        return
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to keep quiet
        import tensorflow  # noqa: F401

        return
    with tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        os.dup2(caught.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            text = caught.read().decode(errors="replace")
            sys.stderr.write(_below_log_level_dropped(text, level))
            sys.stderr.flush()


def _below_log_level_dropped(text, level):
    """Return ``text`` without the C++ log lines below ``level`` (0-3)."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match:
            severity = match.group("absl") or match.group("tf")
            dropping = "IWEF".index(severity) < level
        elif line.startswith(_ABSL_HEADER):
            dropping = level >= 1
        elif _PYTHON_WARNING.match(line) or not line.strip():
            dropping = False
        # Any other line continues the record above it, as the second line of
        # the CPU-instructions notice does.
        if not dropping:
            kept.append(line)
    return "".join(kept)


def _size_options(args):
    """Return the options that set how much memory a command takes, as given."""
    shown = []
    size = getattr(args, "image_size", None)
    if size is not None:
        shown.append(f"--image-size {size[0]}x{size[1]}")
    for option in ("n_per_class", "identities", "per_identity"):
        value = getattr(args, option, None)
        if value is not None:
            shown.append(f"--{option.replace('_', '-')} {value}")
    if getattr(args, "quick", False):
        shown.append("--quick")
    return ", ".join(shown) or "the default sizes"


def _out_of_memory(error, args):
    detail = str(error).splitlines()[0][:300] if str(error) else ""
    detail = f" ({detail})" if detail else ""
    return (
        f"animecls: error: not enough memory for this {args.command} run"
        f"{detail}. Ask for smaller pictures (--image-size) or fewer of them. "
        f"Received: {_size_options(args)}"
    )


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print warnings as one plain line, without the source location."""
    print(f"animecls: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
