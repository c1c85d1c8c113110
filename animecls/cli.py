"""The ``animecls`` command line.

Each sub-command is a thin layer over a public function, so everything the
command does can also be done from Python.
"""

import argparse
import logging
import os
import sys
import time
import warnings

from . import __version__
from ._weights import WeightsUnavailableError

__all__ = ["main"]


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
    return size


def _difficulty(text):
    """Keep named levels as text and turn ``"0.4"`` into a number."""
    try:
        return float(text)
    except ValueError:
        return text


def _data_make(args):
    from .datasets import make_characters

    bunch = make_characters(
        n_per_class=args.n_per_class,
        image_size=args.image_size,
        difficulty=args.difficulty,
        random_state=args.seed,
        directory=args.directory,
    )
    counts = ", ".join(
        f"{name}: {int((bunch.target == i).sum())}"
        for i, name in enumerate(bunch.target_names)
    )
    print(f"Wrote {len(bunch.target)} images to {args.directory} ({counts}).")
    return 0


def _data_info(args):
    from .datasets import scan_image_folder

    scan = scan_image_folder(args.directory)
    print(scan.summary())
    return 0


def _weights_install(args):
    from ._weights import install_weights

    destination = install_weights(args.file, overwrite=args.overwrite)
    print(f"Installed the VGG16 ImageNet weights at {destination}.")
    return 0


def _weights_label(weights):
    if not weights:
        return "not recorded"
    label = weights.get("weights", "not recorded")
    if "sha256" in weights:
        label += f" (sha256 {weights['sha256'][:12]})"
    return label


def _predict(args):
    from .models import get_info, load_model, predict

    model = load_model(args.model)
    if hasattr(model, "animecls_info_"):
        saved = model.animecls_info_.get("saved", {})
        built = f"{saved.get('kind', 'pipeline')} pipeline"
        weights = "n/a"
    else:
        info = get_info(model)
        built = info.get("builder", "a Keras model")
        weights = _weights_label(info.get("weights"))
    print(f"Model: {args.model} ({built}; weights: {weights})")
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


def _weights_argument(text):
    """``none`` means random weights; anything else is passed on as given."""
    return None if text.lower() == "none" else text


def _compare(args):
    from .comparison import compare_models

    out = args.out or os.path.join("runs", time.strftime("compare-%Y%m%d-%H%M%S"))
    models = None
    if args.models:
        models = [name.strip() for name in args.models.split(",") if name.strip()]
    result = compare_models(
        args.directory,
        models=models,
        image_size=args.image_size,
        epochs=args.epochs,
        weights=args.weights,
        quick=args.quick,
        random_state=args.seed,
        out_dir=out,
        save_models=not args.no_save_models,
        cache_dir=args.cache_dir,
        verbose=1,
    )
    print()
    print(result.markdown)
    print(f"Results, figures, histories and models: {result.run_dir}")
    return 0


def build_parser():
    """Return the ``argparse`` parser of the ``animecls`` command."""
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

    data = commands.add_parser(
        "data", help="make the embedded default data set or describe a folder"
    )
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION")
    data_commands.required = True

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
        type=int,
        default=None,
        help="pictures per character (default: the report's 185 in all)",
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
    make.set_defaults(handler=_data_make)

    info = data_commands.add_parser(
        "info",
        help="print class counts, image sizes and the files that would be skipped",
    )
    info.add_argument("directory", metavar="DIR", help="folder of class folders")
    info.set_defaults(handler=_data_info)

    weights = commands.add_parser(
        "weights", help="install the VGG16 ImageNet weights without internet"
    )
    weights_commands = weights.add_subparsers(dest="weights_command", metavar="ACTION")
    weights_commands.required = True
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

    predict = commands.add_parser(
        "predict",
        help="name the character in pictures with a saved model",
        description=(
            "Load MODEL (saved by animecls.models.save_model) and print the "
            "predicted character and the class probabilities of each picture."
        ),
    )
    predict.add_argument("model", metavar="MODEL", help=".keras or .npz model file")
    predict.add_argument(
        "images", metavar="IMAGE", nargs="+", help="picture files or folders"
    )
    predict.set_defaults(handler=_predict)

    compare = commands.add_parser(
        "compare",
        help="train every model on one split and compare them honestly",
        description=(
            "Reproduce the report's comparison: a 70/30 split (seed 42) with the "
            "last 20%% of the training part for validation; the two-layer CNN, "
            "the VGG16 transfer model, VGG16 embeddings + SVM, and raw-pixel and "
            "colour-histogram SVMs, all on the same pictures. Writes "
            "results.csv, results.md, figures, histories and models to a new "
            "run folder."
        ),
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
        help="epochs for both networks (default: the report's 15 and 10, 5 with "
        "--quick)",
    )
    compare.add_argument(
        "--weights",
        type=_weights_argument,
        default="auto",
        help="VGG16 weights: imagenet, none, a file, or auto (default: auto = "
        "imagenet when available, else none with a warning)",
    )
    compare.add_argument(
        "--models",
        default=None,
        help="comma-separated subset of: two_layer_cnn, vgg16_transfer, "
        "vgg16_svm, pixels_svm, color_histogram_svm (default: all)",
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
        help="64x64 pictures and 5 epochs: the whole comparison in about a minute",
    )
    compare.add_argument(
        "--no-save-models",
        action="store_true",
        help="do not save the trained models (the report's CNN alone is ~720 MB)",
    )
    compare.add_argument(
        "--cache-dir",
        default=None,
        help="keep VGG16 features here so a rerun skips the extraction",
    )
    compare.add_argument(
        "--seed", type=int, default=42, help="random seed (default: 42)"
    )
    compare.set_defaults(handler=_compare)
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
    parser = build_parser()
    args = parser.parse_args(argv)
    # TensorFlow's C++ start-up chatter is noise on a command line.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.handler(args)
    except (
        FileExistsError,
        FileNotFoundError,
        NotADirectoryError,
        ValueError,
        WeightsUnavailableError,
    ) as error:
        # A rejected input is the user's to fix: say what, without a traceback.
        print(f"animecls: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("animecls: interrupted", file=sys.stderr)
        return 130


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print warnings as one plain line, without the source location."""
    print(f"animecls: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
