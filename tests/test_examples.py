"""Every example script runs for real, on a tiny drawn set with fast settings."""

import os
import pathlib
import subprocess
import sys

import pytest

from animecls.datasets import make_characters, save_image_folder

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"

# The figures each script must write into ANIMECLS_OUT (globs, relative to it).
FIGURES = {
    "plot_explore_dataset.py": [
        "class_counts.png",
        "samples.png",
        "image_sizes.png",
        "difficulty_levels.png",
    ],
    "plot_two_layer_cnn.py": [
        "samples.png",
        "curves.png",
        "confusion_matrix.png",
        "predictions.png",
    ],
    "plot_vgg16_transfer.py": [
        "curves.png",
        "confusion_matrix.png",
        "sigmoid_vs_softmax.png",
    ],
    "plot_embedding_svm.py": [
        "embedding_pca.png",
        "grid_search.png",
        "comparison.png",
    ],
    "plot_overfitting.py": [
        "samples.png",
        "curves.png",
        "interval_width.png",
        "shuffled_labels.png",
        "repeated_splits.png",
        "remedies.png",
    ],
    "plot_compare_models.py": [
        "summary.png",
        "run-*/figures/comparison.png",
        "run-*/figures/curves_two_layer_cnn.png",
        "run-*/figures/samples.png",
    ],
}
# Tiny, offline settings (tests/test_notebooks.py runs the notebooks with them).
SETTINGS = {
    "ANIMECLS_EPOCHS": "1",
    "ANIMECLS_IMAGE_SIZE": "32",
    "ANIMECLS_WEIGHTS": "none",
}


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny") / "Anime Girls"
    save_image_folder(make_characters(8, image_size=(32, 32)), folder)
    return folder


def test_every_example_is_tested():
    scripts = {path.name for path in EXAMPLES.glob("*.py")}
    assert scripts == set(FIGURES)


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_example_runs(script, tiny_folder, tmp_path):
    out = tmp_path / "out"
    env = dict(
        os.environ,
        **SETTINGS,
        ANIMECLS_DATA=str(tiny_folder),
        ANIMECLS_OUT=str(out),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    # Run from an empty folder, so nothing lands in the repository.
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    for pattern in FIGURES[script]:
        found = sorted(out.glob(pattern))
        assert found, (
            f"{script} did not write {pattern}; wrote {sorted(out.rglob('*'))}"
        )
        for path in found:
            assert path.stat().st_size > 1000, f"{path} is nearly empty"
    assert sorted(tmp_path.iterdir()) == [out], "the script wrote outside ANIMECLS_OUT"


def _run(args, cwd, **env):
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_data_folder_as_first_argument(tiny_folder, tmp_path):
    completed = _run(
        [str(EXAMPLES / "plot_explore_dataset.py"), str(tiny_folder)],
        tmp_path,
        ANIMECLS_DATA="",
        ANIMECLS_IMAGE_SIZE="32",
        ANIMECLS_OUT=str(tmp_path / "out"),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert f"Folder: {tiny_folder}" in completed.stdout
    assert "Loaded (24, 32, 32, 3); skipped 0 files" in completed.stdout


def test_explore_default_set_shows_the_skipped_strays(tmp_path):
    completed = _run(
        [str(EXAMPLES / "plot_explore_dataset.py")],
        tmp_path,
        ANIMECLS_DATA="",
        ANIMECLS_IMAGE_SIZE="32",
        ANIMECLS_OUT=str(tmp_path / "out"),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Loaded (185, 32, 32, 3); skipped 2 files" in completed.stdout
    assert "notes.txt: not a picture" in completed.stdout
    assert "broken.png: corrupt or truncated picture" in completed.stdout
