"""Pictures read from disk a batch at a time: PictureFile, open_image_folder and
the engine's streamed runs, which must give the tables of in-memory runs."""

import gc
import os
import warnings

import numpy as np
import pytest

from animecls import datasets
from animecls.comparison import compare_models
from animecls.datasets import (
    PictureFile,
    SkippedFilesWarning,
    load_image_folder,
    make_characters,
    open_image_folder,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("characters")
    make_characters(12, image_size=(48, 48), directory=path, random_state=3)
    return path


@pytest.fixture
def opened(folder):
    data = open_image_folder(folder, image_size=(32, 32))
    yield data
    data.images.close()


@pytest.mark.parametrize("subset", ["all", "train", "test"])
def test_open_image_folder_gives_the_pictures_load_image_folder_gives(folder, subset):
    lazy = open_image_folder(folder, image_size=(32, 32), subset=subset)
    eager = load_image_folder(folder, image_size=(32, 32), subset=subset)
    assert isinstance(lazy.images, PictureFile)
    assert lazy.images.shape == eager.images.shape
    assert np.array_equal(np.asarray(lazy.images), eager.images)
    assert np.array_equal(lazy.target, eager.target)
    assert list(lazy.filenames) == list(eager.filenames)
    assert lazy.class_names == eager.class_names
    assert lazy.DESCR == eager.DESCR


def test_picture_file_indexes_like_an_array(opened, folder):
    pictures = opened.images
    eager = load_image_folder(folder, image_size=(32, 32)).images
    assert len(pictures) == 36 and pictures.dtype == np.uint8 and pictures.ndim == 4
    assert pictures.nbytes == eager.nbytes
    assert repr(pictures) == "PictureFile(36 pictures of 32x32)"
    assert np.array_equal(pictures[5], eager[5])
    assert np.array_equal(pictures[-1], eager[-1])
    assert np.array_equal(pictures[3:9:2], eager[3:9:2])
    assert np.array_equal(pictures[[7, 0, 7]], eager[[7, 0, 7]])
    mask = np.arange(36) % 5 == 0
    assert np.array_equal(pictures[mask], eager[mask])
    assert np.array_equal(pictures[2, :4, :4], eager[2, :4, :4])
    assert np.array_equal(pictures[1:3, :4, 2], eager[1:3, :4, 2])
    assert np.array_equal(pictures[[0, 4], 1], eager[[0, 4], 1])
    assert pictures[[]].shape == (0, 32, 32, 3)
    view = pictures.take([9, 1, 30])
    assert len(view) == 3 and view.shape == (3, 32, 32, 3)
    assert np.array_equal(view[1:], eager[[1, 30]])
    assert np.array_equal(np.concatenate(list(view.batches(2))), eager[[9, 1, 30]])
    assert np.array_equal(np.stack(list(view)), eager[[9, 1, 30]])


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (36, "Index 36 is out of range for 36 pictures."),
        ([0, -37], "Index -37 is out of range for 36 pictures."),
        (np.array([0.5]), "Received: indices of dtype float64"),
        (np.ones(3, dtype=bool), r"per picture \(36\). Received: shape \(3,\)"),
    ],
)
def test_picture_file_names_a_bad_index(opened, index, message):
    with pytest.raises(IndexError, match=message):
        opened.images[index]


def test_the_decoded_file_goes_with_its_last_reader(folder, tmp_path):
    data = open_image_folder(folder, image_size=(16, 16), temp_dir=tmp_path)
    made = os.path.dirname(data.images.path)
    assert os.path.dirname(made) == os.fspath(tmp_path)
    assert os.path.getsize(data.images.path) == 36 * 16 * 16 * 3
    view = data.images.take([0, 1])
    del data
    gc.collect()
    assert os.path.isdir(made), "a view still reads the file"
    assert view[0].shape == (16, 16, 3)
    del view
    gc.collect()
    assert not os.path.exists(made)
    again = open_image_folder(folder, image_size=(16, 16), temp_dir=tmp_path)
    again.images.close()
    assert os.listdir(tmp_path) == []


def test_open_image_folder_skips_a_corrupt_picture_and_leaves_no_file(folder, tmp_path):
    bad = tmp_path / "set"
    for name in os.listdir(folder):
        (bad / name).mkdir(parents=True)
        for file in sorted(os.listdir(folder / name))[:3]:
            (bad / name / file).write_bytes((folder / name / file).read_bytes())
    broken = bad / name / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.warns(SkippedFilesWarning, match="broken.png"):
        data = open_image_folder(bad, image_size=(16, 16), temp_dir=scratch)
    assert len(data.images) == 9
    assert any("broken.png" in path for path, _ in data.skipped)
    data.images.close()
    # A class with no readable picture fails, and the half-written file goes.
    for file in os.listdir(bad / name):
        (bad / name / file).write_bytes(b"not a picture")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFilesWarning)
        with pytest.raises(ValueError, match="holds no readable picture"):
            open_image_folder(bad, image_size=(16, 16), temp_dir=scratch)
    assert os.listdir(scratch) == []


def _rows(result):
    return [
        {k: row[k] for k in ("model", "test_accuracy", "train_accuracy", "test_loss")}
        for row in result.table
    ]


def test_a_streamed_comparison_gives_the_in_memory_table(opened, folder):
    """The SVMs and the frozen head read the same pictures either way."""
    models = ["pixels_svm", "color_histogram_svm", "drawn_svm", "drawn_transfer"]
    kwargs = dict(models=models, epochs=2, verbose=0)
    streamed = compare_models(opened, **kwargs)
    in_memory = compare_models(load_image_folder(folder, image_size=(32, 32)), **kwargs)
    assert streamed.split["streamed"] and not in_memory.split["streamed"]
    assert _rows(streamed) == _rows(in_memory)


def test_a_streamed_network_trains_on_batches_read_from_disk(opened, tmp_path):
    result = compare_models(
        opened,
        models=["two_layer_cnn"],
        epochs=1,
        verbose=0,
        out_dir=tmp_path / "run",
    )
    (row,) = result.table
    assert row["epochs_run"] == 1 and 0 <= row["test_accuracy"] <= 1
    assert row["n_test"] == 11 and row["n_val"] == 5
    assert (tmp_path / "run" / "figures" / "mistakes_two_layer_cnn.png").is_file()


def test_a_streamed_fine_tune_reads_the_pictures_in_its_second_phase(opened):
    from animecls._engine import Workspace, fit_and_score, resolve_models

    space = Workspace(
        opened,
        weights=None,
        weights_label="none",
        seed=0,
        epochs=1,
        cache_dir=None,
    )
    assert space.streaming
    split = datasets.split_indices(opened.target, random_state=0)
    (entry,) = resolve_models(["drawn_transfer"])
    outcome = fit_and_score(
        entry,
        space,
        split.train,
        split.test,
        split.validation,
        seed=0,
        options={"finetune": True},
    )
    assert outcome.row["epochs_run"] == 2
    assert len(outcome.evaluation.y_pred) == len(split.test)


def test_a_large_folder_path_streams_by_itself(folder, monkeypatch):
    monkeypatch.setattr(datasets, "STREAM_ABOVE", 35)
    result = compare_models(
        folder, image_size=(32, 32), models=["pixels_svm"], verbose=0
    )
    assert result.split["streamed"]
    monkeypatch.setattr(datasets, "STREAM_ABOVE", 36)
    result = compare_models(
        folder, image_size=(32, 32), models=["pixels_svm"], verbose=0
    )
    assert not result.split["streamed"]
    forced = compare_models(
        folder, image_size=(32, 32), models=["pixels_svm"], stream=True, verbose=0
    )
    assert forced.split["streamed"]
    assert _rows(forced) == _rows(result)


def test_stream_must_be_a_bool_or_none():
    with pytest.raises(ValueError, match="Received: stream='yes'"):
        compare_models(models=["pixels_svm"], stream="yes", verbose=0)


def test_the_command_line_streams_on_request(folder, tmp_path, capsys):
    import json

    from animecls.cli import main

    out = tmp_path / "run"
    args = ["compare", str(folder), "--models", "pixels_svm", "--image-size", "32"]
    assert main([*args, "--stream", "--out", str(out)]) == 0
    assert json.loads((out / "run.json").read_text())["streamed"] is True
    assert "pixels_svm" in capsys.readouterr().out
