"""Batches of pictures for Keras: checked, chunked and streamed through ``tf.data``.

Shared by the feature extractors ([`animecls.embeddings`][]) and the
transfer-learning code (``animecls._vgg16``), which run a network over
more pictures than fit in memory at once.
"""

import itertools
import math
import warnings
from numbers import Real

import keras
import numpy as np
import tensorflow as tf

from ._store import PictureFile

__all__ = [
    "PictureBatches",
    "check_batch",
    "chunks",
    "is_stream",
    "predict_in_batches",
    "stream",
]


def is_stream(images):
    """Return True for what is read as a stream of batches, not one array.

    A ``tf.data.Dataset``, a generator or any other iterator or iterable that
    is not array-like. Lists, tuples, ``tf.Tensor`` and anything else NumPy
    converts (``__array__``) are arrays, as scikit-learn reads them.
    """
    if isinstance(images, tf.data.Dataset):
        return True
    if isinstance(images, list | tuple | np.ndarray) or hasattr(images, "__array__"):
        return False
    if hasattr(images, "__array_interface__"):
        return False
    return hasattr(images, "__iter__") or hasattr(images, "__next__")


def _as_array(images, name):
    """Convert array-likes (lists, tensors, object arrays) as ``np.asarray`` does."""
    kind = type(images).__name__
    # Pictures on disk stay there: they are uint8 of one size by making.
    if not isinstance(images, np.ndarray | PictureFile):
        try:
            images = np.asarray(images)
        except ValueError:
            raise ValueError(
                f"{name} must be an array of RGB pictures of one size; resize "
                "them first (load_image_folder does). Received: a "
                f"{kind} of pictures of different shapes"
            ) from None
    if images.dtype.kind == "O":
        # scikit-learn reads an object array of numbers as floats; anything
        # else in it (None, which astype would turn into NaN, strings,
        # pictures of several sizes) is refused.
        for value in images.flat:
            if not isinstance(value, Real) or isinstance(value, bool | np.bool_):
                raise ValueError(
                    f"{name} must hold numbers (0-255). Received: {name} with "
                    f"dtype object holding {value!r:.40}"
                )
        images = images.astype(np.float64)
    return images


def check_batch(images, name="images"):
    """Check a batch of RGB pictures; return it as an array (maps stay maps).

    Lists, ``tf.Tensor`` and other array-likes are converted with
    ``np.asarray``. Refused, each with a message that names what was received:
    anything but 4 dimensions ``(n_images, height, width, 3)`` (grey and RGBA
    pictures included, with the fix in the message), an empty batch, pictures
    without pixels, values that are not numbers (strings, bools, complex,
    objects), NaN or infinite values, and values outside 0-255.
    """
    images = _as_array(images, name)
    if images.ndim != 4 or images.shape[-1] != 3:
        if images.ndim == 3 and images.shape[-1] == 3:
            hint = " (one picture? add a batch axis: images[None])"
        elif images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 1):
            hint = (
                " (grey pictures? repeat them to RGB: "
                "np.repeat(images.reshape(*images.shape[:3], 1), 3, axis=-1))"
            )
        elif images.ndim == 4 and images.shape[-1] == 4:
            hint = " (RGBA pictures? drop the alpha channel: images[..., :3])"
        elif images.ndim == 5:
            hint = " (a list of batches? pass iter(batches) to stream them)"
        elif images.ndim == 2:
            hint = " (a table of features? these transformers take pictures)"
        else:
            hint = ""
        raise ValueError(
            f"{name} must be an array of RGB pictures with shape (n_images, "
            f"height, width, 3){hint}. Received: {name} with shape {images.shape}"
        )
    if len(images) == 0:
        raise ValueError(
            f"{name} is an empty batch: there is nothing to transform. "
            f"Received: {name} with shape {images.shape}"
        )
    if min(images.shape[1:3]) == 0:
        raise ValueError(
            f"{name} holds pictures with no pixels. Received: {name} with shape "
            f"{images.shape}"
        )
    if images.dtype.kind == "c":
        # scikit-learn's words, so that its users recognise the refusal.
        raise ValueError(
            f"Complex data not supported: {name} must hold real numbers (0-255). "
            f"Received: {name} with dtype {images.dtype}"
        )
    if images.dtype.kind not in "uif":
        raise ValueError(
            f"{name} must hold numbers (0-255). Received: {name} with dtype "
            f"{images.dtype}"
        )
    if images.dtype == np.uint8:
        return images
    low, high, finite = np.inf, -np.inf, True
    for chunk in chunks(images, 256):
        if images.dtype.kind == "f" and not np.isfinite(chunk).all():
            finite = False
            break
        low, high = min(low, chunk.min()), max(high, chunk.max())
    if not finite:
        # NaN would pass through every transformer and reach the SVM as NaN
        # features, far from where it came in.
        raise ValueError(
            f"{name} holds NaN or infinite values; pictures hold numbers "
            f"from 0 to 255. Received: {name} with dtype {images.dtype}"
        )
    if low < 0 or high > 255:
        # Every transformer reads 0-255 (VGG16 subtracts ImageNet's mean of
        # 0-255 pixels); values beyond it are not pictures as loaded. The
        # first words are scikit-learn's for negative input.
        problem = (
            "Negative values in data passed to" if low < 0 else "Values above 255 in"
        )
        raise ValueError(
            f"{problem} {name}: pictures hold values from 0 to 255. "
            f"Received: {name} with values from {low:g} to {high:g}"
        )
    return images


def chunks(images, size):
    """Yield consecutive slices of ``size`` pictures (read lazily from maps)."""
    for start in range(0, len(images), size):
        yield np.asarray(images[start : start + size])


def stream(images, batch_size):
    """Turn pictures into a batched, prefetched ``tf.data.Dataset``.

    Accepts an array or array-like (a memory map is read one batch at a
    time, so memory stays flat however many pictures it holds; a list or a
    ``tf.Tensor`` is converted whole), an iterator or generator of arrays of
    pictures, or a ``tf.data.Dataset`` of batches (``(images, labels)``
    elements are reduced to the images).

    Returns
    -------
    dataset : tf.data.Dataset
    steps : int or None
        Number of batches when known (for the progress bar).
    shape : tuple
        Height, width and channels of one picture.
    """
    if isinstance(images, tf.data.Dataset):
        spec = images.element_spec
        if isinstance(spec, tuple):
            images = images.map(lambda *element: element[0])
            spec = spec[0]
        shape = tuple(spec.shape[1:])
        if len(shape) != 3 or shape[-1] != 3:
            raise ValueError(
                "The dataset must yield batches of RGB pictures (batch, height, "
                f"width, 3). Received: element shape {tuple(spec.shape)}"
            )
        return images.prefetch(tf.data.AUTOTUNE), None, shape
    if isinstance(images, PictureFile):
        shape = tuple(images.shape[1:])
        signature = tf.TensorSpec((None, *shape), tf.uint8)
        dataset = tf.data.Dataset.from_generator(
            lambda: images.batches(batch_size), output_signature=signature
        )
        steps = math.ceil(len(images) / batch_size)
        return dataset.prefetch(tf.data.AUTOTUNE), steps, shape
    if not is_stream(images):
        images = check_batch(images)
        shape = tuple(images.shape[1:])
        signature = tf.TensorSpec((None, *shape), tf.as_dtype(images.dtype))
        dataset = tf.data.Dataset.from_generator(
            lambda: chunks(images, batch_size), output_signature=signature
        )
        steps = math.ceil(len(images) / batch_size)
        return dataset.prefetch(tf.data.AUTOTUNE), steps, shape
    iterator = iter(images)
    try:
        first = check_batch(next(iterator), name="each chunk")
    except StopIteration:
        raise ValueError(
            "images is an empty iterable: there is nothing to transform."
        ) from None
    shape = tuple(first.shape[1:])
    signature = tf.TensorSpec((None, *shape), tf.as_dtype(first.dtype))

    def checked_chunks():
        for chunk in itertools.chain([first], iterator):
            yield check_batch(chunk, name="each chunk")

    dataset = tf.data.Dataset.from_generator(checked_chunks, output_signature=signature)
    # Chunks of any size become model batches inside tf.data, not in Python.
    dataset = dataset.unbatch().batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE), None, shape


def _verbosity(verbose, steps):
    if verbose == "auto":
        # A bar for runs long enough to wait for; silence for small batches.
        return 1 if steps is None or steps > 4 else 0
    return int(verbose)


def predict_in_batches(model, images, *, batch_size=32, verbose="auto"):
    """Run ``model.predict`` over pictures streamed through ``tf.data``.

    Parameters
    ----------
    model : keras.Model
        Takes a batch of pictures.
    images : array, iterable of arrays or tf.data.Dataset
        See [`animecls.embeddings.VGG16Embedder.transform`][].
    batch_size : int, default=32
        Pictures per batch.
    verbose : "auto", 0 or 1, default="auto"
        Progress bar; ``"auto"`` shows it when there are more than 4 batches.

    Returns
    -------
    outputs : ndarray
        The model's outputs for every picture, in order.
    """
    if isinstance(images, PictureFile) and not _verbosity(verbose, len(images)):
        return _predict_into(model, images, batch_size)
    dataset, steps, _ = stream(images, batch_size)
    with warnings.catch_warnings():
        # With an unknown number of batches Keras reads until the data ends
        # and then warns that it "ran out of data": that end is expected here.
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        return model.predict(dataset, steps=steps, verbose=_verbosity(verbose, steps))


def _predict_into(model, pictures, batch_size):
    """Predict batch by batch into one array allocated once.

    ``model.predict`` keeps every batch's outputs and then joins them, which
    holds the outputs twice at its peak: for the features of tens of
    thousands of pictures on disk, that is the largest allocation of a run.
    """
    outputs = None
    for start in range(0, len(pictures), batch_size):
        batch = keras.ops.convert_to_numpy(
            model.predict_on_batch(pictures[start : start + batch_size])
        )
        if outputs is None:
            outputs = np.empty((len(pictures), *batch.shape[1:]), dtype=batch.dtype)
        outputs[start : start + len(batch)] = batch
    return outputs


class PictureBatches(keras.utils.PyDataset):
    """Batches of pictures read from a ``PictureFile``, with one-hot labels.

    What a network trains on when the pictures stay on disk: each batch is
    read when Keras asks for it, so memory holds a few batches, not the set.

    Parameters
    ----------
    pictures : PictureFile
        All the pictures of the run.
    target : array of int
        The class number of each of them.
    indices : array of int
        The pictures of this part (training or validation).
    n_classes : int
        Width of the one-hot labels.
    batch_size : int
        Pictures per batch; the last one may be smaller.
    shuffle : bool, default=False
        Read the part in a new order at every epoch, drawn from ``seed``.
    seed : int, default=0
        Seed of the orders.
    """

    def __init__(
        self, pictures, target, indices, n_classes, batch_size, *, shuffle=False, seed=0
    ):
        # One reading thread: batches come in order, and the epoch's order
        # is the one drawn from the seed.
        super().__init__(workers=1, use_multiprocessing=False, max_queue_size=4)
        self._pictures = pictures
        self._target = np.asarray(target)
        self._indices = np.asarray(indices, dtype=np.int64)
        self._n_classes = int(n_classes)
        self._batch_size = int(batch_size)
        self._shuffle = bool(shuffle)
        self._rng = np.random.default_rng(seed)
        self._order = self._indices
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self._indices) / self._batch_size)

    @property
    def n_pictures(self):
        """Number of pictures in the part."""
        return len(self._indices)

    def __getitem__(self, batch):
        picked = self._order[batch * self._batch_size : (batch + 1) * self._batch_size]
        # Read in file order (fewer seeks), then put back in the drawn order.
        order = np.argsort(picked, kind="stable")
        images = np.empty((len(picked), *self._pictures.shape[1:]), dtype=np.uint8)
        images[order] = self._pictures[picked[order]]
        labels = np.eye(self._n_classes, dtype="float32")[self._target[picked]]
        return images, labels

    def on_epoch_end(self):
        """Draw the next epoch's order (when shuffling)."""
        if self._shuffle:
            self._order = self._rng.permutation(self._indices)
