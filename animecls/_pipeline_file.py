"""Save fitted scikit-learn pipelines without pickle: skops' format, and ours before it.

``pickle``/``joblib`` files run code when loaded, so a model file from an
untrusted source can take over the machine. A pipeline is written in the
format of skops (``skops.io``), scikit-learn's secure persistence: a zip
archive of a JSON schema (``schema.json``) and ``.npy`` arrays, from which
only explicitly trusted types are rebuilt. animecls adds its metadata as the
member ``animecls_metadata.npy`` (a JSON string), the name and encoding of
the earlier format, so metadata is read the same way from both.

Loading trusts less than skops does by default (every scikit-learn
estimator): the schema is checked first, and may name only the classes of
an allow-list (the steps animecls builds pipelines from) and the builtin and
NumPy types that hold their state. Every member is read through
``animecls._untrusted`` (bounded sizes, depth and ``.npy`` headers).

Files written before animecls used skops (an ``.npz`` archive of arrays and
a JSON tree of the estimators, the "tree" format) are still read, with the
same allow-list and bounds.
"""

import copy
import io
import json
import os
import zipfile

import numpy as np

from ._info import INFO_ATTRIBUTE
from ._untrusted import (
    LimitError,
    parse_json,
    read_json_member,
    read_npy_member,
    read_npy_member_header,
)

__all__ = ["METADATA_MEMBER", "allowed_classes", "read", "read_document", "write"]

METADATA_MEMBER = "animecls_metadata.npy"
_SCHEMA_MEMBER = "schema.json"

# The skops nodes that hold builtin and NumPy values; ObjectNode builds a
# class, so it may name only a class of the allow-list. Any other node (a
# function, a method, a reduce call, a random generator) is refused.
_VALUE_NODES = frozenset(
    {"DictNode", "ListNode", "TupleNode", "JsonNode", "NdArrayNode", "DTypeNode"}
)
_BUILTIN_TYPES = frozenset(
    {"dict", "list", "tuple", "str", "int", "float", "bool", "NoneType"}
)


def allowed_classes():
    """Return ``{"module.Class": class}`` for every class a pipeline file may name.

    The steps animecls builds pipelines from, and nothing else.
    """
    # Imported lazily: the classes live in modules that import Keras.
    from sklearn.calibration import (
        CalibratedClassifierCV,
        _CalibratedClassifier,
        _SigmoidCalibration,
    )
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from .embeddings import ColorHistogram, DrawnEmbedder, RawPixels, VGG16Embedder

    classes = [
        Pipeline,
        StandardScaler,
        SVC,
        CalibratedClassifierCV,
        _CalibratedClassifier,
        _SigmoidCalibration,
        RawPixels,
        ColorHistogram,
        VGG16Embedder,
        DrawnEmbedder,
    ]
    return {f"{cls.__module__}.{cls.__qualname__}": cls for cls in classes}


def write(path, estimator, metadata):
    """Write ``estimator`` and ``metadata`` to a new skops archive at ``path``.

    Raises
    ------
    TypeError
        If the pipeline holds an object outside the allow-list, which
        loading would refuse.
    """
    import skops.io

    allowed = allowed_classes()
    classes = {
        f"{type(e).__module__}.{type(e).__qualname__}" for e in _parts(estimator)
    }
    foreign = sorted(classes - set(allowed))
    if foreign:
        raise TypeError(
            f"{foreign[0]} is not one of the estimators animecls can save without "
            "pickle"
        )
    # The metadata member carries the record; kept in the estimator as well,
    # a loaded and saved again pipeline would hold two.
    estimator = copy.copy(estimator)
    vars(estimator).pop(INFO_ATTRIBUTE, None)
    if isinstance(getattr(estimator, "steps", None), list):
        estimator.steps = [(name, _portable(step)) for name, step in estimator.steps]
    data = skops.io.dumps(estimator)
    # What loading would refuse is refused now, not found out on loading.
    with zipfile.ZipFile(io.BytesIO(data)) as written:
        try:
            _check_schema(read_json_member(written, _SCHEMA_MEMBER), allowed)
        except LimitError as error:
            raise TypeError(
                f"{error}; saving it would give a file loading refuses"
            ) from None
    buffer = io.BytesIO()
    np.lib.format.write_array(
        buffer, np.asarray(json.dumps({"metadata": metadata})), allow_pickle=False
    )
    with open(path, "wb") as file:
        file.write(data)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(METADATA_MEMBER, buffer.getvalue())


def _portable(step):
    """Return ``step`` as it is saved: without paths of the saving machine.

    Its feature cache folder is not saved (loading would not follow it), and
    a weights path is saved as a string, not a ``pathlib`` object.
    """
    cache_dir = getattr(step, "cache_dir", None)
    weights = getattr(step, "weights", None)
    if cache_dir is None and not isinstance(weights, os.PathLike):
        return step
    step = copy.copy(step)
    if cache_dir is not None:
        step.cache_dir = None
    if isinstance(weights, os.PathLike):
        step.weights = os.fspath(weights)
    return step


def _parts(estimator):
    """Yield the estimator and every estimator inside it (pipeline steps, wrapped)."""
    yield estimator
    for _, step in getattr(estimator, "steps", []):
        yield from _parts(step)
    inner = getattr(estimator, "estimator", None)
    if inner is not None and hasattr(inner, "get_params"):
        yield from _parts(inner)
    for calibrated in getattr(estimator, "calibrated_classifiers_", []):
        yield from _parts(calibrated)


def read_document(archive):
    """Return the JSON document of the metadata member of a checked archive."""
    text = read_npy_member(archive, METADATA_MEMBER)
    if text.dtype.kind != "U" or text.ndim != 0:
        raise LimitError(
            f"its {METADATA_MEMBER!r} is not a JSON string. Received: an array of "
            f"dtype {text.dtype} and shape {text.shape}"
        )
    document = parse_json(str(text).encode("utf-8"), f"its {METADATA_MEMBER!r}")
    if not isinstance(document, dict) or not isinstance(document.get("metadata"), dict):
        found = document.get("metadata") if isinstance(document, dict) else document
        raise LimitError(
            f"its {METADATA_MEMBER!r} holds no metadata object. Received: "
            f"{_kind(found)}"
        )
    return document


def _kind(value):
    return f"a JSON {type(value).__name__}"


def read(path, archive):
    """Rebuild ``(estimator, metadata)`` from a checked archive opened at ``path``.

    Raises
    ------
    LimitError
        If the file names a class outside the allow-list, is damaged, or
        declares more than animecls reads. Other errors (TypeError,
        AttributeError) may come from a state the classes cannot take; the
        caller reports each as a damaged file.
    """
    document = read_document(archive)
    if _SCHEMA_MEMBER in archive.namelist():
        return _read_skops(path, archive), document["metadata"]
    return _decode_tree(archive, document), document["metadata"]


def _read_skops(path, archive):
    import skops.io

    schema = read_json_member(archive, _SCHEMA_MEMBER)
    allowed = allowed_classes()
    _check_schema(schema, allowed)
    # skops reads arrays with np.load, which allocates what a header declares
    # before reading: each header is checked against its member first.
    for member in archive.infolist():
        if member.filename.endswith(".npy"):
            read_npy_member_header(archive, member)
    return skops.io.load(path, trusted=sorted(allowed))


def _check_schema(schema, allowed):
    """Refuse a skops schema naming anything but allowed classes and plain values."""
    if not isinstance(schema, dict):
        raise LimitError(
            f"its {_SCHEMA_MEMBER!r} is not a skops schema. Received: {_kind(schema)}"
        )
    pending = [schema]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        pending.extend(value.values())
        if "__loader__" not in value:
            continue
        loader, module, name = (
            value.get("__loader__"),
            value.get("__module__"),
            value.get("__class__"),
        )
        if not all(isinstance(part, str) for part in (loader, module, name)):
            raise LimitError(
                f"its {_SCHEMA_MEMBER!r} has a damaged entry. Received: loader "
                f"{loader!r}, module {module!r}, class {name!r}"
            )
        if loader == "ObjectNode" and f"{module}.{name}" in allowed:
            continue
        if loader == "TypeNode" and (module, name) == ("builtins", "str"):
            continue  # skops' record of a dict's key types
        plain = (module == "builtins" and name in _BUILTIN_TYPES) or (
            module == "numpy" and name.replace("_", "").isalnum()
        )
        if loader in _VALUE_NODES and plain:
            continue
        raise LimitError(
            f"the file names the class {module}.{name!r} ({loader}), which animecls "
            f"does not load. Received: {module}.{name}"
        )


def _decode_tree(archive, document):
    """Rebuild the estimator of a file in the earlier format (an ``.npz`` tree)."""
    allowed = allowed_classes()
    members = set(archive.namelist())

    def decode_value(value):
        if isinstance(value, list):
            return [decode_value(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__array__" in value:
            key = value["__array__"]
            if not isinstance(key, str) or f"{key}.npy" not in members:
                raise LimitError(f"the file names a missing array. Received: {key!r}")
            array = read_npy_member(archive, f"{key}.npy")
            return array[()] if array.ndim == 0 else array
        if "__tuple__" in value:
            items = value["__tuple__"]
            if not isinstance(items, list):
                raise LimitError(
                    f"a '__tuple__' entry holds {_kind(items)}, not a list. "
                    f"Received: {items!r:.80}"
                )
            return tuple(decode_value(v) for v in items)
        if "__dict__" in value:
            pairs = value["__dict__"]
            if not isinstance(pairs, list) or not all(
                isinstance(pair, list) and len(pair) == 2 for pair in pairs
            ):
                raise LimitError(
                    "a '__dict__' entry must hold [key, value] pairs. Received: "
                    f"{pairs!r:.80}"
                )
            decoded = {}
            for key, item in pairs:
                key = decode_value(key)
                if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                    raise LimitError(
                        "a '__dict__' entry has a key that is not a plain value. "
                        f"Received: {key!r:.80}"
                    )
                decoded[key] = decode_value(item)
            return decoded
        if "__estimator__" in value:
            name = value["__estimator__"]
            cls = allowed.get(name) if isinstance(name, str) else None
            if cls is None:
                raise LimitError(
                    f"the file names the class {name!r}, which animecls does not "
                    f"load. Received: {name!r}"
                )
            state = decode_value(value.get("state"))
            if not isinstance(state, dict) or not all(
                isinstance(key, str) for key in state
            ):
                raise LimitError(
                    f"the state of its {name} is not a dict of attributes. "
                    f"Received: {type(state).__name__}"
                )
            estimator = cls.__new__(cls)
            if hasattr(estimator, "__setstate__"):
                estimator.__setstate__(state)
            else:
                estimator.__dict__.update(state)
            return estimator
        raise LimitError(f"unexpected entry {sorted(value)} in the file")

    return decode_value(document.get("estimator"))
