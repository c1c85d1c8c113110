import functools
import inspect
import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.utils import Bunch

keras = pytest.importorskip("keras")

from animecls.checks import (  # noqa: E402
    Finding,
    ModelCheckError,
    ModelCheckReport,
    check_model,
    shuffled_labels_test,
)
from animecls.models import (  # noqa: E402
    VGG16Preprocess,
    build_two_layer_cnn,
    build_vgg16_transfer,
)


def _codes(report):
    return [finding.code for finding in report]


def _shuffled_target(n, n_classes=3, seed=0):
    return np.random.default_rng(seed).permutation(np.arange(n) % n_classes)


def _small_cnn():
    return build_two_layer_cnn((32, 32, 3), pooling="avg")


def _pictures(n, size=32, channels=3):
    return np.zeros((n, size, size, channels), dtype=np.uint8)


def _vgg16_without_preprocessing(front=None, size=32):
    base = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(size, size, 3)
    )
    inputs = keras.Input((size, size, 3))
    x = inputs if front is None else front(inputs)
    x = keras.layers.Flatten()(base(x))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


# ------------------------------------------------------------ report's models


def test_report_cnn_flags_parameters_per_picture_and_names_the_dense_layer():
    model = build_two_layer_cnn()  # 250x250, 62,990,275 parameters
    data = (_pictures(129, 250), _shuffled_target(129))
    report = check_model(model, data, validation=0.2)
    assert _codes(report) == ["AC008"]
    (finding,) = report
    assert finding.severity == "warning"
    per_picture = round(62_990_275 / 103)  # Keras keeps 103 of 129 for training
    assert f"{per_picture:,} per picture" in finding.message
    assert re.search(
        r"Dense 'dense', holds 62,980,352 of them \(99\.98%\)", str(finding)
    )
    assert "246,016 numbers of Flatten 'flatten'" in finding.message
    # The threshold is called what it is, and the measurement is named.
    assert "warning threshold of 10,000" in finding.message
    assert "a convention" in finding.message and "not a proven limit" in str(finding)
    assert "rule-of-thumb" not in finding.message
    assert "shuffled_labels_test measures it" in finding.message
    assert "more features than pictures fits any labels" in finding.message


def test_global_pooling_cnn_passes_every_check():
    data = (_pictures(129, 250), _shuffled_target(129))
    report = check_model(build_two_layer_cnn(pooling="avg"), data, validation=0.2)
    assert report == []
    assert str(report) == "check_model: no problems found."


def test_report_vgg16_with_sigmoid_and_categorical_crossentropy_is_an_error():
    model = build_vgg16_transfer(weights=None, output_activation="sigmoid")
    model.compile(loss="categorical_crossentropy")
    report = check_model(model)
    assert _codes(report) == ["AC001"]
    assert report[0].severity == "error"
    assert re.search(r"3 sigmoid units .* categorical cross-entropy", str(report[0]))
    assert 'activation="softmax"' in report[0].message


def test_report_vgg16_flags_its_flatten_head_with_the_report_data():
    model = build_vgg16_transfer(weights=None, output_activation="sigmoid")
    data = Bunch(images=_pictures(129, 256), target=_shuffled_target(129))
    report = check_model(model, data, validation=0.2)
    assert _codes(report) == ["AC001", "AC008"]
    assert report[0].severity == "warning"  # uncompiled: the loss is unknown
    assert "32,768 numbers of Flatten" in report[1].message


def test_correct_vgg16_transfer_passes():
    model = build_vgg16_transfer((32, 32, 3), weights=None, head="avg")
    model.compile(loss="categorical_crossentropy")
    assert check_model(model, (_pictures(60), _shuffled_target(60))) == []


# ------------------------------------------------------------ AC001


@pytest.mark.parametrize(
    ("units", "activation", "loss", "message"),
    [
        (3, "softmax", "binary_crossentropy", r"binary accuracy .* 0\.67 with 3"),
        (1, "softmax", None, "softmax over a single unit, which is always 1.0"),
        (3, None, "categorical_crossentropy", r"no activation .*from_logits=False"),
        (
            3,
            "sigmoid",
            keras.losses.CategoricalCrossentropy(),
            "report's Model 2 mistake",
        ),
    ],
)
def test_output_activation_that_does_not_fit_the_loss_is_an_error(
    units, activation, loss, message
):
    inputs = keras.Input((4,))
    model = keras.Model(
        inputs, keras.layers.Dense(units, activation=activation)(inputs)
    )
    if loss is not None:
        model.compile(loss=loss)
    report = check_model(model)
    assert _codes(report) == ["AC001"]
    assert report[0].severity == "error"
    assert re.search(message, report[0].message)


@pytest.mark.parametrize(
    ("activation", "loss"),
    [
        ("sigmoid", "binary_crossentropy"),  # multi-label, on purpose
        ("softmax", "categorical_crossentropy"),
        (None, keras.losses.CategoricalCrossentropy(from_logits=True)),
        ("softmax", None),
    ],
)
def test_output_activation_that_fits_the_loss_is_silent(activation, loss):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation=activation)(inputs))
    if loss is not None:
        model.compile(loss=loss)
    assert check_model(model) == []


def test_separate_softmax_layer_counts_as_softmax_output():
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3)(inputs)
    model = keras.Model(inputs, keras.layers.Softmax()(x))
    model.compile(loss="binary_crossentropy")
    assert _codes(check_model(model)) == ["AC001"]


# ------------------------------------------------------------ AC002


def test_vgg16_base_without_preprocessing_is_an_error():
    report = check_model(_vgg16_without_preprocessing())
    assert _codes(report) == ["AC002"]
    assert report[0].severity == "error"
    assert re.search(r"VGG16 base but no preprocessing .* BGR .* mean", str(report))
    assert "vgg16_preprocessing()" in report[0].message


def test_flat_vgg16_model_without_preprocessing_is_an_error():
    base = keras.applications.VGG16(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    x = keras.layers.Flatten()(base.output)
    model = keras.Model(base.input, keras.layers.Dense(3, activation="softmax")(x))
    report = check_model(model, (_pictures(60), _shuffled_target(60)))
    assert "AC002" in _codes(report)
    assert "the model's input is the base's input" in report[0].message
    assert "pictures given are not preprocessed" in report[0].message


def test_vgg16_with_rescaling_only_is_a_warning():
    front = keras.layers.Rescaling(1.0 / 255)
    report = check_model(_vgg16_without_preprocessing(front))
    assert _codes(report) == ["AC002"]
    assert report[0].severity == "warning"
    assert "Rescaling layer only" in report[0].message


@pytest.mark.parametrize(
    "front",
    [
        VGG16Preprocess,
        lambda: keras.layers.Lambda(keras.applications.vgg16.preprocess_input),
    ],
)
def test_vgg16_with_preprocessing_layer_is_silent(front):
    assert check_model(_vgg16_without_preprocessing(front())) == []


def test_vgg16_fed_preprocessed_pictures_is_silent():
    images = keras.applications.vgg16.preprocess_input(
        np.full((60, 32, 32, 3), 50.0, dtype="float32")
    )
    model = _vgg16_without_preprocessing()
    model.compile(loss="categorical_crossentropy")
    report = check_model(model, (np.asarray(images), _shuffled_target(60)))
    assert "AC002" not in _codes(report)


# ------------------------------------------------------------ AC003-AC005


def test_input_size_that_differs_from_the_pictures_is_an_error():
    report = check_model(_small_cnn(), _pictures(60, size=64))
    assert _codes(report) == ["AC003"]
    assert re.search(
        r"built for 32x32 pictures but the pictures are 64x64", str(report)
    )
    assert "image_size=(32, 32)" in report[0].message


def test_channel_count_mismatch_is_an_error():
    report = check_model(_small_cnn(), _pictures(60, channels=1))
    assert _codes(report) == ["AC004"]
    assert "takes 3 channel(s) but the pictures have 1" in report[0].message


def test_pictures_that_are_not_a_batch_of_images_are_an_error():
    report = check_model(_small_cnn(), np.zeros((60, 32, 32)))
    assert _codes(report) == ["AC003"]
    assert "cannot be fed as they are" in report[0].message


def test_output_units_that_differ_from_the_classes_are_an_error():
    report = check_model(_small_cnn(), (_pictures(60), _shuffled_target(60, 4)))
    assert _codes(report) == ["AC005"]
    assert re.search(r"3 output units but the targets hold 4 classes", str(report))
    assert "num_classes=4" in report[0].message


def test_class_names_and_one_hot_targets_give_the_class_count():
    images = _pictures(60)
    one_hot = np.eye(3)[_shuffled_target(60)]
    assert check_model(_small_cnn(), (images, one_hot)) == []
    names_only_two = Bunch(
        images=images, target=_shuffled_target(60), class_names=["a", "b"]
    )
    assert _codes(check_model(_small_cnn(), names_only_two)) == ["AC005"]


def test_one_sigmoid_unit_for_two_classes_is_silent():
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(loss="binary_crossentropy")
    assert check_model(model, (_pictures(60), _shuffled_target(60, 2))) == []


# ------------------------------------------------------------ AC006-AC007


def test_targets_sorted_by_class_with_keras_validation_split_are_an_error():
    target = np.repeat([0, 1, 2], 20)
    report = check_model(_small_cnn(), (_pictures(60), target), validation=0.2)
    assert _codes(report) == ["AC006", "AC007"]
    assert report[0].severity == "error"
    assert "sorted by class" in report[0].message
    assert re.search(r"last 12 of 60 targets.* \[0, 1\] never appear", str(report[1]))


def test_validation_pair_with_skewed_class_mix_is_a_warning():
    target = _shuffled_target(60)
    y_val = np.array([0] * 10 + [1, 2])
    report = check_model(
        _small_cnn(), (_pictures(60), target), validation=(_pictures(12), y_val)
    )
    assert _codes(report) == ["AC007"]
    assert re.search(
        r"class 0 makes 83% of it against 33% .* gap of 0\.50", str(report)
    )


def test_representative_validation_pair_is_silent():
    y_val = np.array([0, 1, 2] * 4)
    report = check_model(
        _small_cnn(),
        (_pictures(60), _shuffled_target(60)),
        validation=(_pictures(12), y_val),
    )
    assert report == []


def test_max_proportion_gap_sets_the_threshold():
    y_val = np.array([0] * 6 + [1] * 3 + [2] * 3)  # gap 0.17
    data = (_pictures(60), _shuffled_target(60))
    validation = (_pictures(12), y_val)
    assert check_model(_small_cnn(), data, validation=validation) == []
    report = check_model(
        _small_cnn(), data, validation=validation, max_proportion_gap=0.1
    )
    assert _codes(report) == ["AC007"]


# ------------------------------------------------------------ AC008 and API


def test_parameters_per_picture_threshold_is_a_keyword():
    data = (_pictures(60), _shuffled_target(60))
    model = _small_cnn()
    per_picture = model.count_params() / 60
    assert check_model(model, data) == []
    report = check_model(model, data, max_params_per_image=per_picture / 2)
    assert _codes(report) == ["AC008"]
    assert f"{per_picture:,.0f} per picture" in report[0].message


@pytest.mark.parametrize(
    ("threshold", "shown"), [(100, "100"), (400.4, "400"), (0.5, "0.5")]
)
def test_custom_threshold_is_named_as_the_users_not_the_default(threshold, shown):
    data = (_pictures(60), _shuffled_target(60))
    report = check_model(_small_cnn(), data, max_params_per_image=threshold)
    (finding,) = report
    assert (
        f"above your warning threshold of {shown} (max_params_per_image; "
        "check_model's default is 10,000)." in finding.message
    )
    # The default's provenance is not claimed for the user's value.
    assert "a convention" not in finding.message
    assert "VGG16 trains per ImageNet picture" not in finding.message
    assert "check_model's warning threshold" not in finding.message


def test_default_threshold_passed_explicitly_keeps_its_provenance():
    model = build_two_layer_cnn()  # 250x250, far above the default
    data = (_pictures(103, 250), _shuffled_target(103))
    (finding,) = check_model(model, data, max_params_per_image=10_000.0)
    assert "check_model's warning threshold of 10,000" in finding.message
    assert "a convention, about 100 times what VGG16 trains" in finding.message


def test_check_model_notes_cite_where_the_threshold_comes_from():
    # inspect.getdoc: Python 3.13 strips the docstring's indentation itself.
    notes = inspect.getdoc(check_model).split("Notes\n-----")[1]
    notes = " ".join(notes.split())
    assert "a convention, not a theorem" in notes
    # VGG16 per ImageNet picture, the anchor of the default 10,000.
    assert "Very Deep Convolutional Networks for Large-Scale Image" in notes
    assert "ImageNet Large Scale Visual Recognition Challenge" in notes
    assert f"about {round(138_357_544 / 1_281_167)} per picture" in notes
    # Why no parameters-per-picture line separates memorising from not.
    assert "What Size Net Gives Valid Generalization?" in notes
    assert "Understanding deep learning requires rethinking generalization" in notes
    assert "2n + d weights" in notes and f"{2 * 103 + 512} weights" in notes
    assert "Systems of Linear Inequalities" in notes
    assert "[`shuffled_labels_test`][animecls.checks.shuffled_labels_test]" in notes


def test_a_linear_svm_with_15_parameters_per_picture_fits_random_labels():
    """The Notes' example: 512 features per picture, 103 pictures, 3 classes."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    rng = np.random.default_rng(0)
    features = rng.normal(size=(103, 512))
    labels = _shuffled_target(103)  # no relation to the features at all
    svm = make_pipeline(StandardScaler(), SVC(kernel="linear")).fit(features, labels)
    coefficients = svm[-1].coef_.size + svm[-1].intercept_.size
    assert coefficients == 3 * 513
    assert round(coefficients / 103) == 15
    assert svm.score(features, labels) == 1.0  # memorised, as Cover's theorem says


def test_raise_on_error_raises_with_the_whole_report():
    target = np.repeat([0, 1, 2], 20)
    with pytest.raises(ModelCheckError, match="AC006 \\[error\\]") as info:
        check_model(
            _small_cnn(), (_pictures(60), target), validation=0.2, raise_on="error"
        )
    assert _codes(info.value.report) == ["AC006", "AC007"]
    assert isinstance(info.value, ValueError)


def test_raise_on_ignores_less_severe_findings():
    target = np.repeat([0, 1, 2], 20)
    report = check_model(_small_cnn(), (_pictures(60), target[::-1]), raise_on="error")
    assert report == []
    warning_only = (_pictures(60), _shuffled_target(60))
    validation = (_pictures(12), np.array([0] * 10 + [1, 2]))
    report = check_model(
        _small_cnn(), warning_only, validation=validation, raise_on="error"
    )
    assert [f.severity for f in report] == ["warning"]
    with pytest.raises(ModelCheckError, match="AC007"):
        check_model(
            _small_cnn(), warning_only, validation=validation, raise_on="warning"
        )


def test_report_is_a_list_with_a_readable_summary():
    report = check_model(
        _small_cnn(), (_pictures(60), np.repeat([0, 1, 2], 20)), validation=0.2
    )
    assert isinstance(report, ModelCheckReport) and isinstance(report, list)
    assert all(isinstance(f, Finding) for f in report)
    assert len(report.errors) == 1 and len(report.warnings) == 1 and not report.infos
    lines = str(report).splitlines()
    assert lines[0] == "check_model: 1 error(s), 1 warning(s), 0 info(s)"
    assert lines[1].startswith("- AC006 [error] ")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"raise_on": "fatal"}, ValueError, "Received: raise_on='fatal'"),
        ({"max_params_per_image": 0}, ValueError, "Received: max_params_per_image=0"),
        ({"max_proportion_gap": 1.5}, ValueError, "Received: max_proportion_gap=1.5"),
        ({"validation": 1.5}, ValueError, "Received: validation=1.5"),
        ({"validation": (1, 2, 3)}, ValueError, "Received: validation of length 3"),
        (
            {"data": (np.zeros((5, 32, 32, 3)), np.zeros(4, int))},
            ValueError,
            r"Received: images.shape=\(5, 32, 32, 3\), target.shape=\(4,\)",
        ),
    ],
)
def test_check_model_rejects_bad_arguments(kwargs, error, message):
    kwargs.setdefault("data", (_pictures(60), _shuffled_target(60)))
    with pytest.raises(error, match=message):
        check_model(_small_cnn(), **kwargs)


def test_check_model_rejects_what_is_not_a_built_keras_model():
    with pytest.raises(TypeError, match="Received: model of type builtins.str"):
        check_model("model.keras")
    with pytest.raises(ValueError, match="Received: unbuilt model"):
        check_model(keras.Sequential([keras.layers.Dense(3)]))


def test_importing_checks_does_not_import_tensorflow():
    code = "import sys, animecls.checks; print('tensorflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# ------------------------------------------------------------ shuffled labels


def test_flatten_cnn_memorises_shuffled_labels_while_held_out_stays_at_chance():
    images = np.random.default_rng(0).integers(0, 256, (60, 32, 32, 3), dtype=np.uint8)
    target = np.arange(60) % 3
    build = functools.partial(build_two_layer_cnn, (32, 32, 3))
    result = shuffled_labels_test(build, images, target, epochs=30)
    assert result.verdict == "memorises"
    assert result.train_accuracy >= 0.9
    low, high = result.held_out_interval
    assert low <= result.chance_level <= high
    assert result.chance_level == pytest.approx(1 / 3)
    assert (result.n_train, result.n_held_out) == (42, 18)
    assert len(result.history.history["val_accuracy"]) == 30
    assert re.search(r"memorises: it fits \d+% of 42 randomly permuted", result.message)


def test_tiny_linear_model_does_not_memorise_and_any_builder_works():
    def build():
        inputs = keras.Input((8, 8, 3))
        x = keras.layers.GlobalAveragePooling2D()(
            keras.layers.Rescaling(1 / 255)(inputs)
        )
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))

    images = np.random.default_rng(1).integers(0, 256, (60, 8, 8, 3), dtype=np.uint8)
    result = shuffled_labels_test(
        build, images, np.arange(60) % 3, epochs=3, recipe="two_layer_cnn"
    )
    assert result.verdict == "does not memorise"
    assert result.train_accuracy < 0.9
    assert "fits only" in result.message


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((_pictures(5), np.zeros(4, int)), {}, ValueError, r"target.shape=\(4,\)"),
        ((_pictures(6), np.arange(6) % 3), {"test_size": 0}, ValueError, "test_size=0"),
        (
            (_pictures(6), np.arange(6) % 3),
            {"memorise_accuracy": 2},
            ValueError,
            "memorise_accuracy=2",
        ),
    ],
)
def test_shuffled_labels_test_rejects_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=f"Received: .*{message}"):
        shuffled_labels_test(_small_cnn, *args, **kwargs)


def test_shuffled_labels_test_needs_a_builder():
    with pytest.raises(TypeError, match="Received: build_model of type Functional"):
        shuffled_labels_test(_small_cnn(), _pictures(6), np.arange(6) % 3)
