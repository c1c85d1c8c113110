"""Feature extractors for scikit-learn pipelines, and the SVM baselines built on them.

Four ways to turn pictures into a table a scikit-learn classifier can use:

- [`VGG16Embedder`][animecls.embeddings.VGG16Embedder]: activations of a VGG16
  network pretrained on ImageNet (the design's feature-extraction baseline);
- [`DrawnEmbedder`][animecls.embeddings.DrawnEmbedder]: features of the drawn
  backbone animecls pretrained on drawn identities and ships, so they need no
  download;
- [`RawPixels`][animecls.embeddings.RawPixels]: the pictures shrunk to a few
  pixels (what any model must beat);
- [`ColorHistogram`][animecls.embeddings.ColorHistogram]: how much of each
  colour a picture holds, ignoring where it is. Hair and eye colours are what
  tell anime characters apart, so this shows how far colour alone goes.

All four are scikit-learn transformers that take a batch of RGB pictures
(an array ``(n_images, height, width, 3)``, 0-255, as
[`animecls.datasets.load_image_folder`][] returns) and return a 2-D float
array; [`make_embedding_svm`][animecls.embeddings.make_embedding_svm] and
[`make_baseline`][animecls.embeddings.make_baseline] put one in front of a
``StandardScaler`` and an ``SVC``.

A HOG (histogram of oriented gradients) transformer is not provided:
scikit-image, which has a tested one, is not a dependency, and a home-made
HOG would be a second, untested implementation.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from . import _cache
from ._backbone import (
    FEATURES,
    PRETRAINING_SIZE,
    drawn_features_model,
    load_drawn_backbone,
)
from ._batches import check_batch, chunks, is_stream, predict_in_batches, stream
from ._cache import CacheWarning
from ._validation import (
    VGG16_MIN_SIZE,
    check_count,
    check_image_size,
    draw_seed,
    is_int,
)
from ._vgg16 import VGG16_LAYERS, build_vgg16_base, seeded_init, vgg16_preprocessing

__all__ = [
    "CacheWarning",
    "ColorHistogram",
    "DrawnEmbedder",
    "RawPixels",
    "VGG16Embedder",
    "make_baseline",
    "make_embedding_svm",
]


class _Stateless(TransformerMixin, BaseEstimator):
    """A transformer that learns nothing from the data: transform needs no fit."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        # The input is pictures (n_images, height, width, 3), not a table.
        # scikit-learn has no tag for 4-D input; two_d_array=False is the
        # truth it can be told, and it keeps its table-only checks away.
        tags.input_tags.two_d_array = False
        tags.input_tags.positive_only = True
        # Features are float32 whatever the pictures' dtype.
        tags.transformer_tags.preserves_dtype = []
        return tags


class _NetworkTransformer(_Stateless):
    """A stateless transformer that runs a Keras network, built on demand."""

    def __getstate__(self):
        # Keras models do not pickle; they are rebuilt on demand.
        state = super().__getstate__().copy()
        state.pop("_extractors", None)
        return state

    def _seed(self):
        """Seed of the random weights: ``random_state``, or the one drawn for it.

        A seed drawn for None (or a ``RandomState``) is kept in ``seed_``, so
        that fit and transform, a pickled copy and a network rebuilt for
        another picture size all use the same random weights.
        """
        if is_int(self.random_state):
            return int(self.random_state)
        if "seed_" not in self.__dict__:
            self.seed_ = draw_seed(self.random_state)
        return self.seed_

    def _fit_seed(self):
        # Each fit draws anew for None, as scikit-learn's estimators do.
        self.seed_ = draw_seed(self.random_state)


class VGG16Embedder(_NetworkTransformer):
    """Map pictures to VGG16 embeddings: a scikit-learn transformer.

    Each picture is resized to ``image_size``, preprocessed with
    ``keras.applications.vgg16.preprocess_input`` (inside the network, so the
    embedder takes 0-255 RGB pictures), passed through VGG16 up to ``layer``,
    and pooled into one row of features. Extraction is batched through
    ``tf.data`` with prefetching, and can be cached on disk.

    Parameters
    ----------
    weights : "imagenet", None or path-like, default="imagenet"
        As in [`animecls.models.build_vgg16_transfer`][]. Without network
        and without a cached copy, ``"imagenet"`` raises
        [`WeightsUnavailableError`][animecls.models.WeightsUnavailableError].
    layer : str, default="block5_pool"
        VGG16 layer whose output is the embedding (``block1_conv1`` ...
        ``block5_pool``).
    pooling : {"avg", "max", "flatten"}, default="avg"
        How the layer's feature maps become one row: global average (512
        features at ``block5_pool``), global max, or every activation
        (7x7x512 = 25,088 features at 224x224).
    image_size : int or tuple of int, default=(224, 224)
        Height and width the pictures are resized to (VGG16's ImageNet
        size; one int for a square). Smaller is faster; at least 32.
    batch_size : int, default=32
        Pictures per batch.
    cache_dir : path-like or None, default=None
        Folder of the on-disk cache. When set, the features of an array of
        pictures are stored under a hash of the pictures' bytes and of every
        setting that changes them (the weight values, layer, pooling, image
        size, Keras and TensorFlow versions); a second run with the same
        pictures skips the extraction, a changed picture or setting computes
        anew. Entries are ``.npy`` files read without pickle and written to
        a temporary file, then renamed. A damaged entry (unreadable, or of
        the wrong shape) is rebuilt, and a cache that cannot be written (a
        full disk) is skipped, each with a
        [`CacheWarning`][animecls.embeddings.CacheWarning].
    random_state : int, None or numpy.random.RandomState, default=0
        Seed of the random weights when ``weights=None`` (ignored otherwise).
        None draws a seed, as in scikit-learn: each ``fit`` (or the first
        ``transform`` without one) draws anew, and the drawn seed is kept in
        ``seed_``.
    verbose : "auto", 0 or 1, default="auto"
        Progress bar during extraction; ``"auto"`` shows it from 5 batches.

    Attributes
    ----------
    n_features_out_ : int
        Length of one embedding (set by
        [`fit`][animecls.embeddings.VGG16Embedder.fit]).
    seed_ : int
        Seed of the random weights (``random_state``, or the one drawn for
        None); used with ``weights=None`` only.

    Notes
    -----
    The input is pictures, not a table, so there is no ``n_features_in_``:
    pictures of any size are resized to ``image_size``, and ``fit`` does not
    bind ``transform`` to one size. Lists and ``tf.Tensor`` are read as arrays
    (``np.asarray``); grey ``(n, height, width)`` or ``(n, height, width, 1)``
    pictures are refused rather than guessed at (the message shows how to
    repeat them to RGB), as are values outside 0-255.

    See Also
    --------
    make_embedding_svm : The embedder followed by a scaler and an SVM.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.embeddings import VGG16Embedder
    >>> images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3))
    >>> embedder = VGG16Embedder(weights=None, image_size=(32, 32), verbose=0)
    >>> embedder.fit_transform(images).shape
    (4, 512)
    """

    def __init__(
        self,
        weights="imagenet",
        *,
        layer="block5_pool",
        pooling="avg",
        image_size=(224, 224),
        batch_size=32,
        cache_dir=None,
        random_state=0,
        verbose="auto",
    ):
        self.weights = weights
        self.layer = layer
        self.pooling = pooling
        self.image_size = image_size
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.verbose = verbose

    def _validate(self):
        if self.layer not in VGG16_LAYERS:
            raise ValueError(
                f"layer must be a VGG16 layer name, one of {list(VGG16_LAYERS)}. "
                f"Received: layer={self.layer!r}"
            )
        if self.pooling not in ("avg", "max", "flatten"):
            raise ValueError(
                'pooling must be "avg", "max" or "flatten". '
                f"Received: pooling={self.pooling!r}"
            )
        check_count(self.batch_size, "batch_size")
        return check_image_size(
            self.image_size,
            "image_size",
            minimum=VGG16_MIN_SIZE,
            why="VGG16 halves them five times",
        )

    def _settings(self):
        """Everything that makes this embedder's output what it is."""
        return (
            self.weights if self.weights is None else str(self.weights),
            self.layer,
            self.pooling,
            self._validate(),
            self._seed() if self.weights is None else None,
        )

    def _extractor(self, shape):
        """Build (once per input shape and settings) the Keras extractor."""
        settings = self._settings()
        extractors = self.__dict__.setdefault("_extractors", {})
        key = (shape, settings)
        if key not in extractors:
            extractors.clear()
            size = settings[3]
            base = build_vgg16_base((*size, 3), self.weights)
            if self.weights is None:
                seeded_init(base, settings[4])
            cut = keras.Model(
                base.inputs, base.get_layer(self.layer).output, name="vgg16"
            )
            inputs = keras.Input(shape=shape, name="image")
            x = inputs
            if tuple(shape[:2]) != size:
                x = keras.layers.Resizing(*size, name="resize")(x)
            x = vgg16_preprocessing(name="preprocess")(x)
            x = cut(x)
            if self.pooling == "avg":
                x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
            elif self.pooling == "max":
                x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
            else:
                x = keras.layers.Flatten(name="pool")(x)
            model = keras.Model(inputs, x, name="vgg16_embedder")
            extractors[key] = (model, _cache.weights_digest(model))
        return extractors[key]

    def fit(self, X, y=None):
        """Check the settings and build the network; nothing is learned.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, 3), or a stream
            Pictures, 0-255 (see
            [`transform`][animecls.embeddings.VGG16Embedder.transform]). A
            stream is not read: it may be read once only.
        y : None
            Ignored.

        Returns
        -------
        self : VGG16Embedder
        """
        size = self._validate()
        self._fit_seed()
        if not is_stream(X):
            X = check_batch(X, name="X")
            self._extractor(tuple(X.shape[1:]))
        self.n_features_out_ = _vgg16_width(self.layer, self.pooling, size)
        return self

    def transform(self, X):
        """Return the embeddings of the pictures.

        Parameters
        ----------
        X : array-like, iterator of arrays or tf.data.Dataset
            Pictures ``(n_images, height, width, 3)``, 0-255. An array is read
            one batch at a time (a ``np.memmap`` never loads whole); a list
            or a ``tf.Tensor`` is converted to an array, as scikit-learn
            does; an iterator or generator may yield chunks of any size (pass
            ``iter(chunks)`` for a list of chunks); a ``tf.data.Dataset``
            must yield batches (its labels, if any, are dropped). The disk
            cache applies to arrays only, since hashing needs a pass over the
            data.

        Returns
        -------
        embeddings : ndarray of shape (n_images, n_features), float32
        """
        self._validate()
        if is_stream(X):
            dataset, _, shape = stream(X, self.batch_size)
            model, _ = self._extractor(shape)
            return predict_in_batches(
                model, dataset, batch_size=self.batch_size, verbose=self.verbose
            )
        X = check_batch(X, name="X")
        model, identity = self._extractor(tuple(X.shape[1:]))
        key = None
        if self.cache_dir is not None:
            settings = {
                "extractor": "VGG16Embedder",
                "weights_sha256": identity,
                "layer": self.layer,
                "pooling": self.pooling,
                "image_size": list(self._validate()),
                "input_shape": list(X.shape[1:]),
                "keras": keras.__version__,
                "tensorflow": tf.__version__,
            }
            key = _cache.cache_key(_cache.array_digest(X), settings)
            cached = _cache.load(
                self.cache_dir, key, (len(X), int(model.output_shape[-1]))
            )
            if cached is not None:
                return cached
        features = predict_in_batches(
            model, X, batch_size=self.batch_size, verbose=self.verbose
        )
        if key is not None:
            _cache.store(self.cache_dir, key, features)
        return features

    def get_feature_names_out(self, input_features=None):
        """Return ``vgg16_<layer>_<pooling><i>`` for each embedding feature.

        The settings decide the number of features (pictures are resized to
        ``image_size``), so this needs no fit.

        Parameters
        ----------
        input_features : None
            Ignored (the input is pictures, not named columns).

        Returns
        -------
        names : ndarray of str
        """
        n = _vgg16_width(self.layer, self.pooling, self._validate())
        prefix = f"vgg16_{self.layer}_{self.pooling}"
        return np.asarray([f"{prefix}{i}" for i in range(n)], dtype=object)


def _vgg16_width(layer, pooling, size):
    """Return the number of features VGG16 gives at ``layer`` for ``size``."""
    block = int(layer[len("block")])
    channels = (64, 128, 256, 512, 512)[block - 1]
    if pooling != "flatten":
        return channels
    height, width = size
    # Convolutions keep the size ("same" padding); each pooling halves it,
    # rounding down. The layer's own block is pooled only at its pool layer.
    for _ in range(block if layer.endswith("pool") else block - 1):
        height, width = height // 2, width // 2
    return height * width * channels


def _resize(images, size, chunk=256):
    """Resize a batch with area averaging, a chunk at a time."""
    out = []
    for part in chunks(images, chunk):
        if tuple(part.shape[1:3]) == tuple(size):
            out.append(part.astype("float32"))
        else:
            resized = keras.ops.image.resize(
                part.astype("float32"), size, interpolation="area"
            )
            out.append(keras.ops.convert_to_numpy(resized))
    return np.concatenate(out)


class RawPixels(_Stateless):
    """Shrink pictures to a few pixels and use them as features.

    The simplest baseline: a 32x32 thumbnail (3,072 numbers in 0-1) keeps the
    layout of the colours and little else.

    Parameters
    ----------
    image_size : int or tuple of int, default=(32, 32)
        Height and width of the thumbnails (area averaging; one int for a
        square).

    See Also
    --------
    ColorHistogram : Colours without their position.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.embeddings import RawPixels
    >>> images = np.zeros((2, 64, 64, 3), dtype=np.uint8)
    >>> RawPixels(image_size=(8, 8)).fit_transform(images).shape
    (2, 192)
    """

    def __init__(self, image_size=(32, 32)):
        self.image_size = image_size

    def fit(self, X, y=None):
        """Check the settings; nothing is learned.

        Parameters
        ----------
        X : array of shape (n_images, height, width, 3)
            Pictures, 0-255.
        y : None
            Ignored.

        Returns
        -------
        self : RawPixels
        """
        height, width = check_image_size(self.image_size, "image_size")
        check_batch(X, name="X")
        self.n_features_out_ = height * width * 3
        return self

    def transform(self, X):
        """Return the thumbnails, flattened and scaled to 0-1.

        Parameters
        ----------
        X : array of shape (n_images, height, width, 3)
            Pictures, 0-255.

        Returns
        -------
        features : ndarray of shape (n_images, height * width * 3), float32
        """
        size = check_image_size(self.image_size, "image_size")
        X = check_batch(X, name="X")
        return (_resize(X, size) / 255.0).reshape(len(X), -1).astype("float32")

    def get_feature_names_out(self, input_features=None):
        """Return ``pixel<row>_<column>_<r|g|b>`` for each feature, in order.

        Parameters
        ----------
        input_features : None
            Ignored (the input is pictures, not named columns).

        Returns
        -------
        names : ndarray of str
        """
        height, width = check_image_size(self.image_size, "image_size")
        return np.asarray(
            [
                f"pixel{row}_{column}_{channel}"
                for row in range(height)
                for column in range(width)
                for channel in "rgb"
            ],
            dtype=object,
        )


def _rgb_to_hsv(rgb):
    """Vectorised RGB (0-1) to HSV (0-1), as colorsys does one pixel at a time."""
    maximum = rgb.max(axis=-1)
    minimum = rgb.min(axis=-1)
    delta = maximum - minimum
    safe = np.where(delta == 0, 1, delta)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(
        maximum == red,
        (green - blue) / safe,
        np.where(maximum == green, 2 + (blue - red) / safe, 4 + (red - green) / safe),
    )
    hue = np.where(delta == 0, 0, (hue / 6) % 1)
    saturation = np.where(maximum == 0, 0, delta / np.where(maximum == 0, 1, maximum))
    return np.stack([hue, saturation, maximum], axis=-1)


class ColorHistogram(_Stateless):
    """How much of each colour a picture holds, wherever it is.

    A joint 3-D histogram over the colour channels, normalised to sum to one
    per picture. Anime characters are told apart by hair and eye colours, so
    this cheap feature goes far; it cannot see shapes at all.

    Parameters
    ----------
    bins : int or tuple of 3 int, default=8
        Bins per channel (8 gives 512 features).
    color_space : {"hsv", "rgb"}, default="hsv"
        ``"hsv"`` separates hue (which colour) from saturation and
        brightness, so shading moves a pixel less between bins.

    See Also
    --------
    RawPixels : Colours with their position.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.embeddings import ColorHistogram
    >>> images = np.zeros((2, 16, 16, 3), dtype=np.uint8)
    >>> features = ColorHistogram(bins=4).fit_transform(images)
    >>> features.shape, float(features[0].sum())
    ((2, 64), 1.0)
    """

    def __init__(self, bins=8, color_space="hsv"):
        self.bins = bins
        self.color_space = color_space

    def _bins(self):
        bins = (self.bins,) * 3 if np.ndim(self.bins) == 0 else tuple(self.bins)
        if len(bins) != 3 or any(
            not isinstance(b, numbers.Integral) or b < 1 for b in bins
        ):
            raise ValueError(
                "bins must be a positive integer or 3 of them. "
                f"Received: bins={self.bins!r}"
            )
        if self.color_space not in ("hsv", "rgb"):
            raise ValueError(
                'color_space must be "hsv" or "rgb". '
                f"Received: color_space={self.color_space!r}"
            )
        return tuple(int(b) for b in bins)

    def fit(self, X, y=None):
        """Check the settings; nothing is learned.

        Parameters
        ----------
        X : array of shape (n_images, height, width, 3)
            Pictures, 0-255.
        y : None
            Ignored.

        Returns
        -------
        self : ColorHistogram
        """
        bins = self._bins()
        check_batch(X, name="X")
        self.n_features_out_ = int(np.prod(bins))
        return self

    def transform(self, X):
        """Return one normalised colour histogram per picture.

        Parameters
        ----------
        X : array of shape (n_images, height, width, 3)
            Pictures, 0-255.

        Returns
        -------
        features : ndarray of shape (n_images, prod(bins)), float32
        """
        bins = np.asarray(self._bins())
        X = check_batch(X, name="X")
        n_bins = int(np.prod(bins))
        out = []
        for part in chunks(X, 256):
            colours = np.clip(part.astype("float32") / 255.0, 0, 1)
            if self.color_space == "hsv":
                colours = _rgb_to_hsv(colours)
            index = np.minimum((colours * bins).astype(np.int64), bins - 1)
            flat = (index[..., 0] * bins[1] + index[..., 1]) * bins[2] + index[..., 2]
            flat = flat.reshape(len(part), -1)
            # One bincount for the whole chunk: offset each picture's bins.
            offsets = np.arange(len(part))[:, None] * n_bins
            counts = np.bincount(
                (flat + offsets).ravel(), minlength=len(part) * n_bins
            ).reshape(len(part), n_bins)
            out.append(counts / flat.shape[1])
        return np.concatenate(out).astype("float32")

    def get_feature_names_out(self, input_features=None):
        """Return the bin of each feature, e.g. ``hsv_h0_s2_v1``, in order.

        Parameters
        ----------
        input_features : None
            Ignored (the input is pictures, not named columns).

        Returns
        -------
        names : ndarray of str
        """
        bins = self._bins()
        space = self.color_space
        return np.asarray(
            [
                f"{space}_{space[0]}{i}_{space[1]}{j}_{space[2]}{k}"
                for i, j, k in np.ndindex(*bins)
            ],
            dtype=object,
        )


def make_embedding_svm(
    embedder=None,
    *,
    C=None,
    kernel="linear",
    gamma="scale",
    probability=False,
    class_weight=None,
    random_state=0,
):
    """Return ``Pipeline([embed, StandardScaler, SVC])``, ready for GridSearchCV.

    Parameters
    ----------
    embedder : transformer or None, default=None
        Turns pictures into features; None means ``VGG16Embedder()`` (ImageNet
        weights, average-pooled ``block5_pool``).
    C : float or None, default=None
        SVM regularisation (search it as ``svm__C``). None is the C recorded
        for the embedder: 0.01 for a
        [`DrawnEmbedder`][animecls.embeddings.DrawnEmbedder] (chosen on
        development sets of random identities, never on the default set:
        ``benchmarks/choose_drawn_svm_c.py``), as ``make_baseline("drawn")``
        uses, and 1.0 for any other embedder.
    kernel : {"linear", "rbf"}, default="linear"
        SVM kernel (``svm__kernel``). Linear suits the 512-dimensional VGG16
        embeddings; try ``"rbf"`` for the colour histograms.
    gamma : "scale", "auto" or float, default="scale"
        RBF width (``svm__gamma``).
    probability : bool, default=False
        Whether the pipeline has ``predict_proba``. scikit-learn 1.9
        deprecates ``SVC(probability=True)``; its replacement,
        ``CalibratedClassifierCV(SVC(...), ensemble=False)`` (Platt scaling
        fitted by cross-validation), becomes the ``"svm"`` step, and the SVM's
        parameters are then searched as ``svm__estimator__C``. Calibration
        refits the SVM five times, so leave it off for model selection.
    class_weight : dict, "balanced" or None, default=None
        Passed to ``SVC``.
    random_state : int, default=0
        Passed to ``SVC`` (it only matters for some solvers' tie breaking).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"embed"``, ``"scale"`` and ``"svm"``.

    See Also
    --------
    make_baseline : The same with a named feature extractor.

    Notes
    -----
    In a ``GridSearchCV`` the whole pipeline is refitted for every fold and
    parameter setting, so a
    [`VGG16Embedder`][animecls.embeddings.VGG16Embedder] step runs VGG16 again
    each time (its disk cache is keyed by the exact pictures, which differ per
    fold). When only the SVM's parameters are searched, embed once with
    ``VGG16Embedder().transform(images)`` and search a
    ``make_pipeline(StandardScaler(), SVC())`` on the embeddings instead.

    Examples
    --------
    >>> from animecls.embeddings import RawPixels, make_embedding_svm
    >>> pipeline = make_embedding_svm(RawPixels(), kernel="rbf")
    >>> [name for name, _ in pipeline.steps]
    ['embed', 'scale', 'svm']
    >>> pipeline.set_params(svm__C=10.0).named_steps["svm"].C
    10.0
    """
    if kernel not in ("linear", "rbf"):
        raise ValueError(
            f'kernel must be "linear" or "rbf". Received: kernel={kernel!r}'
        )
    if embedder is None:
        embedder = VGG16Embedder()
    svm = SVC(
        C=_recorded_c(embedder) if C is None else C,
        kernel=kernel,
        gamma=gamma,
        class_weight=class_weight,
        random_state=random_state,
    )
    if probability:
        svm = CalibratedClassifierCV(svm, method="sigmoid", ensemble=False)
    return Pipeline([("embed", embedder), ("scale", StandardScaler()), ("svm", svm)])


class DrawnEmbedder(_NetworkTransformer):
    """Map pictures to the drawn backbone's features: a scikit-learn transformer.

    The backbone
    ([`build_drawn_transfer`][animecls.models.build_drawn_transfer] has the
    same one) was pretrained by animecls on hundreds of drawn identities and
    ships with the package, so these features need no download. Pictures of any
    size, 0-255, are resized to 64x64 inside the network; each becomes 192
    numbers (global average pooling of the last block).

    Parameters
    ----------
    weights : "drawn", None or path-like, default="drawn"
        The shipped weights, random weights (seeded by ``random_state``: the
        same network without pretraining), or a ``.weights.h5`` file from
        ``animecls pretrain``.
    batch_size : int, default=32
        Pictures per batch.
    random_state : int, None or numpy.random.RandomState, default=0
        Seed of the random weights when ``weights=None``; None draws one, as
        [`VGG16Embedder`][animecls.embeddings.VGG16Embedder] does.
    verbose : "auto", 0 or 1, default="auto"
        Progress bar during extraction.

    Attributes
    ----------
    n_features_out_ : int
        192 (set by [`fit`][animecls.embeddings.DrawnEmbedder.fit]).
    seed_ : int
        Seed of the random weights; used with ``weights=None`` only.

    Notes
    -----
    Takes what [`VGG16Embedder`][animecls.embeddings.VGG16Embedder] takes,
    and has no ``n_features_in_`` for the same reason.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.embeddings import DrawnEmbedder
    >>> images = np.random.default_rng(0).integers(0, 256, (4, 80, 80, 3))
    >>> DrawnEmbedder(verbose=0).fit_transform(images).shape
    (4, 192)
    """

    def __init__(
        self, weights="drawn", *, batch_size=32, random_state=0, verbose="auto"
    ):
        self.weights = weights
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose

    def _extractor(self, shape):
        check_count(self.batch_size, "batch_size")
        seed = self._seed()
        extractors = self.__dict__.setdefault("_extractors", {})
        key = (shape, str(self.weights), seed)
        if key not in extractors:
            extractors.clear()
            backbone = load_drawn_backbone(self.weights, random_state=seed)
            extractors[key] = drawn_features_model(shape, backbone)
        return extractors[key]

    def fit(self, X, y=None):
        """Check the settings and build the network; nothing is learned.

        Parameters
        ----------
        X : array of shape (n_images, height, width, 3)
            Pictures, 0-255.
        y : None
            Ignored.

        Returns
        -------
        self : DrawnEmbedder
        """
        self._fit_seed()
        if is_stream(X):
            # Not read: a stream may be read once only.
            self._extractor((*PRETRAINING_SIZE, 3))
        else:
            X = check_batch(X, name="X")
            self._extractor(tuple(X.shape[1:]))
        self.n_features_out_ = FEATURES
        return self

    def transform(self, X):
        """Return the backbone's features of the pictures.

        Parameters
        ----------
        X : array-like, iterator of arrays or tf.data.Dataset
            Pictures ``(n_images, height, width, 3)``, 0-255, as
            [`VGG16Embedder.transform`][animecls.embeddings.VGG16Embedder.transform]
            takes them.

        Returns
        -------
        features : ndarray of shape (n_images, 192), float32
        """
        if is_stream(X):
            dataset, _, shape = stream(X, self.batch_size)
            return predict_in_batches(
                self._extractor(shape),
                dataset,
                batch_size=self.batch_size,
                verbose=self.verbose,
            )
        X = check_batch(X, name="X")
        model = self._extractor(tuple(X.shape[1:]))
        return predict_in_batches(
            model, X, batch_size=self.batch_size, verbose=self.verbose
        )

    def get_feature_names_out(self, input_features=None):
        """Return ``drawn<i>`` for each feature.

        Parameters
        ----------
        input_features : None
            Ignored (the input is pictures, not named columns).

        Returns
        -------
        names : ndarray of str
        """
        return np.asarray([f"drawn{i}" for i in range(FEATURES)], dtype=object)


_BASELINES = {
    "pixels": RawPixels,
    "color_histogram": ColorHistogram,
    "vgg16": VGG16Embedder,
    "drawn": DrawnEmbedder,
}
# The SVM's C when none is given, by embedder; 1.0 (SVC's own) for the others.
# For the drawn backbone's features it was chosen on development sets of
# random identities, never on the default set (benchmarks/choose_drawn_svm_c.py,
# results in benchmarks/results/drawn_svm_c.json; the grid is nearly flat).
# make_embedding_svm reads it, so make_baseline("drawn") and
# make_embedding_svm(DrawnEmbedder()) agree.
_DEFAULT_C = {DrawnEmbedder: 0.01}


def _recorded_c(embedder):
    """Return the SVM's C chosen for ``embedder``'s features, 1.0 if none was."""
    for kind, c in _DEFAULT_C.items():
        if isinstance(embedder, kind):
            return c
    return 1.0


def make_baseline(
    name, *, C=None, kernel="linear", probability=False, random_state=0, **params
):
    """Return a named feature baseline: an extractor, a scaler and an SVM.

    Parameters
    ----------
    name : {"pixels", "color_histogram", "vgg16", "drawn"}
        [`RawPixels`][animecls.embeddings.RawPixels],
        [`ColorHistogram`][animecls.embeddings.ColorHistogram],
        [`VGG16Embedder`][animecls.embeddings.VGG16Embedder] or
        [`DrawnEmbedder`][animecls.embeddings.DrawnEmbedder].
    C : float or None, default=None
        SVM regularisation. None is the extractor's own, as
        [`make_embedding_svm`][animecls.embeddings.make_embedding_svm] chooses
        it: 0.01 for ``"drawn"`` (chosen on development sets of random
        identities, never on the default set:
        ``benchmarks/choose_drawn_svm_c.py``) and 1.0 for the others.
    kernel : {"linear", "rbf"}, default="linear"
        SVM kernel.
    probability : bool, default=False
        Add probability calibration (see
        [`make_embedding_svm`][animecls.embeddings.make_embedding_svm]).
    random_state : int, default=0
        Passed to ``SVC``.
    **params
        Passed to the extractor, e.g. ``bins=4`` or ``weights=None``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        As [`make_embedding_svm`][animecls.embeddings.make_embedding_svm]
        returns.

    Examples
    --------
    >>> from animecls.embeddings import make_baseline
    >>> make_baseline("color_histogram", bins=4).named_steps["embed"]
    ColorHistogram(bins=4)
    """
    if name not in _BASELINES:
        raise ValueError(
            f"name must be one of {sorted(_BASELINES)}. Received: name={name!r}"
        )
    return make_embedding_svm(
        _BASELINES[name](**params),
        C=C,
        kernel=kernel,
        probability=probability,
        random_state=random_state,
    )
