"""Write what the ``animecls`` command prints into ``docs/_generated/``.

The command-line page includes these files; a test checks that they are up
to date, so the page shows what the installed command really prints.
"""

import contextlib
import io
import os
import pathlib
import sys
import tempfile

from animecls.cli import main

GENERATED = pathlib.Path(__file__).resolve().parents[1] / "_generated"


def capture(argv):
    """Return what ``animecls ARGV`` prints, with the exit status checked."""
    # argparse wraps help text to the terminal width; pin it for stable files.
    os.environ["COLUMNS"] = "88"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            status = main(argv)
        except SystemExit as done:
            status = done.code
    if status != 0:
        raise RuntimeError(f"animecls {' '.join(argv)} exited with {status}")
    return out.getvalue()


def outputs():
    """Return ``{file name: text}`` for every generated CLI page snippet."""
    texts = {
        "cli-help.txt": "$ animecls --help\n" + capture(["--help"]),
        "cli-data-make-help.txt": "$ animecls data make --help\n"
        + capture(["data", "make", "--help"]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "characters")
        capture(["data", "make", folder])
        info = capture(["data", "info", folder]).replace(tmp + os.sep, "")
    texts["cli-data-info.txt"] = "$ animecls data info characters\n" + info
    return texts


if __name__ == "__main__":
    GENERATED.mkdir(exist_ok=True)
    for name, text in outputs().items():
        (GENERATED / name).write_text(text, encoding="utf-8")
        print("wrote", GENERATED / name, file=sys.stderr)
