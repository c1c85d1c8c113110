"""Run the four experiments for the docs and keep their tables and figures.

Runs :func:`~animecls.experiments.learning_curve`,
:func:`~animecls.experiments.repeated_splits` and
:func:`~animecls.experiments.measure_remedies` with their defaults on the
embedded default set and, when it is there, on the real anime faces
(``../shared/datasets/anime-faces-6`` or ``$ANIMECLS_FACES_DIR``; the pictures
are only read, never copied), and
:func:`~animecls.experiments.shortcut_experiment` once (it draws its own
pictures). Each table goes to
``docs/_generated/experiments-<analysis>-<data>.md`` and each figure to
``docs/images/experiments-<analysis>-<data>.png``::

    python docs/_scripts/experiments_results.py [--weights imagenet] [--only default]

``--quick`` runs the same at 64x64 and 5 epochs, to check the script;
``--analyses`` and ``--only`` run a part (parts can run side by side), and
``--faces-seeds N`` uses N seeds (2N splits) on the real faces for the
learning curve and the splits (the remedies always take their 5 seeds). The
committed pages were made with ``--faces-seeds 2``.

Without network the VGG16 models use random weights; the tables and the
figures' titles say so. On a connected machine ``--weights imagenet``
regenerates them with pretrained features.
"""

import argparse
import json
import os
import pathlib
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from animecls import experiments, plotting  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATED = ROOT / "docs" / "_generated"
IMAGES = ROOT / "docs" / "images"
FACES = pathlib.Path(
    os.environ.get(
        "ANIMECLS_FACES_DIR", ROOT.parent / "shared" / "datasets" / "anime-faces-6"
    )
)
ANALYSES = {
    "learning-curve": (experiments.learning_curve, plotting.plot_learning_curve),
    "splits": (experiments.repeated_splits, plotting.plot_repeated_splits),
    "remedies": (experiments.measure_remedies, plotting.plot_remedies),
}
COMMAND = "`python docs/_scripts/experiments_results.py`"


def record(stem, result):
    """Keep the whole result (runs, summary, settings) beside its table.

    The table, and for the remedies the sentence that reads them, are
    rendered from this record (``render``), so a test can check that what
    the pages say is what was measured.
    """

    def plain(value):
        # numpy scalars and arrays, as JSON numbers and lists
        return value.tolist() if hasattr(value, "tolist") else str(value)

    (GENERATED / f"{stem}.json").write_text(
        json.dumps(dict(result), indent=1, default=plain) + "\n", encoding="utf-8"
    )


def load_record(stem):
    """Return a result as the experiment returned it, from its record."""
    from sklearn.utils import Bunch

    return Bunch(**json.loads((GENERATED / f"{stem}.json").read_text("utf-8")))


def readings(result):
    """Say in words which remedies helped, which hurt, and which did neither."""
    groups = {"helped": [], "hurt": [], "no clear difference": []}
    for row in result.summary:
        if row["reading"] in groups:
            groups[row["reading"]].append(
                f"`{row['remedy']}` ({row['change']:+.3f}, "
                f"{row['change_low']:+.2f} to {row['change_high']:+.2f} vs "
                f"`{row['baseline']}`)"
            )
    n = result.settings["n_seeds"]
    lines = [
        f"Read off the table above ({n} splits, paired 95% intervals of the "
        "change in test accuracy):",
        "",
    ]
    for reading, label in (
        ("helped", "**Helped**"),
        ("hurt", "**Hurt**"),
        ("no clear difference", "**No clear difference**"),
    ):
        items = groups[reading]
        lines.append(f"- {label}: " + ("; ".join(items) if items else "none") + ".")
    return "\n".join(lines) + "\n"


def render(stem, result, note):
    """Write the table (and the remedies' readings) of a recorded result."""
    (GENERATED / f"{stem}.md").write_text(
        experiments.summary_markdown(result) + "\n" + note + "\n", encoding="utf-8"
    )
    if result.kind == "remedies":
        (GENERATED / f"{stem}-readings.md").write_text(
            readings(result), encoding="utf-8"
        )


def write(stem, result, plot, data_label, extra=""):
    settings = result.settings
    note = (
        f"{data_label}, {settings['n_images']} pictures at "
        f"{settings['image_size'][0]}x{settings['image_size'][1]}; "
        f"{settings['time_s']:.0f} s wall time on two shared CPU cores; {COMMAND}."
        if "n_images" in settings
        else f"{data_label}; {settings['time_s']:.0f} s wall time on two shared CPU "
        f"cores; {COMMAND}."
    )
    record(stem, result)
    render(stem, result, note + extra)
    figure = plot(result)
    figure.savefig(IMAGES / f"{stem}.png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    print(f"wrote {stem}: {settings['time_s']:.0f} s", flush=True)


def tour(workdir):
    """The short example the user guide shows, run as it is shown."""
    import contextlib
    import io

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        # --8<-- [start:tour]
        from animecls.experiments import learning_curve, summary_markdown
        from animecls.plotting import plot_learning_curve

        # quick=True: 64x64 pictures, 5 epochs; drop it for the real run
        result = learning_curve(
            train_sizes=(5, 10, None),
            n_seeds=2,
            models=["two_layer_cnn", "pixels_svm"],
            quick=True,
        )
        print(summary_markdown(result))
        figure = plot_learning_curve(result)
        figure.savefig(workdir / "learning-curve.png")
        # --8<-- [end:tour]
    plt.close(figure)
    (GENERATED / "experiments-tour.txt").write_text(output.getvalue(), encoding="utf-8")
    print("wrote experiments-tour", flush=True)


def parameters_note():
    """How over-parameterised the report's CNN stays at the experiments' size."""
    from animecls.datasets import make_characters, split_indices
    from animecls.experiments import DEFAULT_IMAGE_SIZE
    from animecls.models import build_two_layer_cnn

    data = make_characters()
    fit = split_indices(data, test_size=0.3, random_state=0).train
    lines = []
    for size in (DEFAULT_IMAGE_SIZE, (250, 250)):
        n = build_two_layer_cnn((*size, 3), len(data.class_names)).count_params()
        lines.append(f"| {size[0]}x{size[1]} | {n:,} | {n / len(fit):,.0f} |")
    (GENERATED / "experiments-parameters.md").write_text(
        "| pictures | parameters of the report's CNN | per training picture "
        f"({len(fit)} of them) |\n| --- | --- | --- |\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="auto")
    parser.add_argument("--quick", action="store_true", help="a smoke test")
    parser.add_argument(
        "--analyses", nargs="+", choices=sorted(ANALYSES), default=sorted(ANALYSES)
    )
    parser.add_argument(
        "--faces-seeds",
        type=int,
        default=None,
        help="seeds (splits: twice as many) on the real faces; default: as "
        "on the default set",
    )
    parser.add_argument(
        "--only", choices=("tour", "default", "faces", "shortcut"), action="append"
    )
    args = parser.parse_args()
    chosen = set(args.only or ("tour", "default", "faces", "shortcut"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        if "tour" in chosen:
            parameters_note()
            tour(pathlib.Path(cache))
        data_sets = []
        if "default" in chosen:
            data_sets.append(("default", None, "Embedded default (make_characters())"))
        if "faces" in chosen:
            if FACES.is_dir():
                data_sets.append(("faces", FACES, "Real faces (anime-faces-6)"))
            else:
                print(
                    f"{FACES} not found: the real-faces tables are left as they were."
                )
        for name, data, label in data_sets:
            for analysis, (function, plot) in ANALYSES.items():
                if analysis not in args.analyses:
                    continue
                options, extra = {}, ""
                if analysis == "remedies" and args.weights != "imagenet":
                    # With random weights the VGG16 remedies measure nothing
                    # about transfer learning, and fine-tuning all of VGG16's
                    # top block for up to 100 epochs would take most of the
                    # run: the drawn backbone is the offline transfer lesson.
                    options["remedies"] = [
                        r for r in experiments.REMEDIES if not r.startswith("transfer_")
                    ]
                    extra = (
                        " The VGG16 remedies (transfer_frozen, transfer_finetune) "
                        "need ImageNet weights and are left out here; "
                        "`--weights imagenet` runs them."
                    )
                if name == "faces" and args.faces_seeds and analysis != "remedies":
                    # Twice the pictures of the default set and more: fewer seeds
                    # keep the real-faces run within the docs machine's time.
                    # Not for the remedies: five splits are the fewest whose
                    # paired intervals can be read.
                    options.update(
                        {"n_splits": 2 * args.faces_seeds}
                        if analysis == "splits"
                        else {"n_seeds": args.faces_seeds}
                    )
                result = function(
                    data,
                    weights=args.weights,
                    cache_dir=cache,
                    quick=args.quick,
                    **options,
                )
                write(f"experiments-{analysis}-{name}", result, plot, label, extra)
        if "shortcut" in chosen:
            result = experiments.shortcut_experiment(
                weights=args.weights, cache_dir=cache, quick=args.quick
            )
            write(
                "experiments-shortcut",
                result,
                plotting.plot_shortcut,
                "Drawn characters with a background-colour shortcut "
                "(make_shortcut_characters())",
            )
    print(f"all done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
