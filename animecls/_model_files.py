"""Model files: ``save_model`` and ``load_model``, and what makes them safe.

A network is a Keras ``.keras`` archive with an ``animecls.json`` member (class
names, input shape, versions, the model's record from ``animecls._info``);
a pipeline is an ``.npz`` archive of arrays and JSON (``animecls._pipeline_file``).
Loading runs no code from the file unless asked to: a ``.keras`` config is
checked for entries that could run code before Keras reads it.

The public names are re-exported by [`animecls.models`][].
"""

import json
import os
import zipfile

import keras
import numpy as np

from . import _pipeline_file
from ._files import atomic_write
from ._info import get_info, set_info
from ._validation import check_image_size
from ._weights import describe_weights

__all__ = [
    "ModelFileError",
    "check_class_names",
    "load_model",
    "read_metadata",
    "save_model",
]


class ModelFileError(ValueError):
    """A file is not a model saved by [`save_model`][animecls.models.save_model].

    Or it was, and is damaged.
    """


_FORMAT = "animecls-model"
_FORMAT_VERSION = 1


def check_class_names(class_names, n_outputs, what):
    """Return ``class_names`` as distinct strings, one per output of ``what``."""
    names = [str(name) for name in class_names]
    if len(names) != n_outputs:
        raise ValueError(
            f"{what} has {n_outputs} outputs but {len(names)} class names were "
            f"given: the class counts differ. Received: class_names={names}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"class_names must be distinct. Received: class_names={names}")
    return names


def _versions():
    import sklearn

    from . import __version__

    return {
        "animecls": __version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
    }


def save_model(model, path, *, class_names=None, image_size=None):
    """Save a trained model with its class names and preprocessing settings.

    A Keras network is written in Keras' ``.keras`` format with an extra
    ``animecls.json`` member in the archive: class names, input size,
    the weights it was built from, the training recipe and fit time. A
    scikit-learn pipeline from
    [`make_embedding_svm`][animecls.embeddings.make_embedding_svm] is written
    as an ``.npz`` archive of arrays and JSON, not a pickle, so loading it runs
    no code from the file.

    Parameters
    ----------
    model : keras.Model or sklearn.pipeline.Pipeline
        A trained network, or a fitted embedding/SVM pipeline.
    path : path-like
        Ends in ``.keras`` for a network, ``.npz`` for a pipeline.
    class_names : list of str or None, default=None
        Name of each class, in label order (``bunch.class_names``). May be
        omitted for a pipeline trained on names.
    image_size : tuple of int or None, default=None
        Pipelines only, and required for them: the (height, width) of the
        training pictures (the loader's ``image_size``).
        [`predict`][animecls.models.predict] resizes picture files to it and
        refuses arrays of another size, since the features of a picture
        depend on its size.

    Returns
    -------
    path : str
        The file written.

    Raises
    ------
    ValueError
        If the number of class names differs from the model's outputs, or
        the file extension does not match the kind of model.
    OSError
        If the file cannot be written (a full disk, a read-only folder). The
        model is written to a temporary file in the same folder and renamed
        only when complete, so an earlier file at ``path`` is then unchanged.

    See Also
    --------
    load_model, predict

    Examples
    --------
    >>> from animecls.models import build_two_layer_cnn, save_model
    >>> model = build_two_layer_cnn((32, 32, 3), pooling="avg")
    >>> save_model(model, "cnn.keras", class_names=["a", "b", "c"])  # doctest: +SKIP
    'cnn.keras'
    """
    path = os.fspath(path)
    metadata = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "versions": _versions(),
    }
    if isinstance(model, keras.Model):
        if not path.endswith(".keras"):
            raise ValueError(
                f"A Keras model is saved to a .keras file. Received: path={path!r}"
            )
        if class_names is None:
            raise ValueError(
                "class_names is required to save a network (e.g. "
                "bunch.class_names). Received: class_names=None"
            )
        metadata.update(
            kind="keras",
            class_names=check_class_names(
                class_names, int(model.output_shape[-1]), "The model"
            ),
            input_shape=[int(d) for d in model.input_shape[1:]],
            info=get_info(model),
        )
        # Written whole to a temporary file first: a full disk or an
        # interruption keeps an earlier model at ``path`` intact.
        with atomic_write(path) as temporary:
            model.save(temporary)
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr("animecls.json", json.dumps(metadata, indent=2))
        return path

    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline):
        raise TypeError(
            "save_model takes a keras.Model or a Pipeline from "
            "make_embedding_svm. Received: model of type "
            f"{type(model).__module__}.{type(model).__qualname__}"
        )
    if not path.endswith(".npz"):
        raise ValueError(f"A pipeline is saved to a .npz file. Received: path={path!r}")
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise ValueError("Fit the pipeline before saving it. Received: unfitted model")
    if class_names is None:
        class_names = [str(c) for c in classes]
    names = check_class_names(class_names, len(classes), "The pipeline")
    if image_size is None:
        raise ValueError(
            "image_size (height, width) of the training pictures is required to "
            f"save a pipeline. Received: image_size={image_size!r}"
        )
    height, width = check_image_size(image_size, "image_size")
    metadata.update(
        kind="sklearn",
        class_names=names,
        classes=[c.item() if hasattr(c, "item") else c for c in classes],
        input_shape=[height, width, 3],
        info=_pipeline_info(model),
    )
    try:
        arrays = _pipeline_file.encode(model, metadata)
    except TypeError as error:
        raise TypeError(
            f"Cannot save this pipeline without pickle: {error}. Use joblib at "
            "your own risk (loading a pickle runs code from the file)."
        ) from error
    with (
        atomic_write(path) as temporary,
        zipfile.ZipFile(temporary, "w") as archive,
    ):
        # np.savez's layout, written here so that a failed write still closes
        # the archive (numpy < 2.2 leaves it to the garbage collector, which
        # then reports an error about a closed file).
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(
                    member, np.asanyarray(array), allow_pickle=False
                )
    return path


def _pipeline_info(model):
    """Return the record of a pipeline to save, with its VGG16 weights if any."""
    from .embeddings import VGG16Embedder

    info = get_info(model)
    embedder = dict(model.steps).get("embed")
    if isinstance(embedder, VGG16Embedder) and "weights" not in info:
        try:
            info["weights"] = describe_weights(embedder.weights)
        except (OSError, TypeError):
            # A weights file gone since fitting, or an odd value the embedder
            # took: the file is still worth saving without that entry.
            pass
    return info


def read_metadata(path):
    """Return the animecls metadata of a model file, without loading the model.

    Parameters
    ----------
    path : str
        A ``.keras`` or ``.npz`` file from
        [`save_model`][animecls.models.save_model].

    Returns
    -------
    metadata : dict
        ``format``, ``kind`` (``"keras"`` or ``"sklearn"``) and, for a
        ``.keras`` file, the class names, input shape, versions and ``info``.

    Raises
    ------
    ModelFileError
        If the file is not a zip archive written by
        [`save_model`][animecls.models.save_model].
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, IsADirectoryError):
        raise ModelFileError(
            f"{path!r} is not a model saved by animecls.models.save_model (not a "
            "zip archive: .keras and .npz files are)."
        ) from None
    with archive:
        names = archive.namelist()
        if "animecls.json" in names:
            try:
                metadata = json.loads(archive.read("animecls.json"))
            except ValueError:
                metadata = {}
        elif "animecls_metadata.npy" in names:
            metadata = {"kind": "sklearn", "format": _FORMAT}
        else:
            hint = (
                " It is a Keras file without animecls metadata: load it with "
                "keras.saving.load_model and pass class_names to predict."
                if "config.json" in names
                else ""
            )
            raise ModelFileError(
                f"{path!r} was not saved by animecls.models.save_model.{hint}"
            )
    if metadata.get("format") != _FORMAT:
        raise ModelFileError(f"{path!r} has damaged animecls metadata.")
    return metadata


# Keras entries that hold Python code rather than naming a class to build.
_CODE_ENTRIES = ("Lambda", "TFOpLambda", "__lambda__")
# The Keras modules whose classes a network is made of. Other Keras modules
# hold functions that fetch files or load models, which configs have used to
# get around safe_mode.
_LAYER_MODULES = frozenset(
    {
        "keras",
        "keras.activations",
        "keras.constraints",
        "keras.initializers",
        "keras.layers",
        "keras.losses",
        "keras.metrics",
        "keras.optimizers",
        "keras.optimizers.schedules",
        "keras.regularizers",
        "keras.src.models.functional",
        "keras.src.models.model",
        "keras.src.models.sequential",
    }
)


def _code_in_config(path):
    """Name the first entry of a ``.keras`` config that could run code, or None.

    Keras' own ``safe_mode`` refuses Python lambdas, but configs naming other
    modules or functions have got around it (CVE-2025-1550, fixed in Keras
    3.9; CVE-2025-8747 and CVE-2025-9906, fixed in 3.11). Checked here,
    before Keras reads the file, whatever Keras version is installed: only
    classes of the Keras modules networks are built from, animecls classes,
    classes registered in this Python session, and Keras' own activation
    functions may be named.
    """
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    registered = keras.saving.get_custom_objects()
    pending = [config]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        pending.extend(value.values())
        name = value.get("class_name")
        module = value.get("module")
        if name in _CODE_ENTRIES:
            return f"a {name!r} entry"
        # Keras looks a function up by its name (its config), a class by its
        # registered name; either found among the registered objects is used
        # instead of the module.
        key = (
            value.get("config") if name == "function" else value.get("registered_name")
        )
        if module is None or (isinstance(key, str) and key in registered):
            continue
        if not isinstance(module, str):
            return f"a class with module {module!r}"
        if name == "function" and module != "keras.activations":
            return f"the function {value.get('config')!r} from the module {module!r}"
        if module not in _LAYER_MODULES and not module.startswith("animecls."):
            return f"the class {name!r} from the module {module!r}"
    return None


def load_model(path, *, safe_mode=True):
    """Load a model written by ``save_model``, with its metadata.

    Loading runs no code from the file by default. Keras networks are loaded
    with Keras' ``safe_mode=True`` (no ``Lambda`` code is run), after a check
    that the file names only Keras and animecls classes; pipelines are
    rebuilt from arrays and JSON, with no pickle, whatever ``safe_mode`` is.

    Parameters
    ----------
    path : path-like
        A ``.keras`` or ``.npz`` file from
        [`save_model`][animecls.models.save_model].
    safe_mode : bool, default=True
        Refuse a network whose file holds Python code (a ``Lambda`` layer, a
        function) or names classes from other modules. Pass False only for a
        file you made yourself or whose author you trust: loading it can
        then run any code, as running a script from that author would.

    Returns
    -------
    model : keras.Model or sklearn.pipeline.Pipeline
        The model. Its metadata (class names, input size, weights, recipe) is
        returned by [`get_info`][animecls.models.get_info] under ``"saved"``.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ModelFileError
        If the file was not written by
        [`save_model`][animecls.models.save_model], is damaged, or (with
        ``safe_mode=True``) holds code.

    Examples
    --------
    >>> from animecls.models import load_model, predict
    >>> model = load_model("cnn.keras")  # doctest: +SKIP
    """
    path = os.fspath(path)
    if not isinstance(safe_mode, bool):
        raise ValueError(
            f"safe_mode must be True or False. Received: safe_mode={safe_mode!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}. Received: path={path!r}")
    metadata = read_metadata(path)
    if metadata.get("kind") == "keras":
        refused = None
        if safe_mode:
            try:
                refused = _code_in_config(path)
            except (KeyError, ValueError, zipfile.BadZipFile) as error:
                raise ModelFileError(
                    f"{path!r} could not be loaded: damaged config ({error})"
                ) from None
        if refused is None:
            try:
                model = keras.saving.load_model(path, safe_mode=safe_mode)
            except Exception as error:  # Keras raises many types for a bad file
                if "safe_mode" not in str(error):
                    raise ModelFileError(
                        f"{path!r} could not be loaded: {error}"
                    ) from error
                refused = "a Python function (Keras refused it)"
        if refused is not None:
            raise ModelFileError(
                f"{path!r} holds code that loading would run ({refused}), so it "
                "was not loaded. Models built by animecls hold none. If you made "
                "the file yourself or trust its author, load it with "
                "load_model(path, safe_mode=False). Received: safe_mode=True"
            )
        set_info(model, **metadata.get("info", {}))
        set_info(model, saved=metadata)
        return model

    try:
        with np.load(path, allow_pickle=False) as archive:
            model, metadata = _pipeline_file.decode(archive)
    except (ValueError, KeyError, OSError) as error:
        raise ModelFileError(f"{path!r} could not be loaded: {error}") from error
    set_info(model, **metadata.get("info", {}))
    set_info(model, saved=metadata)
    return model
