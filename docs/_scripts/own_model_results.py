"""Run the comparison guide's "your own model" example and keep its table.

Puts the two models of ``my_models.py`` beside the report's CNN and the raw
pixel SVM on the embedded default set, at 96x96 with 30 epochs for every
network, and writes the table to ``docs/_generated/compare-own-models.md``.
A few minutes on two cores::

    python docs/_scripts/own_model_results.py
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from my_models import small_cnn, thumbnail_logistic  # noqa: E402

from animecls.comparison import compare_models  # noqa: E402

GENERATED = HERE.parent / "_generated"


def main():
    # --8<-- [start:run]
    result = compare_models(
        image_size=96,
        epochs=30,
        models=[
            "two_layer_cnn",
            "pixels_svm",
            small_cnn,
            ("thumbnail_logistic", thumbnail_logistic()),
        ],
    )
    print(result.markdown)
    # --8<-- [end:run]
    split = result.split
    note = (
        f"{split['n_fit']} training, {split['n_val']} validation and "
        f"{split['n_test']} test pictures at {split['image_size'][0]}x"
        f"{split['image_size'][1]}, {split['epochs']} epochs for every network, "
        "seed 42; `python docs/_scripts/own_model_results.py`."
    )
    (GENERATED / "compare-own-models.md").write_text(
        result.markdown + "\n" + note + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
