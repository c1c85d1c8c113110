"""On-disk cache of extracted features, keyed by content.

A cache entry is one ``.npy`` file named by a SHA-256 of the pictures' bytes
and of every setting that changes the features (the network's weight values,
layer, pooling, picture size, library versions). A changed picture or setting
gives another key, so stale features are never served. Files are read with
``allow_pickle=False`` (loading runs no code) and written to a temporary file
first, then renamed, so an interrupted run never leaves a half-written entry;
an entry damaged anyway (a copied or truncated file) is reported with a
warning and rebuilt.

An entry is untrusted input too (a cache folder can be shared or copied):
its ``.npy`` header is checked before its data is read
(``animecls._untrusted.read_npy_header``), so a header declaring 10**14
values, or more than the file holds, allocates nothing. Any damaged entry
(unreadable, truncated, forged, of the wrong shape or type, a folder or a
device in its place) gives a ``CacheWarning`` and a recompute, never an error.
"""

import hashlib
import json
import os
import warnings

import numpy as np

from ._files import atomic_write
from ._untrusted import LimitError, read_npy_header

# Bump when the meaning of a cached array changes.
CACHE_FORMAT = 1

_NPY_MAGIC = b"\x93NUMPY"


def array_digest(images, *, chunk=256):
    """SHA-256 of an array's shape, dtype and bytes, read ``chunk`` rows at a time.

    Reading in chunks keeps memory flat for memory-mapped arrays.
    """
    digest = hashlib.sha256()
    digest.update(repr((tuple(images.shape), str(images.dtype))).encode())
    for start in range(0, len(images), chunk):
        digest.update(np.ascontiguousarray(images[start : start + chunk]).data)
    return digest.hexdigest()


def weights_digest(model):
    """SHA-256 of a Keras model's weight values (the network's identity)."""
    digest = hashlib.sha256()
    for weight in model.weights:
        value = np.ascontiguousarray(keras_value(weight))
        digest.update(repr((weight.path, value.shape, str(value.dtype))).encode())
        digest.update(value.data)
    return digest.hexdigest()


def keras_value(weight):
    """Return a Keras variable's value as a NumPy array."""
    return np.asarray(weight.numpy())


def cache_key(images_digest, settings):
    """Combine the pictures' digest and the settings into one key."""
    text = json.dumps(
        {"format": CACHE_FORMAT, "images": images_digest, "settings": settings},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def cache_path(cache_dir, key):
    """Return the file that holds the entry ``key``."""
    return os.path.join(os.fspath(cache_dir), f"features-{key}.npy")


def load(cache_dir, key, shape):
    """Return the cached features for ``key``, or None when absent or unusable.

    ``shape`` is the expected shape of the features. An entry that cannot be
    read, or holds an array of another shape or a non-float type, is reported
    with a [`CacheWarning`][animecls.embeddings.CacheWarning] and ignored; the
    caller recomputes the features and overwrites it. The header is checked
    against ``shape`` before the data is read, so a forged entry allocates
    nothing.
    """
    shape = tuple(shape)
    path = cache_path(cache_dir, key)
    if not os.path.lexists(path):
        return None
    # Checked before opening: opening a named pipe would wait for a writer.
    if not os.path.isfile(path):
        return _damaged(path, "not a regular file")
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            # np.load would take anything else for a pickle or a zip archive.
            if file.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                return _damaged(path, "not a .npy file")
            file.seek(0)
            found, dtype = read_npy_header(file, size, "the entry")
            if found != shape or dtype.kind != "f":
                return _damaged(
                    path,
                    f"holds a {dtype} array of shape {found}, expected floats of "
                    f"shape {shape}",
                )
            file.seek(0)
            return np.load(file, allow_pickle=False)
    except LimitError as error:
        return _damaged(path, str(error))
    # Whatever else a damaged entry raises (a folder, a device or a broken
    # link in its place, a read error), the features can be computed again.
    except Exception as error:
        return _damaged(path, f"{type(error).__name__}: {error}")


class CacheWarning(UserWarning):
    """A features cache entry could not be read or written.

    The features are computed (again) and returned all the same; a damaged
    entry is overwritten with the new ones.
    """


def _damaged(path, reason):
    warnings.warn(
        f"Ignoring the damaged cache entry {path!r} ({reason}); the features "
        "are computed again and the entry rewritten.",
        CacheWarning,
        stacklevel=3,
    )
    return None


def store(cache_dir, key, features):
    """Write ``features`` under ``key`` atomically; return the path or None.

    A failed write (a full disk, a read-only folder) is a warning, not an
    error: the features were computed and are still returned to the caller.
    """
    path = cache_path(cache_dir, key)
    try:
        os.makedirs(os.fspath(cache_dir), exist_ok=True)
        with atomic_write(path) as temporary, open(temporary, "wb") as file:
            np.save(file, np.asarray(features), allow_pickle=False)
    except OSError as error:
        original = error.__cause__ or error
        warnings.warn(
            f"Could not write the features cache entry {path!r} "
            f"({original.strerror or original}); the features are used without "
            "being cached.",
            CacheWarning,
            stacklevel=3,
        )
        return None
    return path
