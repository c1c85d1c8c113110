import subprocess
import sys

import pytest

from animecls import __version__
from animecls.cli import build_parser, main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: animecls" in out and "data" in out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert __version__ in capsys.readouterr().out


def test_console_script_module_runs():
    out = subprocess.run(
        [sys.executable, "-m", "animecls.cli", "data", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "make" in out.stdout and "info" in out.stdout


def test_data_make_then_info(tmp_path, capsys):
    target = tmp_path / "characters"
    status = main(
        ["data", "make", str(target), "--n-per-class", "3", "--image-size", "64"]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "Wrote 9 images" in out
    folders = sorted(p.name for p in target.iterdir())
    assert folders == ["Marin Kitagawa", "Micchon Shikimori", "Yor Forger"]
    assert all(len(list((target / f).iterdir())) == 3 for f in folders)

    assert main(["data", "info", str(target)]) == 0
    out = capsys.readouterr().out
    for name in folders:
        assert name in out
    assert "64" in out


def test_data_info_reports_skipped_files(tmp_path, capsys):
    target = tmp_path / "characters"
    main(["data", "make", str(target), "--n-per-class", "2", "--image-size", "32"])
    (target / "Yor Forger" / "notes.txt").write_text("not a picture")
    capsys.readouterr()
    assert main(["data", "info", str(target)]) == 0
    assert "notes.txt" in capsys.readouterr().out


def test_data_info_missing_folder_is_a_clean_error(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["data", "info", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error:") and "nowhere" in err
    assert "Traceback" not in err


def test_data_make_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "characters"
    args = ["data", "make", str(target), "--n-per-class", "2", "--image-size", "32"]
    assert main(args) == 0
    before = {p: p.read_bytes() for p in target.rglob("*.png")}
    assert main(args) == 1
    assert "animecls: error:" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in target.rglob("*.png")} == before


@pytest.mark.parametrize("bad", ["0", "abc", "64x", "1x2x3"])
def test_bad_image_size_is_rejected(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["data", "make", "out", "--image-size", bad])
    assert exit_info.value.code == 2
    assert f"Received: {bad!r}" in capsys.readouterr().err


def test_unknown_difficulty_is_a_clean_error(tmp_path, capsys):
    status = main(["data", "make", str(tmp_path / "x"), "--difficulty", "extreme"])
    assert status == 1
    assert "extreme" in capsys.readouterr().err


@pytest.fixture
def tiny_folder(tmp_path):
    from animecls.datasets import make_characters

    folder = tmp_path / "tiny"
    make_characters(8, image_size=(32, 32), directory=folder)
    return folder


def test_compare_writes_a_run_folder_and_prints_the_table(
    tiny_folder, tmp_path, capsys
):
    out = tmp_path / "run"
    argv = ["compare", str(tiny_folder), "--image-size", "32", "--epochs", "1"]
    argv += ["--weights", "none", "--models", "two_layer_cnn,pixels_svm"]
    assert main(argv + ["--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "| two_layer_cnn |" in captured.out and "| pixels_svm |" in captured.out
    assert "[1/2] two_layer_cnn" in captured.err
    assert (out / "results.csv").exists() and (
        out / "figures" / "comparison.png"
    ).exists()

    # A second run into the same folder is refused, and the first run is intact.
    before = (out / "results.csv").read_bytes()
    assert main(argv + ["--out", str(out)]) == 1
    assert "never writes into an earlier run folder" in capsys.readouterr().err
    assert (out / "results.csv").read_bytes() == before


def test_compare_bad_model_name_is_a_clean_error(tiny_folder, capsys):
    assert main(["compare", str(tiny_folder), "--models", "resnet"]) == 1
    err = capsys.readouterr().err
    assert "Received: models=['resnet']" in err and "Traceback" not in err


def test_compare_offline_imagenet_is_a_clean_error(
    tiny_folder, tmp_path, capsys, monkeypatch
):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")  # as get_file raises

    monkeypatch.setattr("keras.utils.get_file", offline)
    argv = ["compare", str(tiny_folder), "--image-size", "32", "--models", "vgg16_svm"]
    assert main(argv + ["--weights", "imagenet", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error:") or "animecls: error:" in err
    assert "Three ways out" in err and "Traceback" not in err
