"""The example notebooks are the example scripts, and they run in Jupyter."""

import importlib.util
import pathlib

import pytest
from test_examples import FIGURES, SETTINGS

from animecls.datasets import make_characters, save_image_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = EXAMPLES / "notebooks"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))
REGENERATE = "run `python docs/_scripts/notebooks.py`"

nbformat = pytest.importorskip(
    "nbformat", reason="nbformat is not installed (pip install -e '.[test]')"
)
pytest.importorskip("jupytext", reason="jupytext is not installed (the test extra)")


def _generator():
    path = ROOT / "docs" / "_scripts" / "notebooks.py"
    spec = importlib.util.spec_from_file_location("notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(notebook):
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def test_every_example_has_a_notebook():
    assert SCRIPTS
    notebooks = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert notebooks == {script.stem for script in SCRIPTS}, REGENERATE


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_notebook_is_generated_from_its_script(script):
    committed = nbformat.read(NOTEBOOKS / f"{script.stem}.ipynb", as_version=4)
    expected = _generator().make_notebook(script)
    assert _cells(committed) == _cells(expected), f"{script.name} changed: {REGENERATE}"
    assert not any(cell.get("outputs") for cell in committed.cells)
    assert committed.metadata["kernelspec"]["name"] == "python3"


def test_notebook_starts_with_the_colab_install():
    notebook = _generator().make_notebook(EXAMPLES / "plot_vgg16_transfer.py")
    first, install = notebook.cells[:2]
    assert first.source.startswith("# VGG16 transfer learning")
    assert 'weights="imagenet"' in first.source and 'weights="auto"' in first.source
    assert install.cell_type == "code"
    assert 'if "google.colab" in sys.modules:' in install.source
    assert '.run_line_magic("pip", "install animecls")' in install.source
    # Each cell's opening comment is a markdown cell above its code.
    setup, imports = notebook.cells[2:4]
    assert setup.cell_type == "markdown" and setup.source.startswith("## Setup")
    assert imports.cell_type == "code" and imports.source.startswith("import os")


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny") / "Anime Girls"
    save_image_folder(make_characters(8, image_size=(32, 32)), folder)
    return folder


# About 90 s for the first five on two busy CPU cores, and as much again for
# plot_overfitting (twenty short trainings), most of it training.
@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_notebook_runs_in_a_kernel(script, tiny_folder, tmp_path, monkeypatch):
    nbclient = pytest.importorskip(
        "nbclient", reason="nbclient is not installed (the test extra)"
    )
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (test extra)")
    # The kernel inherits this environment: test_examples' tiny settings, and
    # matplotlib's default notebook backend (inline), as a student has it.
    out = tmp_path / "out"
    for name, value in {
        **SETTINGS,
        "ANIMECLS_DATA": str(tiny_folder),
        "ANIMECLS_OUT": str(out),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(NOTEBOOKS / f"{script.stem}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's cwd
    )
    # Last, what the Setup cell took for the data folder: in a kernel,
    # sys.argv[1] is "-f" (before its connection file), not a folder.
    notebook.cells.append(nbformat.v4.new_code_cell("print(f'DATA={DATA}')"))
    client.execute()  # raises CellExecutionError with the cell's traceback

    assert notebook.cells[-1].outputs[0].text == f"DATA={tiny_folder}\n"
    for pattern in FIGURES[script.name]:
        assert sorted(out.glob(pattern)), f"{script.stem} did not write {pattern}"
    assert sorted(tmp_path.iterdir()) == [out], "the notebook wrote outside its OUT"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_docs_page_and_readme_open_the_notebook_in_colab(script):
    badge = (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/animecls/animecls/blob/main/"
        f"examples/notebooks/{script.stem}.ipynb)"
    )
    for document in (
        ROOT / "docs" / "examples" / f"{script.stem}.md",
        ROOT / "README.md",
    ):
        assert badge in document.read_text(encoding="utf-8"), document.name
