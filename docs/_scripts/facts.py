"""Compute the counts the docs' prose quotes, so that no page types one by hand.

Headings and sentences name numbers ("62,990,275 parameters", "103 training
pictures") that tables elsewhere on the site also show. Each is computed here
from the library itself and written to ``docs/_generated/facts.json``; the
``docs/_hooks/facts.py`` hook replaces ``{{ name }}`` in a page with the
value, and fails the build on a name it does not know::

    python docs/_scripts/facts.py

Every value is a count (parameters of a built model, pictures of the
report's split), so it is the same on every machine; the test suite reruns
this script and compares the result with the committed file.
"""

import argparse
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "_generated" / "facts.json"


def _count(value):
    return f"{value:,}"


def compute():
    """Return ``{name: {"value": text, "what": description}}``."""
    from animecls.datasets import make_characters, split_indices
    from animecls.models import build_two_layer_cnn, build_vgg16_transfer

    facts = {}

    def fact(name, value, what):
        facts[name] = {"value": _count(value), "what": what}

    data = make_characters()
    # The report's protocol: stratified 70/30 (seed 42), then Keras'
    # validation_split=0.2 keeps the last 20% of the training part.
    split = split_indices(data, test_size=0.3, validation_split=0.2, random_state=42)
    n_fit, n_val, n_test = len(split.train), len(split.validation), len(split.test)
    fact("report_pictures", len(data.target), "pictures of the report's data set")
    fact("report_train", n_fit + n_val, "the report's training part (70%)")
    fact("report_fit", n_fit, "training pictures the weights are fit on")
    fact("report_val", n_val, "validation pictures (the last 20% of the training part)")
    fact("report_test", n_test, "test pictures (30%)")

    for suffix, size, pooling in (
        ("", 250, "flatten"),
        ("_125", 125, "flatten"),
        ("_avg", 250, "avg"),
    ):
        cnn = build_two_layer_cnn((size, size, 3), 3, pooling=pooling)
        total = cnn.count_params()
        dense = cnn.get_layer("dense").count_params()
        where = f"the report's CNN at {size}x{size}" + (
            ", global average pooling" if pooling == "avg" else ""
        )
        fact(f"cnn{suffix}_parameters", total, f"parameters of {where}")
        fact(f"cnn{suffix}_dense", dense, f"parameters of Dense(256) in {where}")
        fact(f"cnn{suffix}_rest", total - dense, f"the other parameters of {where}")
        fact(
            f"cnn{suffix}_per_picture",
            round(total / n_fit),
            f"parameters of {where} per training picture",
        )
        if pooling == "flatten":
            fact(
                f"cnn{suffix}_flatten",
                int(cnn.get_layer("flatten").output.shape[-1]),
                f"numbers out of Flatten in {where}",
            )
        del cnn
    for head in ("flatten", "avg"):
        model = build_vgg16_transfer((256, 256, 3), 3, weights=None, head=head)
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        where = "the report's VGG16 head" + (
            " with global average pooling" if head == "avg" else ""
        )
        fact(f"vgg16_{head}_head", trainable, f"trainable parameters of {where}")
        fact(
            f"vgg16_{head}_head_per_picture",
            round(trainable / n_fit),
            f"trainable parameters of {where} per training picture",
        )
        del model
    # The linear SVM on VGG16's 512 pooled features: its coefficients and
    # intercepts, counted on a fitted one as the comparison's table counts.
    import inspect

    import numpy as np
    from sklearn.svm import SVC

    from animecls.checks import check_model

    rng = np.random.default_rng(0)
    svm = SVC(kernel="linear").fit(rng.normal(size=(30, 512)), np.arange(30) % 3)
    coefficients = int(svm.coef_.size + svm.intercept_.size)
    fact("svm_512_parameters", coefficients, "a linear SVM's numbers on 512 features")
    fact(
        "svm_512_per_picture",
        round(coefficients / n_fit),
        "a linear SVM's numbers on 512 features per training picture",
    )
    threshold = inspect.signature(check_model).parameters["max_params_per_image"]
    fact(
        "ac008_threshold",
        threshold.default,
        "check_model's default max_params_per_image (AC008)",
    )
    return facts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args()
    text = json.dumps(compute(), indent=1, sort_keys=True) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
