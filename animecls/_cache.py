"""On-disk cache of extracted features, keyed by content.

A cache entry is one ``.npy`` file named by a SHA-256 of the pictures' bytes
and of every setting that changes the features (the network's weight values,
layer, pooling, picture size, library versions). A changed picture or setting
gives another key, so stale features are never served. Files are read with
``allow_pickle=False`` (loading runs no code) and written to a temporary file
first, then renamed, so an interrupted run never leaves a half-written entry.
"""

import hashlib
import json
import os
import tempfile

import numpy as np

# Bump when the meaning of a cached array changes.
CACHE_FORMAT = 1


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


def load(cache_dir, key, n_rows):
    """Return the cached features for ``key``, or None when absent or unusable."""
    path = cache_path(cache_dir, key)
    if not os.path.isfile(path):
        return None
    try:
        features = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        # A damaged entry is recomputed and overwritten, not trusted.
        return None
    if features.ndim < 1 or features.shape[0] != n_rows:
        return None
    return features


def store(cache_dir, key, features):
    """Write ``features`` under ``key`` atomically; return the file path."""
    cache_dir = os.fspath(cache_dir)
    os.makedirs(cache_dir, exist_ok=True)
    path = cache_path(cache_dir, key)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".npy.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.save(file, np.asarray(features), allow_pickle=False)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path
