"""Save fitted scikit-learn pipelines without pickle.

``pickle``/``joblib`` files run code when loaded, so a model file from an
untrusted source can take over the machine. Here a pipeline is written as an
``.npz`` archive: its NumPy arrays as ``.npy`` members (read with
``allow_pickle=False``) and the rest of its state as JSON. Loading rebuilds
only the estimator classes of an allow-list (the steps animecls builds
pipelines from); anything else in a file is refused, so loading runs no code
from the file.
"""

import json

import numpy as np

from ._info import INFO_ATTRIBUTE

METADATA_KEY = "animecls_metadata"


def _allowed():
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


class _Encoder:
    def __init__(self):
        self.arrays = {}
        self.allowed = {cls: name for name, cls in _allowed().items()}

    def array(self, value):
        if value.dtype.hasobject:
            value = np.asarray(value.tolist())
            if value.dtype.hasobject:
                raise TypeError("an array of Python objects cannot be saved")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return {"__array__": key}

    def encode(self, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.ndarray, np.generic)):
            return self.array(np.asarray(value))
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {
                "__dict__": [[self.encode(k), self.encode(v)] for k, v in value.items()]
            }
        name = self.allowed.get(type(value))
        if name is None:
            raise TypeError(
                f"{type(value).__module__}.{type(value).__qualname__} is not one of "
                "the estimators animecls can save without pickle"
            )
        state = value.__getstate__() if hasattr(value, "__getstate__") else vars(value)
        state = dict(state)
        # The metadata of the file carries the record; kept in the state as
        # well, a loaded and saved again pipeline would hold two.
        state.pop(INFO_ATTRIBUTE, None)
        return {"__estimator__": name, "state": self.encode(state)}


def encode(estimator, metadata):
    """Return the arrays of an ``.npz`` archive that holds ``estimator``."""
    encoder = _Encoder()
    tree = encoder.encode(estimator)
    document = json.dumps({"metadata": metadata, "estimator": tree})
    return {METADATA_KEY: np.asarray(document), **encoder.arrays}


def decode(archive):
    """Rebuild ``(estimator, metadata)`` from an opened ``.npz`` archive."""
    document = json.loads(str(archive[METADATA_KEY]))
    allowed = _allowed()

    def decode_value(value):
        if isinstance(value, list):
            return [decode_value(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__array__" in value:
            array = archive[value["__array__"]]
            return array[()] if array.ndim == 0 else array
        if "__tuple__" in value:
            return tuple(decode_value(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {decode_value(k): decode_value(v) for k, v in value["__dict__"]}
        if "__estimator__" in value:
            cls = allowed.get(value["__estimator__"])
            if cls is None:
                raise ValueError(
                    f"the file names the class {value['__estimator__']!r}, which "
                    "animecls does not load"
                )
            estimator = cls.__new__(cls)
            state = decode_value(value["state"])
            if hasattr(estimator, "__setstate__"):
                estimator.__setstate__(state)
            else:
                estimator.__dict__.update(state)
            return estimator
        raise ValueError(f"unexpected entry {sorted(value)} in the file")

    return decode_value(document["estimator"]), document["metadata"]
