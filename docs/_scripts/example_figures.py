"""Run every example script and keep its figures and output for the docs.

Each page under docs/examples/ shows one script of ``examples/`` with the
figures it draws and what it prints. This runs each script as a reader
would, in a fresh process, with fast settings::

    ANIMECLS_IMAGE_SIZE=64 ANIMECLS_EPOCHS=8 ANIMECLS_WEIGHTS=none

(64x64 pictures, 8 epochs per network, random VGG16 weights, so it needs no
network; a script whose own defaults are already quick runs with those, see
``OWN_DEFAULTS``), then copies the PNGs it wrote into
``docs/images/examples/<script>/`` and its printed output into
``docs/_generated/example-<script>.txt``. A few minutes on two CPU cores::

    python docs/_scripts/example_figures.py [SCRIPT ...]

With script names (e.g. ``plot_two_layer_cnn``) only those run.
"""

import io
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
IMAGES = ROOT / "docs" / "images" / "examples"
GENERATED = ROOT / "docs" / "_generated"
SETTINGS = {
    "ANIMECLS_IMAGE_SIZE": "64",
    "ANIMECLS_EPOCHS": "8",
    "ANIMECLS_WEIGHTS": "none",
    "ANIMECLS_DATA": "",
}
# Scripts whose defaults are already quick settings run with them, so that
# their page shows what their "What to expect" comment says. plot_overfitting
# is 64x64 by default, and 8 epochs would cut the recipes it compares short
# (the shuffled-label check needs 30, the head on the drawn backbone 60).
OWN_DEFAULTS = {"plot_overfitting"}
# The comparison writes a whole run folder; these are the figures its page
# shows besides the script's own summary.png.
RUN_FIGURES = ("samples", "confusion_two_layer_cnn", "predictions_two_layer_cnn")
MAX_BYTES = 300_000


def _shrink(path):
    """Re-encode a PNG with a 256-colour palette if it is too large for a page."""
    if path.stat().st_size <= MAX_BYTES:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    path.write_bytes(buffer.getvalue())


def _figures(script, out):
    """Return ``{name: path}`` of the PNGs a script's run left in ``out``."""
    found = {path.name: path for path in sorted(out.glob("*.png"))}
    if script == "plot_compare_models":
        for name in RUN_FIGURES:
            for path in sorted(out.glob(f"run-*/figures/{name}.png")):
                found[path.name] = path
    return found


def run(script):
    """Run ``examples/<script>.py``; copy its figures and output into docs/."""
    # Empty values: the script's own defaults (also over the caller's settings).
    settings = {k: "" for k in SETTINGS} if script in OWN_DEFAULTS else SETTINGS
    with tempfile.TemporaryDirectory() as workdir:
        out = pathlib.Path(workdir) / "out"
        env = dict(
            os.environ,
            **settings,
            ANIMECLS_OUT=str(out),
            MPLBACKEND="Agg",
            TF_CPP_MIN_LOG_LEVEL="2",
        )
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, str(EXAMPLES / f"{script}.py")],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if completed.returncode != 0:
            raise RuntimeError(f"{script} failed:\n{completed.stderr[-3000:]}")
        target = IMAGES / script
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name, path in _figures(script, out).items():
            shutil.copyfile(path, target / name)
            _shrink(target / name)
        # Paths of the temporary folder mean nothing to a reader.
        output = completed.stdout.replace(str(out) + os.sep, "").replace(
            str(out), "<ANIMECLS_OUT>"
        )
    command = "".join(f"{k}={v} " for k, v in settings.items() if v)
    header = f"$ {command}python examples/{script}.py\n"
    (GENERATED / f"example-{script}.txt").write_text(header + output, encoding="utf-8")
    print(f"{script}: {seconds:.0f} s, figures in {target.relative_to(ROOT)}")


def main(scripts):
    scripts = scripts or sorted(path.stem for path in EXAMPLES.glob("plot_*.py"))
    for script in scripts:
        run(script)


if __name__ == "__main__":
    main(sys.argv[1:])
