"""Rerun the VGG16 measurements with ImageNet weights, beside the offline ones.

The comparison guide's tables are measured on a machine without network, so
their VGG16 rows run from random weights. This script reruns the same
measurements with Keras' ImageNet weights, through the same engine, on the
same pictures, seeds and splits:

- the comparison on the embedded default set
  (:func:`animecls.comparison.compare_models`, the report's settings and
  split, seed 42: the table of ``docs/_generated/compare-default.md``);
- the repeated splits on the same set
  (:func:`animecls.experiments.repeated_splits` with its defaults: the table
  of ``docs/_generated/experiments-splits-default.md``).

It writes ``docs/_generated/imagenet/vgg16-imagenet.json`` (the numbers, the
settings, the weights file's md5 and where it ran) and
``docs/_generated/imagenet/vgg16-imagenet.md`` (the tables, rendered from the
JSON), never the offline files. Every model cell of a VGG16 row says
"(ImageNet weights)"::

    python docs/_scripts/imagenet_results.py --weights imagenet  # measure
    python docs/_scripts/imagenet_results.py --render            # re-render
    python docs/_scripts/imagenet_results.py --placeholder       # not measured

The docs workflow (``.github/workflows/docs.yml``) runs the first on GitHub
Actions, which has internet, before it builds the published site. The
committed files are the ``--placeholder`` version, which says where the
numbers come from and how to measure them; the page includes whichever is
there. Without network and without a cached copy of the weights the script
stops before any training with the library's
:class:`~animecls.models.WeightsUnavailableError` message. ``--quick`` (64x64
pictures, 5 epochs), ``--image-size``, ``--epochs``, ``--n-splits`` and
``--models`` make a smaller run (the tables say which settings they had).
"""

import argparse
import hashlib
import json
import math
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "docs" / "_generated" / "imagenet"
STEM = "vgg16-imagenet"
COMMAND = "python docs/_scripts/imagenet_results.py --weights imagenet"


# ---------------------------------------------------------------- measuring


def _plain(value):
    """Return ``value`` as plain JSON: NumPy scalars and NaN made portable."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # NumPy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; the tables print None as "-"
    return value


def _md5(path):
    digest = hashlib.md5()  # Keras publishes an md5, not a digest of our choosing
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _where():
    """Say where the run happened: a GitHub Actions run, or a local machine."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        run = (
            f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/"
            f"{os.environ.get('GITHUB_REPOSITORY', '')}/actions/runs/"
            f"{os.environ.get('GITHUB_RUN_ID', '')}"
        )
        return {"where": "github-actions", "run": run}
    return {"where": "local", "run": None}


def imagenet_file():
    """Return the checked path of the ImageNet weights, before any training.

    Raises
    ------
    SystemExit
        With the library's :class:`~animecls.models.WeightsUnavailableError`
        message when the file is neither cached nor downloadable: the ways
        out, not a traceback of the download.
    """
    from animecls._weights import WeightsUnavailableError, imagenet_weights_path

    try:
        return imagenet_weights_path()
    except WeightsUnavailableError as error:
        raise SystemExit(f"imagenet_results.py: {error}") from None


def measure(*, models=None, quick=False, image_size=None, epochs=None, n_splits=10):
    """Run the comparison and the repeated splits with ImageNet weights.

    Parameters
    ----------
    models : list of str, default=None
        Models of both runs; None for their defaults (every registry model,
        as the offline tables).
    quick, image_size, epochs
        As in :func:`~animecls.comparison.compare_models`; None keeps each
        run's own default (250x250 for the comparison, 96x96 for the splits,
        the report's recipes), as offline.
    n_splits : int, default=10
        Splits of :func:`~animecls.experiments.repeated_splits` (the offline
        table has its default, 10).

    Returns
    -------
    measurements : dict
        JSON-ready: ``settings``, ``comparison`` (``split``, ``table``) and
        ``splits`` (what :func:`~animecls.experiments.summary_markdown`
        reads).
    """
    from animecls import __version__
    from animecls.comparison import compare_models
    from animecls.experiments import repeated_splits

    path = imagenet_file()
    start = time.perf_counter()
    options = {"quick": quick, "image_size": image_size, "epochs": epochs}
    with tempfile.TemporaryDirectory() as cache:
        comparison = compare_models(
            models=models,
            weights="imagenet",
            save_models=False,
            cache_dir=cache,
            **options,
        )
        splits = repeated_splits(
            models=models,
            n_splits=n_splits,
            weights="imagenet",
            cache_dir=cache,
            verbose=1,
            **options,
        )
    return _plain(
        {
            "measured": True,
            "settings": {
                "weights": "imagenet",
                "weights_file": os.path.basename(path),
                "md5": _md5(path),
                "quick": bool(quick),
                "image_size": image_size,
                "epochs": epochs,
                "animecls": __version__,
                "cpu_count": os.cpu_count(),
                "wall_time_s": round(time.perf_counter() - start),
                **_where(),
            },
            "comparison": {"split": comparison.split, "table": comparison.table},
            "splits": {
                key: splits[key]
                for key in ("kind", "runs", "summary", "settings", "chance")
            },
        }
    )


def placeholder():
    """Return the measurements of a build that could not measure: none."""
    return {"measured": False, "command": COMMAND}


# ---------------------------------------------------------------- rendering


def _vgg16(model):
    from animecls.registry import MODELS

    spec = MODELS.get(model)
    return spec is not None and spec.vgg16_features


def with_weights(row, weights=None):
    """Return ``row`` with its model cell naming ImageNet weights if it had them.

    Parameters
    ----------
    row : dict
        A table or run row (``model``, and ``weights`` unless given).
    weights : str, default=None
        The row's VGG16 weights when the row does not carry them (a summary
        row of an experiment).

    Returns
    -------
    row : dict
        A copy whose ``model`` reads e.g. "vgg16_svm (ImageNet weights)".

    Raises
    ------
    ValueError
        For a VGG16 row whose weights are not ImageNet's: this page must not
        show one under the ImageNet heading.
    """
    from animecls.registry import model_label

    weights = row.get("weights", weights)
    if not _vgg16(row["model"]):
        return dict(row)
    if weights != "imagenet":
        raise ValueError(
            f"{row['model']} ran without ImageNet weights; the ImageNet tables "
            f"show only ImageNet rows. Received: weights={weights!r}"
        )
    # The offline tables say "(random weights)" in the same place: one
    # function words both.
    label = model_label({"model": row["model"], "weights": weights}, imagenet=True)
    return dict(row, model=label)


def _epochs(n):
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _settings_line(settings):
    where = (
        f"by the docs workflow on GitHub Actions ([run]({settings['run']}))"
        if settings["where"] == "github-actions"
        else "on a local machine"
    )
    asked = []
    if settings["quick"]:
        asked.append("the quick preset (64x64 pictures, 5 epochs)")
    if settings["image_size"] is not None:
        asked.append(f"pictures of {settings['image_size']} pixels a side")
    if settings["epochs"] is not None:
        asked.append(f"{_epochs(settings['epochs'])} for every network")
    smaller = (
        f" **Smaller than the offline tables' settings:** {', '.join(asked)}."
        if asked
        else ""
    )
    return (
        f"Measured {where} with animecls {settings['animecls']} and Keras' "
        f"ImageNet weights (`{settings['weights_file']}`, md5 "
        f"`{settings['md5']}`), in {settings['wall_time_s']:,} s of wall time "
        f"on {settings['cpu_count']} CPU cores.{smaller}"
    )


def _comparison_text(comparison):
    from animecls.comparison import results_markdown

    split = comparison["split"]
    size = split["image_size"]
    epochs = (
        "the report's recipes"
        if split["epochs"] == "recipe"
        else f"{_epochs(split['epochs'])} for every network"
    )
    return (
        results_markdown([with_weights(row) for row in comparison["table"]])
        + f"\n{split['n_fit']} training, {split['n_val']} validation and "
        f"{split['n_test']} test pictures of {split['n_classes']} classes at "
        f"{size[0]}x{size[1]}, split with seed {split['random_state']} and "
        f"trained with {epochs}. Every row comes from this one run on one "
        "machine: the rows that read no VGG16 features may differ a little "
        "from the offline table's, since another machine adds up "
        "floating-point numbers in another order.\n"
    )


def _splits_text(splits):
    from sklearn.utils import Bunch

    from animecls.experiments import summary_markdown

    weights = {run["model"]: run["weights"] for run in splits["runs"]}
    result = Bunch(
        **dict(
            splits,
            runs=[with_weights(run) for run in splits["runs"]],
            summary=[
                with_weights(row, weights[row["model"]]) for row in splits["summary"]
            ],
        )
    )
    seeds = splits["settings"]["random_state"]
    # The runs are in this script's JSON, not in a run folder's runs.csv.
    caption = summary_markdown(result).replace("runs.csv", f"{STEM}.json")
    return (
        caption
        + f"\nSplits seeded {seeds} to {seeds + splits['settings']['n_splits'] - 1}"
        ", as the offline table's.\n"
    )


def render(measurements):
    """Return ``{file name: text}``, the snippets the comparison guide includes.

    Parameters
    ----------
    measurements : dict
        What :func:`measure` or :func:`placeholder` returned.

    Returns
    -------
    texts : dict of str to str
        ``vgg16-imagenet.md``: the tables with their settings, or a note that
        says this build did not measure them and how to.
    """
    if not measurements["measured"]:
        text = (
            '!!! info "Not measured in this build"\n'
            "    These tables need Keras' ImageNet weights, which this build of "
            "the documentation did not have. The docs workflow measures them "
            "on GitHub Actions, which has internet, and the published site "
            "shows them here. On a machine with internet, "
            f"`{measurements['command']}` measures them and `mkdocs serve` "
            "then shows them.\n"
        )
        return {f"{STEM}.md": text}
    text = (
        _settings_line(measurements["settings"])
        + "\n\n**The comparison** on the embedded default set, the offline "
        "table's split:\n\n"
        + _comparison_text(measurements["comparison"])
        + "\n**Over many splits** of the same pictures, as the offline table "
        "of the experiments:\n\n" + _splits_text(measurements["splits"])
    )
    return {f"{STEM}.md": text}


def write(measurements, out_dir):
    """Write the JSON and the snippets it renders into ``out_dir``."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = render(measurements)  # rendered first: a bad row writes nothing
    (out_dir / f"{STEM}.json").write_text(
        json.dumps(measurements, indent=1) + "\n", encoding="utf-8"
    )
    for name, text in texts.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    print(f"wrote {out_dir / STEM}.json and {', '.join(texts)}", file=sys.stderr)


def main(argv=None):
    """Measure, re-render or reset the ImageNet tables; see the module's text."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--weights",
        choices=("imagenet",),
        default="imagenet",
        help="VGG16 weights: only ImageNet's, the point of these tables (a "
        "copied file: install it with `animecls weights install FILE`)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--render", action="store_true", help="re-render the JSON in --out-dir"
    )
    mode.add_argument(
        "--placeholder",
        action="store_true",
        help='write the "not measured in this build" version (committed)',
    )
    parser.add_argument("--out-dir", default=str(OUT_DIR), help="default: %(default)s")
    parser.add_argument("--quick", action="store_true", help="64x64, 5 epochs")
    parser.add_argument("--image-size", type=int, help="default: each run's own")
    parser.add_argument("--epochs", type=int, help="default: the report's recipes")
    parser.add_argument("--n-splits", type=int, default=10)
    parser.add_argument(
        "--models", help="comma-separated models (default: every registry model)"
    )
    args = parser.parse_args(argv)
    out_dir = pathlib.Path(args.out_dir)
    if args.render:
        path = out_dir / f"{STEM}.json"
        write(json.loads(path.read_text(encoding="utf-8")), out_dir)
        return
    if args.placeholder:
        write(placeholder(), out_dir)
        return
    measurements = measure(
        models=args.models.split(",") if args.models else None,
        quick=args.quick,
        image_size=args.image_size,
        epochs=args.epochs,
        n_splits=args.n_splits,
    )
    write(measurements, out_dir)


if __name__ == "__main__":
    main()
