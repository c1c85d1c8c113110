"""Make a Jupyter notebook of every example script, for courses and Colab.

Each ``examples/plot_*.py`` is written in ``# %%`` cells. jupytext reads it
(the percent format) and this writes ``examples/notebooks/<name>.ipynb``,
without outputs: the script's docstring becomes the notebook's title, the
comment that opens each cell a markdown cell above its code, and the first
two cells say what changes on Colab and install animecls there. The scripts
are the source; after changing one, run::

    python docs/_scripts/notebooks.py

tests/test_notebooks.py checks that the committed notebooks are what this
writes now, and runs each of them in a Jupyter kernel.
"""

import ast
import pathlib
import re

import jupytext
import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = EXAMPLES / "notebooks"

COLAB = """\
**On Colab?** The next cell installs animecls there (elsewhere it does
nothing). Settings are environment variables read by the Setup cell: set any
of them before it runs, e.g. `os.environ["ANIMECLS_EPOCHS"] = "3"` for a
quick try, or `os.environ["ANIMECLS_DATA"] = "Anime Girls"` for a folder of
your own pictures (one sub-folder per character)."""
# Only for the scripts that build VGG16 (those that read ANIMECLS_WEIGHTS).
COLAB_WEIGHTS = """\
Colab has internet, so `weights="imagenet"` (this notebook's default) works:
the VGG16 ImageNet weights are downloaded once, on first use. It is also what
`weights="auto"`, the default of `compare_models` and `animecls compare`,
picks whenever the weights can be downloaded."""
INSTALL = """\
import sys

if "google.colab" in sys.modules:
    get_ipython().run_line_magic("pip", "install animecls")"""
METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _title(docstring_cell):
    """Markdown for the script's docstring: ``# Title`` and the description."""
    fields = dict(
        line.split(": ", 1)
        for line in ast.literal_eval(docstring_cell).strip().splitlines()
    )
    return f"# {fields['Title']}\n\n{fields['Description']}"


def _split(source):
    """Split a cell into the comment that opens it (as markdown) and its code."""
    lines = source.splitlines()
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    markdown = "\n".join(re.sub(r"^# ?", "", line) for line in lines[:n])
    return markdown, "\n".join(lines[n:]).strip("\n")


def make_notebook(script):
    """Return the notebook of one example script, cells without outputs."""
    text = pathlib.Path(script).read_text(encoding="utf-8")
    header, *cells = jupytext.reads(text, fmt="py:percent").cells
    note = COLAB + ("\n\n" + COLAB_WEIGHTS if "ANIMECLS_WEIGHTS" in text else "")
    new = [
        nbformat.v4.new_markdown_cell(f"{_title(header.source)}\n\n{note}"),
        nbformat.v4.new_code_cell(INSTALL),
    ]
    for cell in cells:
        markdown, code = _split(cell.source)
        if markdown:
            new.append(nbformat.v4.new_markdown_cell(markdown))
        if code:
            new.append(nbformat.v4.new_code_cell(code))
    # Ids that follow the cells' order, so regenerating changes nothing.
    for number, cell in enumerate(new):
        cell.id = f"cell-{number}"
    notebook = nbformat.v4.new_notebook(cells=new, metadata=METADATA)
    nbformat.validate(notebook)
    return notebook


def main():
    """Write a notebook for every example and remove those of deleted ones."""
    NOTEBOOKS.mkdir(exist_ok=True)
    scripts = sorted(EXAMPLES.glob("plot_*.py"))
    for script in scripts:
        path = NOTEBOOKS / f"{script.stem}.ipynb"
        jupytext.write(make_notebook(script), path, fmt="ipynb")
        print(f"wrote {path.relative_to(ROOT)}")
    for path in NOTEBOOKS.glob("*.ipynb"):
        if path.stem not in {script.stem for script in scripts}:
            path.unlink()
            print(f"removed {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
