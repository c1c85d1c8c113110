"""scikit-learn's own estimator checks on the transformers and baselines.

The transformers take pictures ``(n_images, height, width, 3)``, and tell
scikit-learn so (``input_tags.two_d_array=False``); scikit-learn has no tag
for pictures and then skips every check. So the checks run here on subclasses
that only claim tables, and every table a check builds through
``_enforce_estimator_tags_X`` (where scikit-learn adapts its data to an
estimator's tags) is turned into pictures. The checks that build their data
some other way, or that check table-only behaviour, are the expected
failures, each with its reason.
"""

import numpy as np
import pytest

pytest.importorskip("keras")

from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from animecls import embeddings  # noqa: E402
from animecls.embeddings import make_embedding_svm  # noqa: E402

#: Pixels per picture made from a table row (4x4 RGB).
_PICTURE = (4, 4, 3)


def _claiming_tables(cls):
    """Return a subclass of ``cls`` whose tags let scikit-learn run its checks.

    It keeps the class name (the test ids read ``RawPixels(...)``) and lives
    in this module, so that the pickling checks find it.
    """

    def __sklearn_tags__(self):
        tags = super(subclass, self).__sklearn_tags__()
        tags.input_tags.two_d_array = True
        return tags

    subclass = type(
        cls.__name__,
        (cls,),
        {
            "__sklearn_tags__": __sklearn_tags__,
            "__module__": __name__,
            "__qualname__": cls.__name__,
            "__doc__": cls.__doc__,
        },
    )
    return subclass


RawPixels = _claiming_tables(embeddings.RawPixels)
ColorHistogram = _claiming_tables(embeddings.ColorHistogram)
VGG16Embedder = _claiming_tables(embeddings.VGG16Embedder)
DrawnEmbedder = _claiming_tables(embeddings.DrawnEmbedder)
_PICTURE_TAKERS = (
    embeddings.RawPixels,
    embeddings.ColorHistogram,
    embeddings.VGG16Embedder,
    embeddings.DrawnEmbedder,
)


def _takes_pictures(estimator):
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[0][1]
    return isinstance(estimator, _PICTURE_TAKERS)


def _as_pictures(table):
    """Turn each row of a 2-D table into a 4x4 RGB picture, row by row.

    The row's values fill the picture's pixels in order, repeated when the
    row is shorter: the dtype, NaN and infinities are kept, and each picture
    depends on its own row only (as subset and sample-order checks need).
    """
    if not (isinstance(table, np.ndarray) and table.ndim == 2 and table.shape[1]):
        return table
    columns = np.arange(np.prod(_PICTURE)) % table.shape[1]
    return table[:, columns].reshape(len(table), *_PICTURE)


def _stretched(table):
    """Stretch a float table over 0-255, as pictures' values spread.

    The checks' tables hold small numbers (0 to 3, or to 20): as pixels they
    would all be nearly black, and a colour histogram could not tell rows
    apart. Integer tables are kept as they are, so their dtype is tested.
    """
    if table.dtype.kind != "f":
        return table
    finite = table[np.isfinite(table)]
    top = finite.max() if finite.size else 0
    # 250, not 255: rounding must not push the largest value past 255.
    return table * (250 / top) if top > 0 else table


_enforce_tags = estimator_checks._enforce_estimator_tags_X


def _enforce_tags_then_pictures(estimator, X, X_test=None, **kwargs):
    adapted = _enforce_tags(estimator, X, X_test, **kwargs)
    if not _takes_pictures(estimator):
        return adapted
    parts = adapted if X_test is not None else (adapted,)
    if isinstance(estimator, Pipeline):
        # A pipeline's tags do not carry its first step's positive_only, so
        # the shift scikit-learn applies for that tag is applied here.
        parts = tuple(part - part.min() for part in parts)
    pictures = tuple(_as_pictures(_stretched(part)) for part in parts)
    return pictures if X_test is not None else pictures[0]


@pytest.fixture(autouse=True)
def _pictures_where_checks_build_tables(monkeypatch):
    monkeypatch.setattr(
        estimator_checks, "_enforce_estimator_tags_X", _enforce_tags_then_pictures
    )


_TABLE = "feeds a 2-D table it builds itself (not through the tags' adapter)"
_NO_COLUMNS = (
    "checks n_features_in_: pictures of any size are resized, so there are "
    "no input columns to count or to hold transform to"
)
_Y_FROM_X = (
    "takes y from X[:, 0], of pictures a row of pixels: the SVM refuses a 3-D target"
)
# Reasons by check; every estimator here fails these.
_SHARED_FAILURES = {
    "check_complex_data": _TABLE,
    "check_estimators_nan_inf": _TABLE,
    "check_dtype_object": (
        "expects NumPy's words for a dict in an object array; the message "
        "here names the value received"
    ),
    "check_estimators_empty_data_messages": (
        "expects scikit-learn's words for a table of 0 features; the message "
        "here names the shape received"
    ),
    "check_estimator_sparse_tag": "makes a scipy sparse matrix, 2-D only",
    "check_estimator_sparse_array": "makes a scipy sparse array, 2-D only",
    "check_estimator_sparse_matrix": "makes a scipy sparse matrix, 2-D only",
    "check_n_features_in": _NO_COLUMNS,
    "check_n_features_in_after_fitting": _NO_COLUMNS,
}
_TRANSFORMER_FAILURES = {
    "check_transformer_general": "unpacks X.shape as (n_samples, n_features)",
    "check_transformer_data_not_an_array": (
        "unpacks X.shape as (n_samples, n_features)"
    ),
    "check_methods_subset_invariance": "reshapes each row to (1, n_features)",
    "check_fit2d_predict1d": (
        "expects 'Reshape your data' for one sample; the message here says to "
        "add a batch axis"
    ),
}
_PIPELINE_FAILURES = {
    "check_estimators_overwrite_params": (
        "a Pipeline's own: it fits its steps in place (fails on tables too)"
    ),
    "check_dont_overwrite_parameters": _Y_FROM_X,
    "check_dict_unchanged": _Y_FROM_X,
    "check_f_contiguous_array_estimator": _Y_FROM_X,
    "check_fit2d_predict1d": _Y_FROM_X,
    "check_fit2d_1sample": _Y_FROM_X,
    "check_fit2d_1feature": _Y_FROM_X,
    "check_methods_sample_order_invariance": _Y_FROM_X,
    "check_methods_subset_invariance": _Y_FROM_X,
    "check_positive_only_tag_during_fit": (
        "a Pipeline's tags do not pass on its first step's positive_only"
    ),
    "check_supervised_y_no_nan": _TABLE,
}


def _expected_failures(estimator):
    if not isinstance(estimator, Pipeline):
        return {**_SHARED_FAILURES, **_TRANSFORMER_FAILURES}
    failures = {**_SHARED_FAILURES, **_PIPELINE_FAILURES}
    if isinstance(estimator.steps[0][1], embeddings.ColorHistogram):
        failures["check_classifiers_train"] = (
            "a colour histogram keeps which values a row holds, not in which "
            "column: below the check's 0.83 training accuracy on make_blobs"
        )
    return failures


_FAST = [
    RawPixels(image_size=4),
    ColorHistogram(bins=4),
    make_embedding_svm(RawPixels(image_size=4)),
    make_embedding_svm(ColorHistogram(bins=4), kernel="rbf"),
]
_SLOW = [
    VGG16Embedder(weights=None, image_size=32, verbose=0),
    DrawnEmbedder(verbose=0),
    make_embedding_svm(VGG16Embedder(weights=None, image_size=32, verbose=0)),
    make_embedding_svm(DrawnEmbedder(verbose=0)),
]


@parametrize_with_checks(
    _FAST, expected_failed_checks=_expected_failures, xfail_strict=True
)
def test_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    _SLOW, expected_failed_checks=_expected_failures, xfail_strict=True
)
def test_sklearn_checks_on_networks(estimator, check):
    check(estimator)
