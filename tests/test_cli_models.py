import hashlib

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from PIL import Image  # noqa: E402

from animecls import _weights  # noqa: E402
from animecls.cli import main  # noqa: E402
from animecls.embeddings import ColorHistogram, make_embedding_svm  # noqa: E402
from animecls.models import build_two_layer_cnn, save_model  # noqa: E402

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
        pipeline, tmp_path / "svm.npz", class_names=NAMES, image_size=(20, 20)
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
