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


def test_full_disk_is_a_clean_error(tmp_path, monkeypatch, capsys):
    import errno

    import animecls.datasets

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "characters/x.png")

    monkeypatch.setattr(animecls.datasets, "make_characters", no_space)
    target = tmp_path / "characters"
    assert main(["data", "make", str(target), "--n-per-class", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error:") and "No space left" in err
    assert "Traceback" not in err


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


def test_help_lists_the_experiment_and_diagnostic_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("learning-curve", "splits", "remedies", "shortcut"):
        assert command in out
    assert "leakage" in out and "check" in out


# ---------------------------------------------------------------- leakage


def test_leakage_prints_copies_and_saves_the_pairs(tiny_folder, tmp_path, capsys):
    copy = tiny_folder / "Marin Kitagawa" / "copy.png"
    copy.write_bytes((tiny_folder / "Yor Forger" / "0000.png").read_bytes())
    figure = tmp_path / "pairs.png"
    assert main(["leakage", str(tiny_folder), "--out", str(figure)]) == 1
    out = capsys.readouterr().out
    assert "25 pictures in 3 classes" in out and "1 pair of copies (1 exact" in out
    assert (
        "Marin Kitagawa/copy.png ~ Yor Forger/0000.png: exact, distance 0 "
        "(different classes)" in out
    )
    assert "leak_free_split" in out
    assert figure.read_bytes().startswith(b"\x89PNG")


def test_leakage_of_a_clean_folder_exits_0(tiny_folder, capsys):
    assert main(["leakage", str(tiny_folder), "--threshold", "2", "--flips"]) == 0
    out = capsys.readouterr().out
    assert "threshold 2 of 64 bits, mirror images too): 0 pairs" in out


def test_leakage_bad_threshold_is_a_clean_error(tiny_folder, capsys):
    assert main(["leakage", str(tiny_folder), "--threshold", "-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error:") and "Received: threshold=-1" in err


def test_leakage_help_states_the_default_threshold(capsys):
    from animecls.leakage import DEFAULT_THRESHOLD

    with pytest.raises(SystemExit):
        main(["leakage", "--help"])
    assert f"(default: {DEFAULT_THRESHOLD};" in capsys.readouterr().out


# ---------------------------------------------------------------- experiments


def test_learning_curve_prints_the_summary_and_saves_it(tiny_folder, tmp_path, capsys):
    out = tmp_path / "curve"
    argv = ["learning-curve", str(tiny_folder), "--quick", "--seeds", "1"]
    argv += ["--sizes", "2,all", "--models", "pixels_svm", "--out", str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "| pixels_svm | 2 |" in captured.out and "| pixels_svm | 5 |" in captured.out
    assert f"Runs, summary, figure and settings: {out}" in captured.out
    assert "seed 0, 2 per class: pixels_svm" in captured.err
    names = {"runs.csv", "summary.md", "figure.png", "settings.json"}
    assert {p.name for p in out.iterdir()} == names
    assert main(argv) == 1
    assert "already exists" in capsys.readouterr().err


def test_splits_prints_one_row_per_model(tiny_folder, capsys):
    argv = ["splits", str(tiny_folder), "--quick", "--splits", "2"]
    assert main(argv + ["--models", "pixels_svm,color_histogram_svm"]) == 0
    out = capsys.readouterr().out
    assert "| pixels_svm |" in out and "| color_histogram_svm |" in out
    assert "4 runs at 32x32" in out


def test_remedies_runs_the_named_remedies(tiny_folder, capsys):
    argv = ["remedies", str(tiny_folder), "--quick", "--seeds", "1"]
    assert main(argv + ["--remedies", "none", "--epochs", "1"]) == 0
    assert "| none | two_layer_cnn |" in capsys.readouterr().out


def test_remedies_has_no_models_option_to_ignore(capsys):
    # Each remedy names the model it changes; a --models would be ignored.
    with pytest.raises(SystemExit) as exit_info:
        main(["remedies", "--models", "pixels_svm"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --models" in capsys.readouterr().err


def test_shortcut_draws_its_own_data(capsys):
    argv = ["shortcut", "--quick", "--seeds", "1", "--nuisance", "watermark"]
    argv += ["--models", "color_histogram_svm", "--remedies", "weaker_correlation"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for condition in ("control", "shortcut", "weaker_correlation"):
        assert f"| {condition} | color_histogram_svm |" in out


def test_experiment_bad_names_are_clean_errors(tiny_folder, capsys):
    assert main(["remedies", str(tiny_folder), "--remedies", "magic"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error:") and "magic" in err
    assert "Traceback" not in err
    assert main(["splits", str(tiny_folder), "--models", "resnet"]) == 1
    assert "Received: models=['resnet']" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["learning-curve", "--sizes", "5,ten"], "Received: '5,ten'"),
        (["splits", "--models", ","], "Received: ','"),
        (["shortcut", "--nuisance", "logo"], "invalid choice: 'logo'"),
    ],
)
def test_bad_experiment_flags_are_rejected(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["compare", "learning-curve", "splits"])
def test_help_texts_show_plain_percent_signs(command, capsys):
    # argparse %-formats help strings but not descriptions: "%%" would show.
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "%%" not in out and "%" in out


def test_experiment_help_states_the_default_image_size(capsys):
    from animecls.experiments import DEFAULT_IMAGE_SIZE

    with pytest.raises(SystemExit):
        main(["splits", "--help"])
    height, width = DEFAULT_IMAGE_SIZE
    expected = f"(default: {height}," if height == width else f"{height}x{width}"
    assert expected in " ".join(capsys.readouterr().out.split())
