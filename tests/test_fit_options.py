"""fit_model takes what keras.Model.fit users pass: datasets, class weights."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from animecls.datasets import image_dataset_from_folder, make_characters  # noqa: E402
from animecls.models import build_two_layer_cnn, get_info  # noqa: E402
from animecls.training import fit_model  # noqa: E402


def _pictures(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), np.arange(n) % 3


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return build_two_layer_cnn((32, 32, 3), pooling="avg", dense_units=8)


class _Batches(keras.utils.PyDataset):
    """Batches of 4 pictures with integer labels, as a student would write it."""

    def __init__(self, x, y, batch_size=4):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]


# ------------------------------------------------------------------ datasets


def test_a_tf_data_pipeline_trains_as_the_same_arrays_do():
    x, y = _pictures()
    arrays = fit_model(
        _model(),
        x[:16],
        y[:16],
        batch_size=4,
        validation_data=(x[16:], y[16:]),
        shuffle=False,
        epochs=2,
        verbose=0,
    )
    train = tf.data.Dataset.from_tensor_slices((x[:16], y[:16])).batch(4)
    val = tf.data.Dataset.from_tensor_slices((x[16:], y[16:])).batch(4)
    model = _model()
    streamed = fit_model(model, train, validation_data=val, epochs=2, verbose=0)
    # Same batches in the same order from the same initial weights.
    for name, values in arrays.history.items():
        np.testing.assert_allclose(streamed.history[name], values, rtol=1e-5)
    assert streamed.n_val == arrays.n_val == 4
    training = get_info(model)["training"]
    assert training["mode"] == "images"
    assert training["batch_size"] is None and training["validation_split"] == 0.0


def test_one_hot_labels_and_a_pydataset_train_too():
    x, y = _pictures(12)
    rows = keras.utils.to_categorical(y, 3)
    one_hot = tf.data.Dataset.from_tensor_slices((x, rows)).batch(4)
    history = fit_model(_model(), one_hot, validation_data=one_hot, epochs=1, verbose=0)
    assert history.n_val == 12
    # A PyDataset of class numbers, validated on arrays and on a PyDataset.
    history = fit_model(
        _model(),
        _Batches(x, y),
        validation_data=_Batches(x[:6], y[:6]),
        epochs=1,
        verbose=0,
    )
    assert history.n_val == 6
    history = fit_model(
        _model(), _Batches(x, y), validation_data=(x, y), epochs=1, verbose=0
    )
    assert history.n_val == 12


def test_a_folder_streamed_by_image_dataset_from_folder_trains(tmp_path, recwarn):
    folder = tmp_path / "characters"
    make_characters(6, image_size=(32, 32), directory=folder)
    options = dict(image_size=(32, 32), batch_size=4, test_size=0.3, random_state=0)
    train = image_dataset_from_folder(folder, subset="train", **options)
    test = image_dataset_from_folder(folder, subset="test", **options)
    model = _model()
    history = fit_model(
        model, train, validation_data=test, epochs=2, early_stopping=1, verbose=0
    )
    # Every test picture validated; Keras' "ran out of data" on a stream of
    # unknown length would have failed the test (warnings are errors).
    assert history.n_val == len(test.file_paths) == 6
    assert not recwarn.list
    assert get_info(model)["training"]["early_stopping"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": np.zeros(8, int)}, "y must be None. Received: y of type ndarray"),
        ({"batch_size": 4}, "batch_size must be None. Received: batch_size=4"),
        (
            {"validation_split": 0.2},
            "Pass validation_data .* Received: validation_split=0.2 with a dataset",
        ),
        (
            {"validation_data": [1, 2, 3]},
            "Received: validation_data of type list",
        ),
    ],
)
def test_a_dataset_refuses_what_it_answers_itself(kwargs, message):
    x, y = _pictures(8)
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match=message):
        fit_model(_model(), batches, epochs=1, verbose=0, **kwargs)


def _dataset(x, y):
    return tf.data.Dataset.from_tensor_slices((x, y))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda x, y: _dataset(x, y),
            r"call .batch\(32\) on it. Received: batches of shape \(32, 32, 3\)",
        ),
        (
            lambda x, y: _dataset(x[:, :16], y).batch(4),
            r"Received: batches of shape \(None, 16, 32, 3\)",
        ),
        (
            lambda x, y: _dataset(x, keras.utils.to_categorical(y, 4)).batch(4),
            r"have 4 columns but the model has 3 outputs.*"
            r"Received: labels of shape \(None, 4\)",
        ),
        (
            lambda x, y: _dataset(x, y.astype("float32")).batch(4),
            r"Received: labels of shape \(None,\) and dtype float32",
        ),
        (
            lambda x, y: tf.data.Dataset.from_tensor_slices(x).batch(4),
            "must be a dataset of \\(images, labels\\) batches.*Received: a dataset of",
        ),
        (
            lambda x, y: _dataset(x, y).batch(4).repeat(),
            "drop the .repeat\\(\\). Received: a dataset of infinite cardinality",
        ),
    ],
)
def test_bad_datasets_are_refused_before_training(make, message):
    x, y = _pictures(8)
    with pytest.raises(ValueError, match=message):
        fit_model(_model(), make(x, y), epochs=1, verbose=0)
    # The same checks hold for validation data.
    train = _dataset(x, y).batch(4)
    with pytest.raises(ValueError, match=message.replace("x", "validation_data", 0)):
        fit_model(_model(), train, validation_data=make(x, y), epochs=1, verbose=0)


def test_a_class_number_the_model_has_no_output_for_stops_training():
    x, y = _pictures(8)
    # tf.one_hot would make class 3 a row of zeros and train on it silently.
    batches = _dataset(x, y + 1).batch(4)
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"holds a class number outside 0..2 \(the model has 3 outputs\)",
    ):
        fit_model(_model(), batches, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"Received: labels \[1, 2, 3\]"):
        fit_model(_model(), _Batches(x, y + 1), epochs=1, verbose=0)


def test_bad_pydatasets_are_refused():
    x, y = _pictures(8)

    class Endless(_Batches):
        def __len__(self):
            raise NotImplementedError

        @property
        def num_batches(self):
            return None

    with pytest.raises(ValueError, match="x is an infinite PyDataset.*Received: x="):
        fit_model(_model(), Endless(x, y), epochs=1, verbose=0)

    class PicturesOnly(_Batches):
        def __getitem__(self, index):
            return super().__getitem__(index)[0]

    with pytest.raises(
        ValueError, match="must yield \\(images, labels\\) batches. Received: a batch"
    ):
        fit_model(_model(), PicturesOnly(x, y), epochs=1, verbose=0)


def test_arrays_still_need_their_labels():
    x, _ = _pictures(8)
    with pytest.raises(ValueError, match="Received: y=None"):
        fit_model(_model(), x, epochs=1, verbose=0)


# ------------------------------------------------------------- class weights


def _unbalanced(seed=0):
    """16 pictures: 8 of class 0, 4 each of classes 1 and 2."""
    x, _ = _pictures(16, seed)
    return x, np.array([0] * 8 + [1] * 4 + [2] * 4)


def _first_loss(x, y, class_weight, data=None):
    """Epoch 1's loss in one batch, and the weighted loss of the initial model."""
    keras.utils.set_random_seed(0)
    # No dropout: the training loss is then the one of the initial weights.
    model = build_two_layer_cnn((32, 32, 3), pooling="avg", dense_units=8, dropout=0)
    probabilities = model.predict(x, verbose=0)
    losses = -np.log(probabilities[np.arange(len(y)), y])
    options = dict(class_weight=class_weight, epochs=1, verbose=0)
    if data is None:
        history = fit_model(
            model, x, y, batch_size=len(x), validation_split=0.0, **options
        )
    else:
        history = fit_model(model, data, **options)
    weights = np.asarray(history.settings["class_weights"])
    # Keras weighs each picture's loss and divides by the batch size.
    return history, history.history["loss"][0], float(np.mean(weights[y] * losses))


def test_class_weight_weighs_each_pictures_loss():
    x, y = _unbalanced()
    history, loss, expected = _first_loss(x, y, {1: 2.0, 2: 0.5})
    assert loss == pytest.approx(expected, rel=1e-5)
    # Classes not given weigh 1, as in Keras.
    assert history.settings["class_weights"] == [1.0, 2.0, 0.5]
    assert history.settings["class_weight"] == "dict"


def test_balanced_class_weight_is_scikit_learns():
    from sklearn.utils.class_weight import compute_class_weight

    x, y = _unbalanced()
    balanced = compute_class_weight("balanced", classes=np.arange(3), y=y)
    history, loss, expected = _first_loss(x, y, "balanced")
    assert loss == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(history.settings["class_weights"], balanced)
    np.testing.assert_allclose(balanced, [2 / 3, 4 / 3, 4 / 3])
    # A dataset's labels are read from it; one-hot rows count as their class.
    rows = keras.utils.to_categorical(y, 3)
    batches = tf.data.Dataset.from_tensor_slices((x, rows)).batch(16)
    history, loss, expected = _first_loss(x, y, "balanced", batches)
    assert loss == pytest.approx(expected, rel=1e-5)
    np.testing.assert_allclose(history.settings["class_weights"], balanced)
    history, _, _ = _first_loss(x, y, "balanced", _Batches(x, y, batch_size=16))
    np.testing.assert_allclose(history.settings["class_weights"], balanced)


def test_balanced_weights_come_from_the_pictures_trained_on():
    x, y = _unbalanced()
    model = _model()
    # validation_split=0.25 validates on the last 4 pictures (all class 2):
    # the 12 trained on hold 8, 4 and 0 pictures of the classes.
    history = fit_model(
        model, x, y, class_weight="balanced", validation_split=0.25, epochs=1, verbose=0
    )
    # 12 / (2 * 8) and 12 / (2 * 4); the absent class keeps weight 1.
    assert history.settings["class_weights"] == [0.75, 1.5, 1.0]
    training = get_info(model)["training"]
    assert training["class_weight"] == "balanced"
    assert training["class_weights"] == [0.75, 1.5, 1.0]


@pytest.mark.parametrize(
    "class_weight",
    [
        "balance",
        2.0,
        [1.0, 2.0, 3.0],
        {"0": 1.0},
        {True: 1.0},
        {3: 1.0},
        {-1: 1.0},
        {0: -1.0},
        {0: float("nan")},
        {0: float("inf")},
        {0: "1"},
        {0: 0.0, 1: 0.0, 2: 0.0},
    ],
)
def test_bad_class_weights_are_refused(class_weight):
    x, y = _pictures(6)
    message = f"Received: class_weight={class_weight!r}"
    import re

    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        fit_model(_model(), x, y, class_weight=class_weight, epochs=1, verbose=0)


def test_the_transfer_head_takes_class_weight_but_not_a_dataset():
    from animecls.models import build_vgg16_transfer
    from animecls.training import fit_transfer_head

    x, y = _unbalanced()
    model = build_vgg16_transfer((32, 32, 3), weights=None, head="avg")
    history = fit_transfer_head(
        model, x, y, epochs=1, class_weight="balanced", validation_split=0.25
    )
    assert history.settings["class_weights"] == [0.75, 1.5, 1.0]
    with pytest.raises(ValueError, match="Received: class_weight='x'"):
        fit_transfer_head(model, x, y, epochs=1, class_weight="x", verbose=0)
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match="Received: x of type"):
        fit_transfer_head(model, batches, None, epochs=1, verbose=0)


# ----------------------------------------------------------------- callbacks


class _Epochs(keras.callbacks.Callback):
    """Remembers the epochs it saw end."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(epoch + 1)


def test_user_callbacks_run_with_early_stopping():
    x, y = _pictures(20)
    seen = _Epochs()
    model = _model()
    history = fit_model(
        model,
        x,
        y,
        epochs=8,
        learning_rate=1e-2,
        early_stopping=1,
        callbacks=[seen],
        verbose=0,
    )
    assert seen.seen == list(range(1, history.epochs_trained + 1))
    assert history.best_epoch is not None
    assert history.settings["callbacks"] == ["_Epochs"]
    assert get_info(model)["training"]["callbacks"] == ["_Epochs"]


def test_your_own_early_stopping_replaces_the_option():
    x, y = _pictures(20)
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    with pytest.raises(
        ValueError,
        match="not both. Received: early_stopping=2 and callbacks holding "
        "1 EarlyStopping",
    ):
        fit_model(_model(), x, y, early_stopping=2, callbacks=[stopper], verbose=0)
    history = fit_model(
        _model(), x, y, epochs=8, learning_rate=1e-2, callbacks=[stopper], verbose=0
    )
    assert history.epochs_trained == len(history.history["loss"])
    # Which weights it kept is the callback's business, not recorded.
    assert history.best_epoch is None and history.settings["early_stopping"] is None
    assert history.settings["callbacks"] == ["EarlyStopping"]


@pytest.mark.parametrize(
    ("callbacks", "message"),
    [
        (_Epochs(), "put a single one in a list). Received: callbacks=<"),
        ([_Epochs(), "csv"], "Received: a callbacks entry of type str"),
        ("csv", "Received: callbacks='csv'"),
    ],
)
def test_bad_callbacks_are_refused(callbacks, message):
    x, y = _pictures(6)
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        fit_model(_model(), x, y, callbacks=callbacks, epochs=1, verbose=0)
