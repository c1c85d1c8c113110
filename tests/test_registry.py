import ast
import pathlib

import pytest

from animecls import registry
from animecls.registry import (
    DEFAULT_MODELS,
    MODELS,
    get_model_spec,
    model_label,
    models_markdown,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_entry_says_what_it_is_and_how_it_is_fitted():
    assert list(MODELS) == [
        "two_layer_cnn",
        "vgg16_transfer",
        "vgg16_svm",
        "drawn_transfer",
        "drawn_svm",
        "pixels_svm",
        "color_histogram_svm",
    ]
    for name, spec in MODELS.items():
        assert spec.name == name
        assert spec.kind in {"keras", "sklearn"}
        assert spec.description and spec.fit and spec.parameters
        module, function = spec.builder.split(":")
        assert module.startswith("animecls.") and function.startswith(
            ("build_", "make_")
        )
        assert spec.file_suffix == (".keras" if spec.kind == "keras" else ".skops")
    assert DEFAULT_MODELS == tuple(MODELS)
    assert {n for n, s in MODELS.items() if s.vgg16_features} == {
        "vgg16_transfer",
        "vgg16_svm",
    }
    assert {n for n, s in MODELS.items() if s.backbone == "drawn"} == {
        "drawn_transfer",
        "drawn_svm",
    }


def test_the_engine_knows_every_strategy_and_the_remedies_every_knob():
    pytest.importorskip("keras")
    from animecls import _engine, experiments

    assert {spec.strategy for spec in MODELS.values()} <= set(_engine._STRATEGIES)
    for name, options in experiments._REMEDY_OPTIONS.values():
        assert set(options) <= set(MODELS[name].knobs)
    assert set(experiments._REMEDY_OPTIONS) == set(experiments.REMEDIES)


def test_unknown_names_are_refused_with_the_list():
    with pytest.raises(ValueError, match=r"Received: 'resnet'"):
        get_model_spec("resnet")
    assert get_model_spec("vgg16_svm") is MODELS["vgg16_svm"]


@pytest.mark.parametrize(
    ("weights", "imagenet", "label"),
    [
        ("none", False, "vgg16_svm (random weights)"),
        ("none (ImageNet unavailable)", True, "vgg16_svm (random weights)"),
        ("imagenet", True, "vgg16_svm (ImageNet weights)"),
        # The library's own tables leave the weights a name implies unsaid.
        ("imagenet", False, "vgg16_svm"),
        ("/tmp/vgg16.h5", True, "vgg16_svm"),
        ("-", True, "vgg16_svm"),
    ],
)
def test_model_label_names_random_and_on_request_imagenet_weights(
    weights, imagenet, label
):
    row = {"model": "vgg16_svm", "weights": weights}
    assert model_label(row, imagenet=imagenet) == label


def test_imagenet_tables_label_their_rows_through_model_label(monkeypatch):
    import importlib.util

    path = ROOT / "docs" / "_scripts" / "imagenet_results.py"
    spec = importlib.util.spec_from_file_location("imagenet_results", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert not hasattr(script, "LABEL")  # no second copy of the words
    row = {"model": "vgg16_transfer", "weights": "imagenet"}
    assert script.with_weights(row)["model"] == "vgg16_transfer (ImageNet weights)"
    monkeypatch.setattr(registry, "model_label", lambda row, imagenet: "from registry")
    assert script.with_weights(row)["model"] == "from registry"


def test_the_docs_model_list_is_generated_from_the_registry():
    committed = (ROOT / "docs" / "_generated" / "models-registry.md").read_text(
        encoding="utf-8"
    )
    assert committed == models_markdown()
    assert models_markdown().count("\n| `") == len(MODELS)


def test_the_registry_is_plain_python():
    tree = ast.parse(pathlib.Path(registry.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"dataclasses"}
