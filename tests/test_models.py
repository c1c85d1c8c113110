import pytest

keras = pytest.importorskip("keras")

from animecls.models import build_two_layer_cnn  # noqa: E402


def test_two_layer_cnn_matches_report_parameter_count():
    model = build_two_layer_cnn()
    assert model.count_params() == 62_990_275
    assert model.get_layer("dense").count_params() == 62_980_352
    assert model.output_shape == (None, 3)


def test_two_layer_cnn_global_pooling_is_small():
    model = build_two_layer_cnn(pooling="avg")
    names = [layer.name for layer in model.layers]
    assert "global_pool" in names and "flatten" not in names
    assert model.count_params() < 30_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (32, 32)}, "Received: input_shape=(32, 32)"),
        ({"num_classes": 1}, "Received: num_classes=1"),
        ({"pooling": "max"}, "Received: pooling='max'"),
        ({"dropout": 1.0}, "Received: dropout=1.0"),
    ],
)
def test_two_layer_cnn_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_two_layer_cnn(**kwargs)
