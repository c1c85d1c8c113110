"""Model files: ``save_model`` and ``load_model``, and what makes them safe.

A network is a Keras ``.keras`` archive with an ``animecls.json`` member (class
names, input shape, versions, the model's record from ``animecls._info``);
a pipeline is a skops archive (``animecls._pipeline_file``). Loading runs no
code from the file unless asked to: a ``.keras`` config is checked for
entries that could run code or load other files before Keras reads it. Model
files are untrusted input: every member is read through
``animecls._untrusted``, whose limits (and ``MAX_INPUT_VALUES`` and the
layer limits ``MAX_LAYER_UNITS``, ``MAX_KERNEL_WINDOW`` and
``MAX_EMBEDDING_VALUES`` here) are checked before anything of a size the file
declares is allocated.

The public names are re-exported by [`animecls.models`][].
"""

import json
import math
import os
import re
import zipfile

import keras
import numpy as np

from . import _pipeline_file
from ._files import atomic_write
from ._info import get_info, set_info
from ._untrusted import MAX_MEMBER_BYTES, LimitError, check_archive, read_json_member
from ._validation import check_image_size, is_int
from ._weights import describe_weights

__all__ = [
    "MAX_EMBEDDING_VALUES",
    "MAX_INPUT_VALUES",
    "MAX_KERNEL_WINDOW",
    "MAX_LAYER_UNITS",
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

#: Values one input picture of a loaded model may hold: 4096x4096 RGB
#: (50,331,648). A file declaring more is refused before anything of that size
#: is allocated (Keras builds a ``Flatten``/``Dense`` head of that size when
#: loading, and ``predict`` reads each picture file at it).
MAX_INPUT_VALUES = 4096 * 4096 * 3
#: Units, filters or depth multiplier one layer of a loaded network may have
#: (animecls' networks have at most 4,096). Keras allocates a layer's weights
#: from its config while building it, before any weight is read: a file of a
#: few kilobytes declaring ``Dense(units=2**30)`` would take gigabytes.
MAX_LAYER_UNITS = 65_536
#: Values in one convolution window (``kernel_size``'s product): 64x64.
MAX_KERNEL_WINDOW = 64 * 64
#: Values of one embedding table (``input_dim`` x ``output_dim``): as many
#: float32 values as one archive member holds (``MAX_MEMBER_BYTES`` / 4).
MAX_EMBEDDING_VALUES = MAX_MEMBER_BYTES // 4
# A colour channel has 256 values, so more bins than that only allocate.
_MAX_HISTOGRAM_BINS = 256


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


def save_model(
    model, path, *, class_names=None, image_size=None, include_optimizer=False
):
    """Save a trained model with its class names and preprocessing settings.

    A Keras network is written in Keras' ``.keras`` format with an extra
    ``animecls.json`` member in the archive: class names, input size,
    the weights it was built from, the training recipe and fit time. By
    default the file holds what predicting needs and no optimizer state
    (Adam keeps two values per weight, so a file with it is three times as
    large); ``animecls.json`` keeps the compile settings (loss, metrics,
    optimizer and its learning rate), and
    [`load_model`][animecls.models.load_model] compiles the network with
    them again, with a fresh optimizer. Plain ``keras.saving.load_model``
    returns it uncompiled, as Keras 2 did for ``include_optimizer=False``:
    ``predict`` works, ``compile`` it before ``fit`` or ``evaluate``. A
    scikit-learn pipeline from
    [`make_embedding_svm`][animecls.embeddings.make_embedding_svm] is written
    in the format of skops (``skops.io``), scikit-learn's secure format: arrays
    and JSON, not a pickle, so loading it runs no code from the file. Its
    feature cache folder is not saved (another machine's path), and a
    pipeline holding a class animecls could not load back is refused.

    Parameters
    ----------
    model : keras.Model or sklearn.pipeline.Pipeline
        A trained network, or a fitted embedding/SVM pipeline.
    path : path-like
        Ends in ``.keras`` for a network, ``.skops`` for a pipeline (``.npz``,
        the name animecls used before, is accepted too; the file is the same).
    class_names : list of str or None, default=None
        Name of each class, in label order (``bunch.class_names``). May be
        omitted for a pipeline trained on names.
    image_size : tuple of int or None, default=None
        Pipelines only, and required for them: the (height, width) of the
        training pictures (the loader's ``image_size``).
        [`predict`][animecls.models.predict] resizes picture files to it and
        refuses arrays of another size, since the features of a picture
        depend on its size.
    include_optimizer : bool, default=False
        Networks only: also save the optimizer's state (Adam's moments, the
        step count) and the compile settings the way Keras does, to resume
        training where it stopped. Pipelines have no optimizer.

    Returns
    -------
    path : str
        The file written.

    Raises
    ------
    ValueError
        If the number of class names differs from the model's outputs, or
        the file extension does not match the kind of model.
    TypeError
        If a pipeline holds an estimator outside the classes animecls loads
        (its own extractors, ``StandardScaler``, ``SVC`` and calibration).
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
        if not isinstance(include_optimizer, bool):
            raise ValueError(
                "include_optimizer must be True or False. Received: "
                f"include_optimizer={include_optimizer!r}"
            )
        saved = model
        if not include_optimizer and model.compiled:
            saved, metadata["compile_config"] = _without_optimizer(model)
        # Written whole to a temporary file first: a full disk or an
        # interruption keeps an earlier model at ``path`` intact.
        with atomic_write(path) as temporary:
            saved.save(temporary)
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
    if not path.endswith((".skops", ".npz")):
        raise ValueError(
            "A pipeline is saved to a .skops file (or .npz, the name animecls "
            f"used before). Received: path={path!r}"
        )
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
    with atomic_write(path) as temporary:
        try:
            _pipeline_file.write(temporary, model, metadata)
        except TypeError as error:
            raise TypeError(
                f"Cannot save this pipeline without pickle: {error}. Use joblib "
                "at your own risk (loading a pickle runs code from the file)."
            ) from error
    return path


def _without_optimizer(model):
    """Return an uncompiled copy of a compiled network, and its compile settings.

    Keras 3 saves a compiled model's optimizer variables with it and has no
    option to leave them out; a copy rebuilt from the model's config without
    its compile settings has none to save. The settings are returned as JSON
    (as Keras writes them in ``config.json``) for ``load_model`` to compile
    with again.
    """
    config = keras.saving.serialize_keras_object(model)
    compile_config = config.pop("compile_config", None)
    try:
        copy = keras.saving.deserialize_keras_object(config)
        copy.set_weights(model.get_weights())
    except Exception as error:  # Keras raises many types for a config it cannot use
        raise ValueError(
            "This network could not be rebuilt from its config to be saved "
            f"without its optimizer ({error}). Save it with "
            "include_optimizer=True. Received: include_optimizer=False"
        ) from error
    return copy, compile_config


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


def _open_archive(path):
    """Open a model file as a zip archive whose members' declared sizes are checked.

    Every later read of a member is bounded as well (``animecls._untrusted``).
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, IsADirectoryError, ValueError, EOFError):
        raise ModelFileError(
            f"{path!r} is not a model saved by animecls.models.save_model (not a "
            "zip archive: .keras and .skops files are)."
        ) from None
    try:
        check_archive(archive)
    except LimitError as error:
        archive.close()
        raise ModelFileError(f"{path!r} could not be loaded: {error}") from None
    return archive


def read_metadata(path):
    """Return the animecls metadata of a model file, without loading the model.

    Parameters
    ----------
    path : str
        A ``.keras``, ``.skops`` or ``.npz`` file from
        [`save_model`][animecls.models.save_model].

    Returns
    -------
    metadata : dict
        ``format``, ``kind`` (``"keras"`` or ``"sklearn"``), the class names,
        input shape, versions and ``info``.

    Raises
    ------
    ModelFileError
        If the file is not a zip archive written by
        [`save_model`][animecls.models.save_model], or its metadata is
        damaged, of the wrong types, or beyond the limits of
        ``animecls._untrusted`` or ``MAX_INPUT_VALUES``.
    """
    with _open_archive(path) as archive:
        names = archive.namelist()
        try:
            if "animecls.json" in names:
                metadata = read_json_member(archive, "animecls.json")
            elif _pipeline_file.METADATA_MEMBER in names:
                metadata = _pipeline_file.read_document(archive)["metadata"]
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
        except LimitError as error:
            raise ModelFileError(
                f"{path!r} has damaged animecls metadata: {error}"
            ) from None
    problem = _metadata_problem(metadata)
    if problem is not None:
        raise ModelFileError(f"{path!r} has damaged animecls metadata: {problem}")
    return metadata


def _metadata_problem(metadata):
    """Say what is wrong with a file's metadata (types and sizes), or None."""
    if not isinstance(metadata, dict):
        return f"it is not a JSON object. Received: a {type(metadata).__name__}"
    if metadata.get("format") != _FORMAT or metadata.get("kind") not in (
        "keras",
        "sklearn",
    ):
        return (
            f"its format and kind are not {_FORMAT!r} and 'keras' or 'sklearn'. "
            f"Received: format={metadata.get('format')!r:.60}, "
            f"kind={metadata.get('kind')!r:.60}"
        )
    for key, kind in (
        ("info", dict),
        ("versions", dict),
        ("classes", list),
        ("compile_config", dict),
    ):
        if key in metadata and not isinstance(metadata[key], kind):
            return (
                f"its {key!r} is not a JSON {kind.__name__}. Received: "
                f"{key}={metadata[key]!r:.80}"
            )
    names = metadata.get("class_names")
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        return f"its 'class_names' is not a list of strings. Received: {names!r:.80}"
    shape = metadata.get("input_shape")
    if shape is not None:
        return _shape_problem(shape, "input_shape")
    return None


def _shape_problem(shape, name, received=None):
    """Say why ``shape`` (one picture's, no batch axis) is refused, or None.

    ``received`` is the value to show, ``shape`` itself by default.
    """
    received = shape if received is None else received
    if not (
        isinstance(shape, list) and shape and all(is_int(d) and d >= 1 for d in shape)
    ):
        return (
            f"its {name!r} is not a list of positive ints. Received: "
            f"{name}={received!r:.80}"
        )
    values = int(np.prod(shape, dtype=object))
    if values > MAX_INPUT_VALUES:
        return (
            f"its {name!r} declares pictures of {values:,} values, more than the "
            f"{MAX_INPUT_VALUES:,}{_as_picture(MAX_INPUT_VALUES)} animecls "
            f"allocates for one picture. Received: {name}={received!r:.80}"
        )
    return None


def _as_picture(values):
    """Return `` (HxWx3)`` for a number of values of a square RGB picture, or ''."""
    side = math.isqrt(values // 3)
    return f" ({side}x{side}x3)" if side * side * 3 == values else ""


# Keras entries that hold Python code rather than naming a class to build.
_CODE_ENTRIES = ("Lambda", "TFOpLambda", "__lambda__")
# Keras layers that load code, a graph or a pickle from elsewhere: a
# SavedModel (TFSMLayer: Keras >= 3.11 refuses it in safe mode, 3.10 does
# not), a PyTorch module, JAX or Flax functions.
_EXTERNAL_LAYERS = ("TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer")
# Config keys that give a model's input shape, batch axis first.
_INPUT_SHAPE_KEYS = ("batch_shape", "batch_input_shape", "build_input_shape")
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


def _config_entries(config):
    """Yield every JSON object of a Keras config, without recursion."""
    pending = [config]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
            yield value


def _oversized_input(config):
    """Say which input shape of a ``.keras`` config is refused, or None."""
    for entry in _config_entries(config):
        for key in _INPUT_SHAPE_KEYS:
            shape = entry.get(key)
            if shape is None:
                continue
            # One shape, or one per input of a model with several.
            several = isinstance(shape, list) and shape and isinstance(shape[0], list)
            for one in shape if several else [shape]:
                if not isinstance(one, list) or not one:
                    return _shape_problem(one, key)
                # The batch axis is None; so may be other axes of a model that
                # takes any size, which allocates only at the size it is given.
                sized = [d for d in one[1:] if d is not None]
                problem = _shape_problem(sized or [1], key, received=one)
                if problem is not None:
                    return problem
    return None


# Config keys a layer allocates weights from, each bounded by MAX_LAYER_UNITS.
_UNIT_KEYS = ("units", "filters", "depth_multiplier")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _oversized_layer(config):
    """Say which layer of a ``.keras`` config declares too many weights, or None.

    Keras builds each layer from its config before reading any weight, so
    the sizes a layer declares are bounded here: its units, filters or depth
    multiplier (``MAX_LAYER_UNITS``), its convolution window
    (``MAX_KERNEL_WINDOW``) and its embedding table
    (``MAX_EMBEDDING_VALUES``). Values of other types are left to Keras,
    which refuses them.
    """
    for entry in _config_entries(config):
        layer = f"its layer {entry.get('name')!r:.60}"
        for key in _UNIT_KEYS:
            value = entry.get(key)
            if _number(value) and value > MAX_LAYER_UNITS:
                return (
                    f"{layer} declares {key}={value:,}, more than the "
                    f"{MAX_LAYER_UNITS:,} animecls builds a layer with "
                    f"(MAX_LAYER_UNITS). Received: {key}={value!r:.80}"
                )
        kernel = entry.get("kernel_size")
        window = kernel if isinstance(kernel, list) else [kernel]
        if window and all(_number(k) for k in window):
            values = math.prod(window)
            if values > MAX_KERNEL_WINDOW:
                return (
                    f"{layer} declares a convolution window of {values:,} values, "
                    f"more than the {MAX_KERNEL_WINDOW:,} animecls builds a layer "
                    f"with (MAX_KERNEL_WINDOW). Received: kernel_size={kernel!r:.80}"
                )
        rows, columns = entry.get("input_dim"), entry.get("output_dim")
        if _number(rows) and _number(columns) and rows * columns > MAX_EMBEDDING_VALUES:
            return (
                f"{layer} declares an embedding table of {rows * columns:,} values, "
                f"more than the {MAX_EMBEDDING_VALUES:,} animecls builds a layer "
                f"with (MAX_EMBEDDING_VALUES). Received: input_dim={rows!r:.40}, "
                f"output_dim={columns!r:.40}"
            )
    return None


def _last_part(name):
    """Return what follows the last '.' or '>' of a name Keras looks up, or None."""
    return re.split(r"[.>]", name)[-1] if isinstance(name, str) else None


def _looked_up(value):
    """Return the name Keras looks an entry up by in its module."""
    name = value.get("class_name")
    if name == "function":
        return value.get("config")
    if name == "__typespec__":
        return value.get("spec_name")
    return name


def _code_in_config(config):
    """Name the first entry of a ``.keras`` config that could run code, or None.

    Keras' own ``safe_mode`` refuses Python lambdas, but configs naming other
    modules or functions have got around it (CVE-2025-1550, fixed in Keras
    3.9; CVE-2025-8747 and CVE-2025-9906, fixed in 3.11), and Keras 3.10 builds
    a ``TFSMLayer``, which runs the graph of a SavedModel the config points
    to. Checked here, before Keras reads the file, whatever Keras version is
    installed: no layer that loads code or graphs from elsewhere, no lookup
    layer reading its vocabulary from a file, and only classes of the Keras
    modules networks are built from, animecls classes, classes registered in
    this Python session, and Keras' own activation functions may be named.

    Keras finds a class of a Keras module as ``f"{module}.{class_name}"`` in
    its registry of exported names, so ``class_name="layers.TFSMLayer"`` in
    the module ``"keras"`` is the ``TFSMLayer``: a class is compared by the
    last part of that full name (and of its registered name), and a dotted
    name is refused.
    """
    registered = keras.saving.get_custom_objects()
    for value in _config_entries(config):
        name = value.get("class_name")
        module = value.get("module")
        looked_up = _looked_up(value)
        full = f"{module}.{looked_up}" if isinstance(module, str) else looked_up
        last = _last_part(full) if isinstance(looked_up, str) else None
        registered_as = _last_part(value.get("registered_name"))
        if name in _CODE_ENTRIES or last in _CODE_ENTRIES:
            return f"a {name!r} entry"
        if last in _EXTERNAL_LAYERS or registered_as in _EXTERNAL_LAYERS:
            return f"a {name!r} layer, which loads code or a graph from elsewhere"
        if isinstance(looked_up, str) and "." in looked_up:
            return (
                f"the dotted name {looked_up!r:.80} in the module {module!r:.80}, "
                "which Keras looks up elsewhere than the module"
            )
        if isinstance(value.get("config"), dict) and isinstance(
            value["config"].get("vocabulary"), str
        ):
            return (
                f"a {name!r} layer reading its vocabulary from the file "
                f"{value['config']['vocabulary']!r:.80}"
            )
        # Keras looks a function up by its name (its config), a class by its
        # registered name; either found among the registered objects is used
        # instead of the module.
        key = (
            value.get("config") if name == "function" else value.get("registered_name")
        )
        if module is None or (isinstance(key, str) and key in registered):
            continue
        if not isinstance(module, str):
            return f"a class with module {module!r:.80}"
        if name == "function" and module != "keras.activations":
            return (
                f"the function {value.get('config')!r:.80} from the module {module!r}"
            )
        if module not in _LAYER_MODULES and not module.startswith("animecls."):
            return f"the class {name!r:.80} from the module {module!r}"
    return None


def load_model(path, *, safe_mode=True):
    """Load a model written by ``save_model``, with its metadata.

    Loading runs no code from the file by default. Keras networks are loaded
    with Keras' ``safe_mode=True`` (no ``Lambda`` code is run), after a check
    that the file names only Keras and animecls classes and no layer that
    loads code or graphs from elsewhere (a ``TFSMLayer``), whatever Keras
    version is installed. Pipelines are rebuilt by skops from arrays and
    JSON, with no pickle, from the classes animecls builds pipelines from.

    A model file is untrusted input, read within documented limits before
    anything of a size it declares is allocated (the robustness page lists
    their values): the archive limits of ``animecls._untrusted``
    (``MAX_MEMBER_BYTES`` per member, ``MAX_ARCHIVE_BYTES`` in all, at most
    ``MAX_MEMBERS`` members, none expanding more than ``MAX_RATIO`` times
    past ``RATIO_FLOOR``), JSON of at most ``MAX_JSON_BYTES`` nested at most
    ``MAX_JSON_DEPTH`` levels, ``.npy`` arrays no larger than the data they
    hold, input pictures of at most ``MAX_INPUT_VALUES`` values, and layers
    of at most ``MAX_LAYER_UNITS`` units or filters, ``MAX_KERNEL_WINDOW``
    values per convolution window and ``MAX_EMBEDDING_VALUES`` per embedding
    table. A member zipfile cannot read (encrypted, of an unknown
    compression, failing its CRC check) is a damaged file. Loading never
    reads or writes where the file says: a pipeline's saved ``cache_dir`` is
    dropped (set your own with ``pipeline.set_params(embed__cache_dir=...)``),
    and a saved weights file path is refused unless ``safe_mode=False``.

    Parameters
    ----------
    path : path-like
        A ``.keras``, ``.skops`` or ``.npz`` file from
        [`save_model`][animecls.models.save_model].
    safe_mode : bool, default=True
        Refuse a network whose file holds Python code (a ``Lambda`` layer, a
        function), loads code or graphs from other files (a ``TFSMLayer``) or
        names classes from other modules, and a pipeline whose extractor
        reads a weights file the model file names. Pass False only for a file
        you made yourself or whose author you trust: loading it can then run
        any code, as running a script from that author would. The size
        limits apply either way.

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
        [`save_model`][animecls.models.save_model], is damaged or of the
        wrong types, exceeds a limit above, or (with ``safe_mode=True``)
        holds code or names a file to read. The message names the file, and
        the limit when one is exceeded.

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
    if metadata["kind"] == "keras":
        model = _load_network(path, safe_mode)
        if "compile_config" in metadata and not model.compiled:
            _compile_again(model, metadata["compile_config"], path, safe_mode)
    else:
        with _open_archive(path) as archive:
            try:
                model, _ = _pipeline_file.read(path, archive)
            # A crafted state fails in skops or in a class's __setstate__,
            # with any type of error: each is a damaged file, not a traceback.
            except Exception as error:
                raise ModelFileError(f"{path!r} could not be loaded: {error}") from None
        problem = _pipeline_problem(model, safe_mode)
        if problem is not None:
            raise ModelFileError(f"{path!r} could not be loaded: {problem}")
    set_info(model, **metadata.get("info", {}))
    # The compile settings are in use once compiled; the record keeps the
    # entries a pipeline's has.
    metadata.pop("compile_config", None)
    set_info(model, saved=metadata)
    return model


def _load_network(path, safe_mode):
    """Check a ``.keras`` file's config, then load it with Keras."""
    with _open_archive(path) as archive:
        try:
            config = read_json_member(archive, "config.json")
        except KeyError:
            raise ModelFileError(
                f"{path!r} could not be loaded: damaged config: it has no "
                f"'config.json' member. Received: members {archive.namelist()!r:.120}"
            ) from None
        except LimitError as error:
            raise ModelFileError(
                f"{path!r} could not be loaded: damaged config: {error}"
            ) from None
    problem = _oversized_input(config) or _oversized_layer(config)
    if problem is not None:
        raise ModelFileError(f"{path!r} could not be loaded: {problem}")
    refused = _code_in_config(config) if safe_mode else None
    if refused is None:
        try:
            return keras.saving.load_model(path, safe_mode=safe_mode)
        except Exception as error:  # Keras raises many types for a bad file
            if "safe_mode" not in str(error):
                raise ModelFileError(f"{path!r} could not be loaded: {error}") from None
            refused = "a Python function (Keras refused it)"
    raise ModelFileError(
        f"{path!r} holds code that loading would run ({refused}), so it "
        "was not loaded. Models built by animecls hold none. If you made "
        "the file yourself or trust its author, load it with "
        "load_model(path, safe_mode=False). Received: safe_mode=True"
    )


def _compile_again(model, config, path, safe_mode):
    """Compile a network saved without its optimizer with its saved settings.

    The settings come from the file, so they are checked as its
    ``config.json`` is before Keras reads them.
    """
    refused = _code_in_config(config) if safe_mode else None
    if refused is not None:
        raise ModelFileError(
            f"{path!r} holds code in its compile settings ({refused}), so it "
            "was not loaded. Models saved by animecls hold none. If you made "
            "the file yourself or trust its author, load it with "
            "load_model(path, safe_mode=False). Received: safe_mode=True"
        )
    try:
        # As Keras' compile_from_config, with the caller's safe mode, and
        # the optimizer left to build its variables when training starts:
        # predicting needs none of them.
        model.compile(
            **keras.saving.deserialize_keras_object(config, safe_mode=safe_mode)
        )
    except Exception as error:  # Keras raises many types for a bad config
        raise ModelFileError(
            f"{path!r} could not be loaded: damaged compile settings: {error}"
        ) from None


def _pipeline_problem(model, safe_mode):
    """Say why a rebuilt pipeline is refused, or None; drop its saved cache folder.

    The classes are those of the allow-list, but their state came from the
    file: what decides an allocation, a path or the memory libsvm reads is
    checked here.
    """
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    from .embeddings import ColorHistogram

    if not isinstance(model, Pipeline):
        return (
            f"it holds a {type(model).__name__}, not a pipeline. Received: "
            f"{model!r:.80}"
        )
    steps = model.__dict__.get("steps")
    if not (
        isinstance(steps, list)
        and steps
        and all(
            isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str)
            for step in steps
        )
    ):
        return f"its pipeline steps are damaged. Received: steps={steps!r:.80}"
    for name, step in steps:
        state = vars(step) if hasattr(step, "__dict__") else {}
        if "image_size" in state:
            try:
                height, width = check_image_size(state["image_size"], "image_size")
            except ValueError as error:
                return f"its step {name!r} is damaged: {error}"
            problem = _shape_problem(
                [height, width, 3], "image_size", received=state["image_size"]
            )
            if problem is not None:
                return f"its step {name!r} is refused: {problem}"
        if isinstance(step, ColorHistogram):
            bins = state.get("bins")
            values = [bins] if is_int(bins) else bins
            if not (
                isinstance(values, (list, tuple))
                and len(values) in (1, 3)
                and all(is_int(b) and 1 <= b <= _MAX_HISTOGRAM_BINS for b in values)
            ):
                return (
                    f"its step {name!r} has bins beyond 1 to {_MAX_HISTOGRAM_BINS} "
                    f"per channel. Received: bins={bins!r:.80}"
                )
        # The folder the pipeline cached features in belongs to the machine
        # that saved it: a loaded pipeline caches only where its user says.
        if "cache_dir" in state:
            step.cache_dir = None
        weights = state.get("weights")
        if safe_mode and weights is not None and weights not in ("imagenet", "drawn"):
            return (
                f"its step {name!r} reads the weights file {weights!r:.120}, a path "
                "the model file names, so it was not loaded. If you made the file "
                "yourself or trust its author, load it with "
                "load_model(path, safe_mode=False). Received: safe_mode=True"
            )
        if isinstance(step, SVC) or isinstance(getattr(step, "estimator", None), SVC):
            problem = _svc_problem(step)
            if problem is not None:
                return f"its step {name!r} is damaged: {problem}"
    classes = getattr(steps[-1][1], "classes_", None)
    if not isinstance(classes, np.ndarray) or classes.ndim != 1 or len(classes) < 2:
        return f"its classes are damaged. Received: classes_={classes!r:.80}"
    return None


def _svc_problem(step):
    """Say why a fitted SVC's arrays do not fit together, or None.

    libsvm indexes them without checking, so arrays of the wrong type or
    shape from a file would make it read memory it does not own.
    """
    from sklearn.svm import SVC

    svms = [step] if isinstance(step, SVC) else []
    for calibrated in getattr(step, "calibrated_classifiers_", []):
        svms.append(getattr(calibrated, "estimator", None))
    for svm in svms:
        if not isinstance(svm, SVC):
            return f"a calibrated classifier is not an SVC. Received: {svm!r:.80}"
        state = vars(svm)
        arrays = {
            key: state.get(key)
            for key in (
                "support_",
                "support_vectors_",
                "_n_support",
                "_dual_coef_",
                "_intercept_",
                "_probA",
                "_probB",
                "classes_",
                "shape_fit_",
            )
        }
        if not all(
            isinstance(value, np.ndarray)
            for key, value in arrays.items()
            if key != "shape_fit_"
        ):
            return "the SVC's fitted arrays are missing. Received: an SVC state"
        vectors, counts = arrays["support_vectors_"], arrays["_n_support"]
        dual, intercept = arrays["_dual_coef_"], arrays["_intercept_"]
        n_classes = len(arrays["classes_"])
        fits = (
            state.get("_sparse") is False
            and state.get("kernel") in ("linear", "rbf", "poly", "sigmoid")
            and vectors.dtype == np.float64
            and vectors.ndim == 2
            and counts.dtype == np.int32
            and counts.shape == (n_classes,)
            and (counts >= 0).all()
            and int(counts.sum()) == len(vectors) == len(arrays["support_"])
            and dual.dtype == np.float64
            and dual.shape == (n_classes - 1, len(vectors))
            and intercept.dtype == np.float64
            and intercept.shape == (n_classes * (n_classes - 1) // 2,)
            and all(a.dtype == np.float64 for a in (arrays["_probA"], arrays["_probB"]))
            and tuple(arrays["shape_fit_"] or ())[1:] == (vectors.shape[1],)
            and all(a.flags.c_contiguous for a in (vectors, dual, intercept))
        )
        if not fits:
            return (
                "the SVC's fitted arrays do not fit together (support vectors, "
                "their counts per class, the dual coefficients and intercepts). "
                f"Received: {len(vectors)} support vectors of shape "
                f"{vectors.shape}, counts {counts.tolist()!r:.60}"
            )
    return None
