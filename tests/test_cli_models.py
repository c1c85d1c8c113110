import hashlib

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from PIL import Image  # noqa: E402

from animecls import _weights  # noqa: E402
from animecls.cli import main  # noqa: E402
from animecls.embeddings import ColorHistogram, make_embedding_svm  # noqa: E402
from animecls.models import build_two_layer_cnn, save_model  # noqa: E402
from animecls.training import fit_transfer_head  # noqa: E402

NAMES = ["Yor Forger", "Micchon Shikimori", "Marin Kitagawa"]


@pytest.fixture
def pictures(tmp_path):
    folder = tmp_path / "new"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(2):
        picture = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
        Image.fromarray(picture).save(folder / f"p{index}.png")
    return folder


def test_weights_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    source = tmp_path / "copy.h5"
    source.write_bytes(b"weights" * 100)
    monkeypatch.setattr(
        _weights, "VGG16_NOTOP_MD5", hashlib.md5(source.read_bytes()).hexdigest()
    )
    # The size is checked before the hash, so the copy must have the size too.
    monkeypatch.setattr(_weights, "VGG16_NOTOP_SIZE", source.stat().st_size)
    assert main(["weights", "install", str(source)]) == 0
    out = capsys.readouterr().out
    target = tmp_path / "home" / "models" / _weights.VGG16_NOTOP_FILENAME
    assert f"Installed the VGG16 ImageNet weights at {target}" in out
    assert target.read_bytes() == source.read_bytes()


def test_weights_install_refuses_wrong_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    source = tmp_path / "copy.h5"
    source.write_bytes(b"half a file")
    assert main(["weights", "install", str(source)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error: Refusing to install")
    assert "truncated" in err and "Traceback" not in err


def test_predict_prints_names_probabilities_and_weights(tmp_path, pictures, capsys):
    keras.utils.set_random_seed(0)
    model = build_two_layer_cnn((24, 24, 3), pooling="avg", dense_units=4)
    path = save_model(model, tmp_path / "cnn.keras", class_names=NAMES)
    assert main(["predict", path, str(pictures)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Model: {path} (build_two_layer_cnn; weights: none)"
    assert len(lines) == 3
    for line, name in zip(lines[1:], ["p0.png", "p1.png"], strict=True):
        assert name in line
        assert any(f": {character} (" in line for character in NAMES)
        assert line.count("0.") >= 3  # the winner's and the two others' scores


def test_predict_with_pipeline(tmp_path, pictures, capsys):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (15, 20, 20, 3), dtype=np.uint8)
    pipeline = make_embedding_svm(ColorHistogram(bins=2)).fit(x, np.arange(15) % 3)
    path = save_model(
        pipeline, tmp_path / "svm.skops", class_names=NAMES, image_size=(20, 20)
    )
    assert main(["predict", path, str(pictures / "p0.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "sklearn pipeline" in lines[0]
    assert lines[1].split(": ", 1)[1] in NAMES  # no probabilities without calibration


def test_predict_rejects_foreign_file(tmp_path, pictures, capsys):
    bogus = tmp_path / "model.keras"
    bogus.write_text("not a model")
    assert main(["predict", str(bogus), str(pictures)]) == 1
    err = capsys.readouterr().err
    assert "was not saved by animecls" in err or "not a zip archive" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- check


@pytest.fixture
def training_folder(tmp_path):
    from animecls.datasets import make_characters

    folder = tmp_path / "characters"
    make_characters(8, image_size=(32, 32), directory=folder)
    return folder


def test_check_reports_the_reports_mistake_and_exits_1(
    tmp_path, training_folder, capsys
):
    from animecls.models import build_vgg16_transfer

    model = build_vgg16_transfer(
        (32, 32, 3), weights=None, head="avg", output_activation="sigmoid"
    )
    # Trained as the report trained it: categorical cross-entropy.
    x = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    fit_transfer_head(model, x, np.arange(6) % 3, epochs=1, verbose=0)
    path = save_model(model, tmp_path / "sigmoid.keras", class_names=sorted(NAMES))
    assert main(["check", path, str(training_folder)]) == 1
    out = capsys.readouterr().out
    assert f"Model: {path} (build_vgg16_transfer; weights: none)" in out
    assert "(16 pictures at 32x32, 3 classes; test_size 0.3, seed 42)" in out
    assert "validation_split 0.2" in out
    assert "- AC001 [error] The output layer is 3 sigmoid units" in out


def test_check_passes_a_sound_model_and_fail_on_tightens_it(
    tmp_path, training_folder, capsys
):
    model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    path = save_model(model, tmp_path / "cnn.keras", class_names=sorted(NAMES))
    argv = ["check", path, str(training_folder), "--validation-split", "0"]
    assert main(argv) == 0
    assert "check_model: no problems found." in capsys.readouterr().out
    # The Flatten CNN has far more parameters than pictures: a warning.
    model = build_two_layer_cnn((32, 32, 3))
    path = save_model(model, tmp_path / "flat.keras", class_names=sorted(NAMES))
    argv = ["check", path, str(training_folder), "--validation-split", "0"]
    assert main(argv) == 0
    assert "AC008 [warning]" in capsys.readouterr().out
    assert main(argv + ["--fail-on", "warning"]) == 1


def test_check_rejects_a_pipeline_and_a_bad_split(tmp_path, training_folder, capsys):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (15, 20, 20, 3), dtype=np.uint8)
    pipeline = make_embedding_svm(ColorHistogram(bins=2)).fit(x, np.arange(15) % 3)
    path = save_model(
        pipeline, tmp_path / "svm.skops", class_names=NAMES, image_size=(20, 20)
    )
    assert main(["check", path, str(training_folder)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error: check reads Keras networks")
    model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    path = save_model(model, tmp_path / "cnn.keras", class_names=sorted(NAMES))
    argv = ["check", path, str(training_folder), "--validation-split", "1.5"]
    assert main(argv) == 1
    assert "Received: validation=1.5" in capsys.readouterr().err
