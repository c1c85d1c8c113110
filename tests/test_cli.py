import json
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
    # By default only the model of highest validation accuracy is saved, and
    # the last lines say which.
    (best,) = json.loads((out / "run.json").read_text(encoding="utf-8"))["saved_models"]
    (saved,) = (out / "models").iterdir()
    assert saved.stem == best
    assert f"figures/, models/{saved.name}: " in captured.err
    assert captured.out.endswith(
        f"Results, figures, histories and the best model ({best}): {out}\n"
    )
    # ... ready for predict.
    pictures = tiny_folder / "Yor Forger"
    assert main(["predict", str(saved), str(pictures)]) == 0
    printed = capsys.readouterr().out
    assert f"{pictures / '0000.png'}: " in printed

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
    assert "4 runs at 64x64" in out  # the quick preset's size


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
    for command in ("compare", "splits", "remedies", "learning-curve"):
        argv = [command, str(tiny_folder), "--drawn-weights", "old.h5"]
        assert main(argv) == 1, command
        err = capsys.readouterr().err
        assert "Received: drawn_weights='old.h5'" in err, command
        assert "Traceback" not in err


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


# ---------------------------------------------------------------- python -m


def test_python_dash_m_animecls_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "animecls", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"animecls {__version__}"


def test_python_dash_m_animecls_returns_the_exit_status(tmp_path):
    missing = tmp_path / "nowhere"
    out = subprocess.run(
        [sys.executable, "-m", "animecls", "data", "info", str(missing)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and out.stderr.startswith("animecls: error:")


# ---------------------------------------------------------------- registry help


def _help(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["compare", "learning-curve", "splits"])
def test_models_help_lists_the_registry(command, capsys, monkeypatch):
    from animecls import registry

    # A model added to the registry appears in every --models help at once.
    monkeypatch.setitem(
        registry.MODELS,
        "tiny_new_model",
        registry.ModelSpec(
            name="tiny_new_model",
            description="a model the registry just gained",
            kind="sklearn",
            builder="x:y",
            fit="-",
            parameters="-",
            strategy="pipeline",
        ),
    )
    out = " ".join(_help(command, capsys).split())
    names = ", ".join(registry.MODELS)
    assert f"comma-separated subset of: {names} (default:" in out


def test_compare_help_lists_each_model_with_its_description(capsys):
    from animecls.registry import MODELS

    lines = [line.strip() for line in _help("compare", capsys).splitlines()]
    for spec in MODELS.values():
        # One line per model, not run together into a paragraph.
        assert any(
            line.startswith(spec.name) and line.endswith(spec.description)
            for line in lines
        ), spec.name
    text = " ".join(lines)
    assert "--model MODULE:FUNCTION" in text and "package.module:function" in text


# ---------------------------------------------------------------- compare --model

_SKLEARN_MODULE = '''
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer


def _flatten(images):
    # Every 8th pixel: few features, so that the regression converges at once.
    return images[:, ::8, ::8].reshape(len(images), -1) / 255.0


def _pipeline():
    flatten = FunctionTransformer(_flatten)
    return make_pipeline(flatten, LogisticRegression(max_iter=200))


class FlatLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression on the flattened pixels of (n, h, w, 3) pictures."""

    def fit(self, images, target):
        self.pipeline_ = _pipeline().fit(images, target)
        self.classes_ = self.pipeline_.classes_
        return self

    def predict(self, images):
        return self.pipeline_.predict(images)

    def predict_proba(self, images):
        return self.pipeline_.predict_proba(images)


ready = _pipeline()
'''

_KERAS_MODULE = """
import keras


def build(input_shape, num_classes):
    # Uncompiled: compare_models trains it with the report's recipe.
    model = keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    return model
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """Write ``<name>.py`` into a folder, chdir there; forget it afterwards."""
    folder = tmp_path / "mine"
    folder.mkdir()
    monkeypatch.chdir(folder)
    names = []

    def write(name, source):
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
        names.append(name)
        return folder

    yield write
    # Another test may write a module of the same name in another folder.
    for name in names:
        sys.modules.pop(name, None)


def _compare_with(spec, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["compare", "--quick", "--models", "pixels_svm", "--model", spec]
    assert main(argv + ["--out", str(out), "--no-save-models"]) == 0
    assert not (out / "models").exists()
    assert capsys.readouterr().out.endswith(f"Results, figures and histories: {out}\n")
    return (out / "results.md").read_text(encoding="utf-8")


def test_compare_trains_a_scikit_learn_class_of_your_own(user_module, tmp_path, capsys):
    user_module("mysk_class", _SKLEARN_MODULE)
    path = list(sys.path)
    results = _compare_with("mysk_class:FlatLogistic", tmp_path, capsys)
    assert "| pixels_svm |" in results and "| FlatLogistic |" in results
    assert sys.path == path


def test_compare_trains_a_keras_builder_of_your_own(user_module, tmp_path, capsys):
    user_module("mykeras_build", _KERAS_MODULE)
    results = _compare_with("mykeras_build:build", tmp_path, capsys)
    assert "| pixels_svm |" in results and "| build |" in results


def _spy_compare(monkeypatch, options_seen=None):
    """Replace the CLI's compare_models by one that records its models only.

    And the other options of each call in ``options_seen``, if given.
    """
    from sklearn.utils import Bunch

    import animecls.comparison

    calls = []

    def compare_models(data=None, *, models=None, **options):
        calls.append(models)
        if options_seen is not None:
            options_seen.append(options)
        return Bunch(markdown="| table |", run_dir=options["out_dir"], saved_models={})

    monkeypatch.setattr(animecls.comparison, "compare_models", compare_models)
    return calls


def test_compare_passes_named_models_after_the_built_in_ones(
    user_module, tmp_path, monkeypatch, capsys
):
    from animecls.registry import DEFAULT_MODELS

    calls = _spy_compare(monkeypatch)
    user_module("mysk_spy", _SKLEARN_MODULE)
    argv = ["compare", "--out", str(tmp_path / "r")]
    argv += ["--model", "mysk_spy:FlatLogistic", "--model", "mysk_spy:ready"]
    assert main(argv) == 0
    (models,) = calls
    assert models[: len(DEFAULT_MODELS)] == list(DEFAULT_MODELS)
    (first, instance), (second, ready) = models[len(DEFAULT_MODELS) :]
    # A class is instantiated; an estimator object is passed on as it is.
    assert first == "FlatLogistic" and type(instance).__name__ == "FlatLogistic"
    assert second == "ready" and ready is sys.modules["mysk_spy"].ready

    assert (
        main(["compare", "--models", "pixels_svm", "--out", str(tmp_path / "s")]) == 0
    )
    assert calls[-1] == ["pixels_svm"]


@pytest.mark.parametrize(
    ("flags", "save_models"),
    [
        ([], "best"),
        (["--save-models", "best"], "best"),
        (["--save-models", "all"], "all"),
        (["--save-models", "none"], "none"),
        (["--no-save-models"], "none"),  # the flag of earlier versions
    ],
)
def test_compare_save_models_flags(flags, save_models, tmp_path, monkeypatch, capsys):
    seen = []
    _spy_compare(monkeypatch, seen)
    assert main(["compare", "--out", str(tmp_path / "r"), *flags]) == 0
    assert seen[0]["save_models"] == save_models


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--save-models", "some"], "argument --save-models: invalid choice: 'some'"),
        (
            ["--save-models", "all", "--no-save-models"],
            "argument --no-save-models: not allowed with argument --save-models",
        ),
    ],
)
def test_compare_bad_save_models_flags(flags, message, monkeypatch, capsys):
    calls = _spy_compare(monkeypatch)
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", *flags])
    assert exit_info.value.code == 2 and calls == []
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("mybad.build", "package.module:function, such as"),
        ("pixels_svm", "for a built-in model, use --models pixels_svm"),
        ("no_such_module_here:build", "there is no module 'no_such_module_here'"),
        ("mybad.py:build", "name the module, not its file: mybad"),
        ("mybad:biuld", "module 'mybad' has no attribute 'biuld'"),
        ("mybad_imports:build", "could not import mybad_imports: No module named"),
    ],
)
def test_compare_bad_model_spec_is_an_error_before_training(
    spec, problem, user_module, tmp_path, monkeypatch, capsys
):
    calls = _spy_compare(monkeypatch)
    user_module("mybad", "def build(input_shape, num_classes):\n    pass\n")
    user_module("mybad_imports", "import animecls_not_installed_anywhere\n")
    path = list(sys.path)
    assert main(["compare", "--model", spec, "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("animecls: error: --model") and "Traceback" not in err
    assert f"Received: {spec!r}" in err and problem in err
    if "could not import" not in problem:
        assert "package.module:function" in err
    assert calls == [] and sys.path == path


# ---------------------------------------------------------------- predict


@pytest.mark.parametrize(
    ("baseline", "options", "label"),
    [
        ("pixels", {}, "sklearn pipeline; weights: n/a"),
        # A VGG16 pipeline records its weights, as a network does.
        ("vgg16", {"weights": None}, "sklearn pipeline; weights: none"),
    ],
)
def test_predict_names_a_pipeline_and_its_weights(
    baseline, options, label, tmp_path, capsys
):
    import numpy as np
    from PIL import Image

    from animecls.embeddings import make_baseline
    from animecls.models import save_model

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    pipeline = make_baseline(baseline, **options).fit(images, np.arange(6) % 2)
    path = save_model(
        pipeline, tmp_path / "svm.skops", class_names=["a", "b"], image_size=(32, 32)
    )
    Image.fromarray(images[0]).save(tmp_path / "p.png")
    assert main(["predict", path, str(tmp_path / "p.png")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"Model: {path} ({label})"


def test_remedies_defaults_are_measure_remedies_defaults(capsys):
    # The parser writes measure_remedies' defaults out (so that building it
    # imports no scikit-learn); this keeps the two from drifting apart.
    import inspect

    from animecls.cli import build_parser
    from animecls.experiments import measure_remedies

    args = build_parser().parse_args(["remedies"])
    defaults = inspect.signature(measure_remedies).parameters
    assert args.seeds == defaults["n_seeds"].default
    assert args.patience == defaults["patience"].default
    assert args.test_size == defaults["test_size"].default
    from animecls.experiments import REMEDY_MAX_EPOCHS

    with pytest.raises(SystemExit):
        main(["remedies", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"(default: {REMEDY_MAX_EPOCHS}," in help_text
