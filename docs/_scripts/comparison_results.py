"""Run the report's comparison for the docs and keep its table and figures.

Runs :func:`animecls.comparison.compare_models` with the report's settings on
the embedded default set and, when it is there, on the real anime faces
(``../shared/datasets/anime-faces-6`` or ``$ANIMECLS_FACES_DIR``; the
pictures are only read, never copied). For each, the run's table
goes to ``docs/_generated/compare-<name>.md`` and a few of its figures to
``docs/images/compare-<name>-*.png``. A few minutes per data set on two
cores::

    python docs/_scripts/comparison_results.py [--weights imagenet]

Without network the VGG16 models use random weights, and the tables say so in
their weights column; on a connected machine ``--weights imagenet``
regenerates them with pretrained features.
"""

import argparse
import os
import pathlib
import shutil
import tempfile

from animecls.comparison import compare_models

ROOT = pathlib.Path(__file__).resolve().parents[2]
GENERATED = ROOT / "docs" / "_generated"
IMAGES = ROOT / "docs" / "images"
FACES = pathlib.Path(
    os.environ.get(
        "ANIMECLS_FACES_DIR", ROOT.parent / "shared" / "datasets" / "anime-faces-6"
    )
)
FIGURES = ("comparison", "curves_two_layer_cnn")


def run(name, data, weights, workdir):
    out = pathlib.Path(workdir) / name
    result = compare_models(
        data,
        weights=weights,
        out_dir=out,
        save_models=False,
        cache_dir=pathlib.Path(workdir) / "cache",
    )
    split = result.split
    summary = (
        f"{split['n_fit']} training, {split['n_val']} validation and "
        f"{split['n_test']} test pictures of {split['n_classes']} classes at "
        f"{split['image_size'][0]}x{split['image_size'][1]}; "
        "`python docs/_scripts/comparison_results.py`."
    )
    (GENERATED / f"compare-{name}.md").write_text(
        result.markdown + "\n" + summary + "\n", encoding="utf-8"
    )
    for figure in FIGURES:
        shutil.copyfile(
            out / "figures" / f"{figure}.png", IMAGES / f"compare-{name}-{figure}.png"
        )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        run("default", None, args.weights, workdir)
        if FACES.is_dir():
            run("faces", FACES, args.weights, workdir)
        else:
            print(f"{FACES} not found: the real-faces table is left as it was.")


if __name__ == "__main__":
    main()
