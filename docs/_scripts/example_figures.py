"""Run every example script and keep its figures and output for the docs.

Each page under docs/examples/ shows one script of ``examples/`` with the
figures it draws and what it prints. This runs each script as a reader
would, in a fresh process, with the script's own defaults (picture size,
epochs, the drawn default characters): whatever ``ANIMECLS_DATA``,
``ANIMECLS_IMAGE_SIZE`` or ``ANIMECLS_EPOCHS`` the caller has set is
removed. The one setting added is the documented offline one,
``ANIMECLS_WEIGHTS=none`` (random VGG16 weights, since the ImageNet weights
need a download), and only for the scripts that read it. The command line,
with that setting, heads the saved output, followed by the run's wall time::

    $ ANIMECLS_WEIGHTS=none python examples/plot_vgg16_transfer.py  # 251 s ...

It then copies the PNGs the script wrote into
``docs/images/examples/<script>/`` and its printed output into
``docs/_generated/example-<script>.txt``, which the script's closing "What to
expect" comment quotes (tests/test_docs_examples.py checks that every number
there is in this output). About half an hour on two CPU cores, most of it the
comparison and the overfitting analysis::

    python docs/_scripts/example_figures.py [SCRIPT ...]

With script names (e.g. ``plot_two_layer_cnn``) only those run.
"""

import io
import os
import pathlib
import re
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
# The caller's settings that would change what a script does: removed, so
# that each script runs with its own defaults.
REMOVED = (
    "ANIMECLS_DATA",
    "ANIMECLS_IMAGE_SIZE",
    "ANIMECLS_EPOCHS",
    "ANIMECLS_WEIGHTS",
)
# The documented offline setting, for the scripts that read it (those that
# build VGG16): random weights instead of the ImageNet download.
OFFLINE = {"ANIMECLS_WEIGHTS": "none"}
# The comparison writes a whole run folder; these are the figures its page
# shows besides the script's own summary.png.
RUN_FIGURES = ("samples", "confusion_two_layer_cnn", "predictions_two_layer_cnn")
MAX_BYTES = 300_000
# Terminal colours in Keras' progress bars, and the temporary folders a
# script makes (a new name on every run): neither means anything on a page.
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TEMPORARY = re.compile(re.escape(tempfile.gettempdir()) + r"/tmp\w+")
# A Keras progress bar prints one line per batch; without its colours every
# line looks finished, so only the last (the whole pass) is kept.
PROGRESS = re.compile(r"(?:^\d+/\d+ \u2501+.*\n)*(^\d+/\d+ \u2501+.*\n)", re.MULTILINE)


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


def clean(output):
    """Return a script's printed ``output`` without what is noise on a page."""
    output = PROGRESS.sub(r"\1", ANSI.sub("", output))
    return TEMPORARY.sub("<temporary folder>", output)


def settings(script):
    """Return the settings ``script`` runs with: the offline one if it reads it."""
    source = (EXAMPLES / f"{script}.py").read_text(encoding="utf-8")
    return {k: v for k, v in OFFLINE.items() if k in source}


def run(script):
    """Run ``examples/<script>.py``; copy its figures and output into docs/."""
    setting = settings(script)
    with tempfile.TemporaryDirectory() as workdir:
        out = pathlib.Path(workdir) / "out"
        env = {k: v for k, v in os.environ.items() if k not in REMOVED}
        env.update(
            setting,
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
    output = clean(output)
    command = "".join(f"{k}={v} " for k, v in setting.items())
    header = (
        f"$ {command}python examples/{script}.py"
        f"  # {seconds:.0f} s wall time on {os.cpu_count()} CPU cores\n"
    )
    (GENERATED / f"example-{script}.txt").write_text(header + output, encoding="utf-8")
    print(f"{script}: {seconds:.0f} s, figures in {target.relative_to(ROOT)}")


def main(scripts):
    scripts = scripts or sorted(path.stem for path in EXAMPLES.glob("plot_*.py"))
    for script in scripts:
        run(script)


if __name__ == "__main__":
    main(sys.argv[1:])
