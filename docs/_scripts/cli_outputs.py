"""Write what the ``animecls`` command prints into ``docs/_generated/``.

The command-line page includes these files; a test checks that they are up
to date, so the page shows what the installed command really prints.
"""

import contextlib
import io
import os
import pathlib
import shutil
import sys
import tempfile

from animecls.cli import main

GENERATED = pathlib.Path(__file__).resolve().parents[1] / "_generated"

# Commands whose --help the page shows, each in cli-<command>-help.txt.
HELP_PAGES = [
    ["data", "make"],
    ["compare"],
    ["pretrain"],
    ["learning-curve"],
    ["splits"],
    ["remedies"],
    ["shortcut"],
    ["leakage"],
    ["check"],
]


def capture(argv, status=0):
    """Return what ``animecls ARGV`` prints, with the exit status checked."""
    # argparse wraps help text to the terminal width; pin it for stable files.
    os.environ["COLUMNS"] = "88"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            returned = main(argv)
        except SystemExit as done:
            returned = done.code
    if returned != status:
        raise RuntimeError(
            f"animecls {' '.join(argv)} exited with {returned}, not {status}"
        )
    return out.getvalue()


def _check_example(folder):
    """Save the report's Model 2 mistake, small, and check it against ``folder``."""

    from animecls.datasets import load_image_folder
    from animecls.models import build_vgg16_transfer, save_model
    from animecls.training import fit_transfer_head

    data = load_image_folder(folder, image_size=(32, 32), subset="train")
    # Sigmoid outputs trained with categorical cross-entropy, as in the report.
    model = build_vgg16_transfer((32, 32, 3), weights=None, output_activation="sigmoid")
    fit_transfer_head(model, data.images, data.target, epochs=1, verbose=0)
    save_model(model, "model2.keras", class_names=data.class_names)
    return capture(["check", "model2.keras", "characters"], status=1)


def outputs():
    """Return ``{file name: text}`` for every generated CLI page snippet."""
    texts = {"cli-help.txt": "$ animecls --help\n" + capture(["--help"])}
    for command in HELP_PAGES:
        name = f"cli-{'-'.join(command)}-help.txt"
        texts[name] = f"$ animecls {' '.join(command)} --help\n" + capture(
            [*command, "--help"]
        )
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        capture(["data", "make", "characters"])
        texts["cli-data-info.txt"] = "$ animecls data info characters\n" + capture(
            ["data", "info", "characters"]
        )
        texts["cli-check.txt"] = (
            "$ animecls check model2.keras characters\n" + _check_example("characters")
        )
        # A copy of one picture filed under another character, as scraped
        # folders have them.
        shutil.copy(
            os.path.join("characters", "Yor Forger", "0000.png"),
            os.path.join("characters", "Marin Kitagawa", "repost.png"),
        )
        texts["cli-leakage.txt"] = "$ animecls leakage characters\n" + capture(
            ["leakage", "characters"], status=1
        )
    return texts


if __name__ == "__main__":
    GENERATED.mkdir(exist_ok=True)
    for name, text in outputs().items():
        (GENERATED / name).write_text(text, encoding="utf-8")
        print("wrote", GENERATED / name, file=sys.stderr)
