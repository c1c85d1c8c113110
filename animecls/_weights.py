"""ImageNet weights for VGG16: where Keras caches them, and how to get them offline.

Keras downloads ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`` on first
use into ``$KERAS_HOME/models`` (``~/.keras/models`` by default) and checks it
against a published hash. A classroom without internet cannot download it, so
this module turns the download failure into an error that lists the ways out,
and [`install_weights`][animecls.models.install_weights] places a copied file
(e.g. from a USB stick) into the same cache after checking the same hash.

This module does not import Keras at import time; the command line uses it.
"""

import hashlib
import os
import shutil
import tempfile

__all__ = [
    "WeightsUnavailableError",
    "describe_weights",
    "install_weights",
    "keras_cache_dir",
    "resolve_vgg16_weights",
    "vgg16_weights_cache_path",
]

# The constants Keras itself uses in keras/src/applications/vgg16.py.
VGG16_NOTOP_FILENAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG16_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
    + VGG16_NOTOP_FILENAME
)
VGG16_NOTOP_MD5 = "6d6bbae143d832006294945121d1f1fc"
# Size of the published file: a file of another size is refused before it is
# read to be hashed, and called "truncated" when smaller.
VGG16_NOTOP_SIZE = 58_889_256


class WeightsUnavailableError(OSError):
    """The ImageNet weights could not be fetched and are not in the Keras cache.

    Raised instead of silently training from random weights. The message says
    what failed and the three ways out: connect once, install a copied file
    with [`install_weights`][animecls.models.install_weights] (``animecls
    weights install FILE``), or pass a local file or ``weights=None``.
    """


def keras_cache_dir():
    """Return the Keras cache folder, read from the environment at call time.

    Keras reads ``KERAS_HOME`` once, when it is imported; reading it here at
    each call lets a test or a notebook point it elsewhere afterwards.

    Returns
    -------
    path : str
        ``$KERAS_HOME`` if set, else ``~/.keras`` (``/tmp/.keras`` when the
        home folder is not writable, as Keras does).
    """
    if os.environ.get("KERAS_HOME"):
        return os.path.expanduser(os.environ["KERAS_HOME"])
    home = os.path.expanduser("~")
    if not os.access(home, os.W_OK):
        home = tempfile.gettempdir()
    return os.path.join(home, ".keras")


def vgg16_weights_cache_path():
    """Return where Keras looks for the VGG16 ImageNet weights (no top).

    Returns
    -------
    path : str
        ``<keras cache>/models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5``.
    """
    return os.path.join(keras_cache_dir(), "models", VGG16_NOTOP_FILENAME)


def _file_hash(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _offline_message(cause):
    return (
        "Could not get the VGG16 ImageNet weights: the download of "
        f"{VGG16_NOTOP_URL} failed ({cause}) and no valid copy is in the Keras "
        f"cache at {vgg16_weights_cache_path()}. animecls does not fall back "
        "to random weights on its own. Three ways out:\n"
        "  1. connect to the internet once and run again: Keras downloads the "
        "file (58.9 MB) and caches it;\n"
        "  2. copy the file from a machine that has it (its "
        "~/.keras/models folder) and install it with "
        "`animecls weights install FILE` or "
        "animecls.models.install_weights(FILE);\n"
        '  3. pass weights="/path/to/file.h5" to load a local file, or '
        "weights=None to start from random weights (much worse on small data)."
    )


def imagenet_weights_path():
    """Return the path of the cached VGG16 ImageNet weights, downloading once.

    Goes through ``keras.utils.get_file`` with Keras' own URL and md5, so a
    file already in the cache is checked and reused and a download is checked
    before use.

    Returns
    -------
    path : str
        Path of the checked weights file.

    Raises
    ------
    WeightsUnavailableError
        If the file is not cached and cannot be downloaded.
    """
    import keras

    cache_dir = keras_cache_dir()
    try:
        return keras.utils.get_file(
            VGG16_NOTOP_FILENAME,
            VGG16_NOTOP_URL,
            cache_subdir="models",
            file_hash=VGG16_NOTOP_MD5,
            cache_dir=cache_dir,
        )
    except Exception as error:  # get_file raises a bare Exception on URL errors
        raise WeightsUnavailableError(_offline_message(error)) from error


def resolve_vgg16_weights(weights):
    """Turn a ``weights`` argument into what ``keras.applications.VGG16`` takes.

    Parameters
    ----------
    weights : "imagenet", None or path-like
        ``"imagenet"`` for the cached (or downloaded) ImageNet weights, None
        for random initialisation, or the path of a weights file.

    Returns
    -------
    weights : str or None
        A local file path, or None.

    Raises
    ------
    WeightsUnavailableError
        If ``"imagenet"`` is asked for and cannot be fetched.
    FileNotFoundError
        If a path is given and no file is there.
    """
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        return imagenet_weights_path()
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            'weights must be "imagenet", None or the path of a weights file. '
            f"Received: weights={weights!r}"
        )
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No weights file at {path!r}. Pass an existing file, "
            f'"imagenet" or None. Received: weights={weights!r}'
        )
    return path


def describe_weights(weights):
    """Describe a ``weights`` argument for records: what a run was built from.

    Parameters
    ----------
    weights : "imagenet", None or path-like
        The argument given to a builder or an embedder.

    Returns
    -------
    record : dict
        ``{"weights": "imagenet"}``, ``{"weights": "none"}`` or
        ``{"weights": <absolute path>, "sha256": <hex digest>}``. JSON-ready.
    """
    if weights is None:
        return {"weights": "none"}
    if isinstance(weights, str) and weights == "imagenet":
        return {"weights": "imagenet", "md5": VGG16_NOTOP_MD5}
    path = os.path.abspath(os.fspath(weights))
    return {"weights": path, "sha256": _file_hash(path, "sha256")}


def install_weights(path, *, overwrite=False):
    """Check a copied VGG16 weights file and place it in the Keras cache.

    For a classroom without internet: copy
    ``vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`` from a machine that
    has it (in its ``~/.keras/models``) and install it once; afterwards
    ``weights="imagenet"`` works offline, through Keras' usual hash check.

    Parameters
    ----------
    path : path-like
        The copied file.
    overwrite : bool, default=False
        Replace a valid file already in the cache. An invalid one (a partial
        download) is always replaced.

    Returns
    -------
    destination : str
        Where the file now is (``$KERAS_HOME/models/...`` or
        ``~/.keras/models/...``).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not the published one, e.g. truncated by an
        interrupted copy or another model's weights: its size is checked
        first (58,889,256 bytes), so a file of another size is refused
        without being read; then its md5.

    See Also
    --------
    animecls.models.build_vgg16_transfer : Uses the installed weights.

    Examples
    --------
    >>> from animecls.models import install_weights
    >>> install_weights("/media/usb/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    ... # doctest: +SKIP
    '/home/student/.keras/models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    source = os.fspath(path)
    if not os.path.isfile(source):
        raise FileNotFoundError(f"No file to install. Received: path={source!r}")
    size = os.path.getsize(source)
    # The size first: reading a file of the wrong size to hash it (a 4 GB
    # video picked by mistake) takes long and can only fail.
    if size != VGG16_NOTOP_SIZE:
        sizes = f"{size:,} bytes instead of {VGG16_NOTOP_SIZE:,}"
        if size < VGG16_NOTOP_SIZE:
            what = f"it is truncated ({sizes}): copy it again"
        else:
            what = (
                "it is not the published VGG16 no-top ImageNet weights file "
                f"{VGG16_NOTOP_FILENAME} ({sizes})"
            )
        raise ValueError(
            f"Refusing to install {source!r} without reading it: {what}. "
            f"Received: path={source!r}"
        )
    md5 = _file_hash(source, "md5")
    if md5 != VGG16_NOTOP_MD5:
        raise ValueError(
            f"Refusing to install {source!r}: its md5 is {md5}, Keras publishes "
            f"{VGG16_NOTOP_MD5}, so it is damaged or another file of the same "
            f"size ({size:,} bytes). Received: path={source!r}"
        )
    destination = vgg16_weights_cache_path()
    if (
        not overwrite
        and os.path.isfile(destination)
        and _file_hash(destination, "md5") == VGG16_NOTOP_MD5
    ):
        return destination
    folder = os.path.dirname(destination)
    os.makedirs(folder, exist_ok=True)
    # Copy next to the destination, then rename: a crash mid-copy never
    # leaves a partial file under the name Keras looks for.
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, destination)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return destination
