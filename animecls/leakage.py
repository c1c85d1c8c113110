"""Find duplicate pictures across a split, and split without them.

Scraped fan-art folders hold the same picture many times: reposted,
re-encoded as JPEG, resized, cropped a little or mirrored. When one copy lands
in the training part and another in the test part, the test "accuracy" partly
measures memory. This module finds such pairs with perceptual hashes
([`perceptual_hash`][animecls.leakage.perceptual_hash],
[`find_duplicates`][animecls.leakage.find_duplicates],
[`find_leaks`][animecls.leakage.find_leaks]), shows them
([`plot_duplicate_pairs`][animecls.leakage.plot_duplicate_pairs]) and splits so
that every group of copies stays on one side
([`duplicate_groups`][animecls.leakage.duplicate_groups],
[`leak_free_split`][animecls.leakage.leak_free_split]).

Everything is numpy, scipy and Pillow: no network, no TensorFlow.

The hashes are written here rather than taken from ``imagehash`` (4.3.2),
which implements the same three. Compared on real anime faces and on the
drawn characters, its dHash and aHash give the same bits (a test pins them
against values imagehash computed), and its pHash differs only in
convention: it keeps the DC term in the median and sets its bit, on SciPy's
legacy ``fftpack`` DCT without normalisation; both find the same duplicates
at [`DEFAULT_THRESHOLD`][animecls.leakage.DEFAULT_THRESHOLD], at about the
same speed. Adopting it would add PyWavelets (for its wavelet hash, unused
here), hash one Pillow image at a time instead of arrays of ``uint8`` or 0-1
floats, and move the pHash bits the threshold was measured with.
"""

import hashlib
import numbers
import warnings

import numpy as np
from PIL import Image
from scipy.fft import dctn
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.utils import Bunch

from ._validation import check_choice, check_count, check_test_size, is_int

__all__ = [
    "DEFAULT_THRESHOLD",
    "HASH_METHODS",
    "duplicate_groups",
    "find_duplicates",
    "find_leaks",
    "hamming_distances",
    "leak_free_split",
    "perceptual_hash",
    "plot_duplicate_pairs",
]

HASH_METHODS = ("phash", "dhash", "ahash")
"""The hashes [`perceptual_hash`][animecls.leakage.perceptual_hash] computes."""

DEFAULT_THRESHOLD = 6
"""Largest Hamming distance (of 64 bits, ``hash_size=8``) still called a near duplicate.

Measured with pHash on the 185 drawn characters and on 450 real
anime faces (128x128): JPEG re-encodes (quality 40-75) and resizes (0.5-0.9)
move at most 2 bits, a 2 % crop on each side at most 6 bits for 95 % of the
pictures, while different pictures are never closer than 8 bits on the drawn
set (1 % of pairs closer than 16) and the 3 real pairs closer than 8 are
copies of one artwork. Above 6, different drawings of one character start
to pair up. pHash is weak against crops (5 % per side moves about 10 bits)
and blind to mirror images (about 32 bits): raise ``threshold`` to 10 to
catch more crops at the cost of a few false pairs, and pass ``flips=True``
for mirrors.
"""

_PAIR_DTYPE = [("i", np.intp), ("j", np.intp), ("distance", np.intp), ("kind", "U5")]
_LEAK_DTYPE = [
    ("train", np.intp),
    ("test", np.intp),
    ("distance", np.intp),
    ("kind", "U5"),
]


def _check_method(method):
    return check_choice(method, "method", HASH_METHODS)


def _check_hash_size(hash_size):
    return check_count(hash_size, "hash_size", minimum=2)


def _check_threshold(threshold, n_bits):
    if not is_int(threshold) or not 0 <= threshold < n_bits:
        raise ValueError(
            f"threshold must be an int in [0, {n_bits}) (a number of differing "
            f"bits of the {n_bits}-bit hash). Received: threshold={threshold!r}"
        )
    return int(threshold)


def _as_image_list(images, name="images"):
    """Return a list of 2-D or 3-D arrays; pictures may differ in size."""
    if isinstance(images, np.ndarray) and images.ndim in (3, 4):
        pictures = list(images)
    elif isinstance(images, (list, tuple)):
        pictures = [np.asarray(image) for image in images]
    else:
        shape = getattr(np.asarray(images, dtype=object), "shape", None)
        raise ValueError(
            f"{name} must be an array of shape (n, height, width[, channels]) or "
            f"a list of pictures. Received: {name} of shape {shape}"
        )
    if not pictures:
        raise ValueError(f"{name} must hold at least one picture. Received: 0")
    for k, picture in enumerate(pictures):
        ok_channels = picture.ndim == 2 or (
            picture.ndim == 3 and picture.shape[-1] in (1, 3, 4)
        )
        if not ok_channels or min(picture.shape[:2]) < 1:
            raise ValueError(
                f"{name}[{k}] must be a (height, width[, 1|3|4]) picture. "
                f"Received shape: {picture.shape}"
            )
    return pictures


def _to_gray(picture):
    """Return a Pillow grayscale image of a uint8 or [0, 1] float picture."""
    if picture.dtype != np.uint8:
        picture = np.clip(np.rint(picture.astype(float) * 255), 0, 255)
        picture = picture.astype(np.uint8)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    if picture.ndim == 3:
        return Image.fromarray(np.ascontiguousarray(picture[..., :3])).convert("L")
    return Image.fromarray(picture)


def _resized(picture, width, height):
    gray = _to_gray(picture).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(gray, dtype=np.float64)


def _hash_one(picture, hash_size, method):
    if method == "phash":
        side = 4 * hash_size
        coefficients = dctn(_resized(picture, side, side), type=2, norm="ortho")
        low = coefficients[:hash_size, :hash_size].ravel()
        # The DC term is the mean brightness, far above every other
        # coefficient; leaving it out of the median keeps it from shifting the
        # split, and its own bit (always set) carries no information.
        bits = low > np.median(low[1:])
        bits[0] = False
        return bits
    if method == "dhash":
        pixels = _resized(picture, hash_size + 1, hash_size)
        return (pixels[:, 1:] > pixels[:, :-1]).ravel()
    pixels = _resized(picture, hash_size, hash_size)
    return (pixels > pixels.mean()).ravel()


def perceptual_hash(images, *, hash_size=8, method="phash"):
    """Compute a perceptual hash of every picture.

    Perceptual hashes change little when a picture is re-encoded, resized or
    slightly cropped, so the number of differing bits (the Hamming distance)
    between two hashes says how alike two pictures look.

    Parameters
    ----------
    images : array-like of shape (n, height, width[, channels]) or list
        Pictures, ``uint8`` or floats in [0, 1], RGB(A) or grayscale. A list
        may hold pictures of different sizes.
    hash_size : int, default=8
        The hash has ``hash_size ** 2`` bits.
    method : {"phash", "dhash", "ahash"}, default="phash"
        ``"phash"``: grayscale, resize to ``4 * hash_size`` square with
        Pillow, 2-D DCT-II (``scipy.fft.dctn``), keep the top-left
        ``hash_size`` square of low frequencies and set the bits above their
        median (the DC term excluded, its bit always 0). ``"dhash"``: whether
        each pixel of a ``hash_size x (hash_size + 1)`` thumbnail is brighter
        than its left neighbour. ``"ahash"``: whether each pixel of a
        ``hash_size`` square thumbnail is brighter than the mean.

    Returns
    -------
    hashes : ndarray of shape (n, hash_size ** 2), dtype bool
        One row of bits per picture.

    Raises
    ------
    ValueError
        If ``images`` is empty or not pictures, or an option is invalid.

    See Also
    --------
    hamming_distances : Differing bits between every pair of hashes.
    find_duplicates : Pairs of pictures whose hashes are close.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import make_characters
    >>> from animecls.leakage import perceptual_hash
    >>> images = make_characters(2, image_size=(64, 64)).images
    >>> hashes = perceptual_hash(images)
    >>> hashes.shape, hashes.dtype
    ((6, 64), dtype('bool'))
    >>> bool((perceptual_hash(images[:1] // 2 + 60) == hashes[:1]).mean() > 0.9)
    True
    """
    hash_size = _check_hash_size(hash_size)
    _check_method(method)
    pictures = _as_image_list(images)
    return np.stack([_hash_one(p, hash_size, method) for p in pictures])


def _check_hashes(hashes, name):
    hashes = np.asarray(hashes)
    if hashes.ndim != 2 or hashes.shape[1] == 0:
        raise ValueError(
            f"{name} must be a 2-D array of bits, one row per picture. "
            f"Received shape: {hashes.shape}"
        )
    return hashes.astype(bool)


def hamming_distances(hashes, other=None):
    """Count the differing bits between every pair of hashes.

    Parameters
    ----------
    hashes : array-like of shape (n, n_bits)
        Bits, as [`perceptual_hash`][animecls.leakage.perceptual_hash] returns
        them.
    other : array-like of shape (m, n_bits), default=None
        A second set of hashes; ``hashes`` against itself when None.

    Returns
    -------
    distances : ndarray of shape (n, m), dtype int
        ``distances[i, j]`` is the number of bits where ``hashes[i]`` and
        ``other[j]`` differ.

    Raises
    ------
    ValueError
        If the hashes are not 2-D or their bit counts differ.

    Examples
    --------
    >>> from animecls.leakage import hamming_distances
    >>> hamming_distances([[1, 0, 1], [0, 0, 1]])
    array([[0, 1],
           [1, 0]])
    """
    a = _check_hashes(hashes, "hashes")
    b = a if other is None else _check_hashes(other, "other")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"hashes and other must have the same number of bits. "
            f"Received: {a.shape[1]} and {b.shape[1]}"
        )
    # Two float32 matrix products count the 1-0 and 0-1 disagreements at BLAS
    # speed; the counts are small integers, exact in float32.
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    distances = a32 @ (1 - b32).T + (1 - a32) @ b32.T
    return np.rint(distances).astype(int)


def _exact(first, second=None):
    """Return where two pictures are the same array: shape, dtype and bytes."""
    digests = [
        hashlib.sha1(
            f"{p.dtype.str}{p.shape}".encode() + np.ascontiguousarray(p).tobytes()
        ).hexdigest()
        for p in first + (second or [])
    ]
    # Small integer ids compare faster than digest strings in the n x m matrix.
    _, ids = np.unique(digests, return_inverse=True)
    ids = ids.ravel()
    other = ids[len(first) :] if second else ids
    return ids[: len(first), None] == other[None, :]


def _flipped(pictures):
    return [p[:, ::-1] for p in pictures]


def _pairs(distances, exact, threshold, within):
    """Index pairs at most ``threshold`` apart, or exact, as a structured array."""
    close = (distances <= threshold) | exact
    if within:
        close = np.triu(close, k=1)
    rows, cols = np.nonzero(close)
    kinds = np.where(exact[rows, cols], "exact", "near")
    pairs = np.empty(len(rows), dtype=_PAIR_DTYPE)
    pairs["i"], pairs["j"] = rows, cols
    pairs["distance"], pairs["kind"] = distances[rows, cols], kinds
    # Most alike first: the pairs a reader should look at.
    return pairs[np.lexsort((cols, rows, pairs["distance"], kinds != "exact"))]


def _distances(first, second, hash_size, method, flips):
    hashes_a = perceptual_hash(first, hash_size=hash_size, method=method)
    hashes_b = (
        hashes_a
        if second is None
        else perceptual_hash(second, hash_size=hash_size, method=method)
    )
    distances = hamming_distances(hashes_a, hashes_b)
    if flips:
        mirrored = perceptual_hash(_flipped(first), hash_size=hash_size, method=method)
        distances = np.minimum(distances, hamming_distances(mirrored, hashes_b))
    return hashes_a, hashes_b, distances


def _check_filenames(filenames, n, name):
    if filenames is None:
        return None
    filenames = np.asarray(filenames, dtype=object)
    if filenames.shape != (n,):
        raise ValueError(
            f"{name} must hold one name per picture ({n}). "
            f"Received: {len(filenames)} names"
        )
    return filenames


def find_duplicates(
    images,
    *,
    threshold=DEFAULT_THRESHOLD,
    method="phash",
    hash_size=8,
    flips=False,
    filenames=None,
):
    """Find the pairs of pictures that are copies of each other.

    Parameters
    ----------
    images : array-like of shape (n, height, width[, channels]) or list
        Pictures, as for [`perceptual_hash`][animecls.leakage.perceptual_hash].
    threshold : int, default=DEFAULT_THRESHOLD
        Largest Hamming distance between hashes still reported as a near
        duplicate. The default, 6 of 64 bits, catches JPEG re-encodes,
        resizes and crops of a few percent while different drawings of one
        character stay apart (see
        [`DEFAULT_THRESHOLD`][animecls.leakage.DEFAULT_THRESHOLD]).
    method : {"phash", "dhash", "ahash"}, default="phash"
        The perceptual hash.
    hash_size : int, default=8
        The hashes have ``hash_size ** 2`` bits; scale ``threshold`` with it.
    flips : bool, default=False
        Also compare each picture's mirror image, to catch horizontally
        flipped copies (the distance is the smaller of the two).
    filenames : array-like of str, default=None
        One name per picture, copied into the result for reports.

    Returns
    -------
    result : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        pairs : structured ndarray
            Fields ``i``, ``j``, ``distance`` and ``kind``: one row per pair
            ``i < j``, the Hamming distance of their hashes
            and ``"exact"`` (the same array, byte for byte) or ``"near"``.
            Exact pairs first, then by distance.
        hashes : ndarray of shape (n, hash_size ** 2), dtype bool
            The hashes.
        filenames : ndarray of str or None
            ``filenames`` as given.
        threshold, method, flips : as given.

    Raises
    ------
    ValueError
        If ``images`` is not pictures or an option is invalid.

    See Also
    --------
    find_leaks : The pairs that cross a train/test split.
    duplicate_groups : Group the copies of each picture together.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import make_characters
    >>> from animecls.leakage import find_duplicates
    >>> images = make_characters(3, image_size=(64, 64)).images
    >>> images = np.concatenate([images, images[:1]])  # a copy of picture 0
    >>> result = find_duplicates(images)
    >>> result.pairs[["i", "j", "kind"]].tolist()
    [(0, 9, 'exact')]
    """
    hash_size = _check_hash_size(hash_size)
    threshold = _check_threshold(threshold, hash_size**2)
    pictures = _as_image_list(images)
    filenames = _check_filenames(filenames, len(pictures), "filenames")
    hashes, _, distances = _distances(pictures, None, hash_size, method, flips)
    exact = _exact(pictures)
    return Bunch(
        pairs=_pairs(distances, exact, threshold, within=True),
        hashes=hashes,
        filenames=filenames,
        threshold=threshold,
        method=method,
        flips=flips,
    )


def find_leaks(
    train_images,
    test_images,
    *,
    threshold=DEFAULT_THRESHOLD,
    method="phash",
    hash_size=8,
    flips=False,
    train_filenames=None,
    test_filenames=None,
):
    """Find test pictures that are copies of training pictures.

    Such pairs inflate test accuracy: the model is tested on what it has
    already seen. Copies within one side do no such harm and are not
    reported (use [`find_duplicates`][animecls.leakage.find_duplicates] for
    them).

    Parameters
    ----------
    train_images, test_images : array-like or list of pictures
        The two sides of a split, as for
        [`perceptual_hash`][animecls.leakage.perceptual_hash].
    threshold : int, default=DEFAULT_THRESHOLD
        Largest Hamming distance still reported as a near duplicate.
    method : {"phash", "dhash", "ahash"}, default="phash"
        The perceptual hash.
    hash_size : int, default=8
        The hashes have ``hash_size ** 2`` bits.
    flips : bool, default=False
        Also catch horizontally mirrored copies.
    train_filenames, test_filenames : array-like of str, default=None
        One name per picture of each side, copied into the result.

    Returns
    -------
    result : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        pairs : structured ndarray
            Fields ``train``, ``test``, ``distance`` and ``kind``: one row per
            leaking pair, exact ones first, then by distance.
        leaked : ndarray of int
            The sorted indices of the test pictures with at least one copy in
            training: drop them to measure accuracy without the leak.
        leaked_fraction : float
            ``len(leaked) / len(test_images)``.
        train_filenames, test_filenames : ndarray of str or None
            As given.
        threshold, method, flips : as given.

    Raises
    ------
    ValueError
        If the images are not pictures or an option is invalid.

    See Also
    --------
    leak_free_split : A split that keeps copies on one side.
    plot_duplicate_pairs : Show the pairs.

    Examples
    --------
    >>> from animecls.datasets import make_characters
    >>> from animecls.leakage import find_leaks
    >>> images = make_characters(3, image_size=(64, 64)).images
    >>> result = find_leaks(images[:6], images[5:])  # picture 5 on both sides
    >>> result.pairs[["train", "test", "kind"]].tolist()
    [(5, 0, 'exact')]
    >>> result.leaked, result.leaked_fraction
    (array([0]), 0.25)
    """
    hash_size = _check_hash_size(hash_size)
    threshold = _check_threshold(threshold, hash_size**2)
    train = _as_image_list(train_images, "train_images")
    test = _as_image_list(test_images, "test_images")
    train_filenames = _check_filenames(train_filenames, len(train), "train_filenames")
    test_filenames = _check_filenames(test_filenames, len(test), "test_filenames")
    _, _, distances = _distances(train, test, hash_size, method, flips)
    exact = _exact(train, test)
    found = _pairs(distances, exact, threshold, within=False)
    pairs = np.empty(len(found), dtype=_LEAK_DTYPE)
    pairs["train"], pairs["test"] = found["i"], found["j"]
    pairs["distance"], pairs["kind"] = found["distance"], found["kind"]
    leaked = np.unique(pairs["test"])
    return Bunch(
        pairs=pairs,
        leaked=leaked,
        leaked_fraction=len(leaked) / len(test),
        train_filenames=train_filenames,
        test_filenames=test_filenames,
        threshold=threshold,
        method=method,
        flips=flips,
    )


def duplicate_groups(
    images, *, threshold=DEFAULT_THRESHOLD, method="phash", hash_size=8, flips=False
):
    """Give every picture the id of its group of copies.

    Two pictures share a group when a chain of duplicate pairs links them
    (connected components of the duplicate graph), so a picture and its
    re-encode and its re-encode's crop all end up together.

    Parameters
    ----------
    images : array-like of shape (n, height, width[, channels]) or list
        Pictures, as for [`perceptual_hash`][animecls.leakage.perceptual_hash].
    threshold : int, default=DEFAULT_THRESHOLD
        Largest Hamming distance still counted as a duplicate.
    method : {"phash", "dhash", "ahash"}, default="phash"
        The perceptual hash.
    hash_size : int, default=8
        The hashes have ``hash_size ** 2`` bits.
    flips : bool, default=False
        Also group horizontally mirrored copies.

    Returns
    -------
    groups : ndarray of shape (n,), dtype int
        Group ids from 0; a picture without copies has a group of its own.
        Pass them to [`leak_free_split`][animecls.leakage.leak_free_split].

    Raises
    ------
    ValueError
        If ``images`` is not pictures or an option is invalid.

    See Also
    --------
    find_duplicates : The pairs the groups are made of.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import make_characters
    >>> from animecls.leakage import duplicate_groups
    >>> images = make_characters(2, image_size=(64, 64)).images
    >>> duplicate_groups(np.concatenate([images, images[:2]]))
    array([0, 1, 2, 3, 4, 5, 0, 1], dtype=int32)
    """
    result = find_duplicates(
        images, threshold=threshold, method=method, hash_size=hash_size, flips=flips
    )
    n = len(result.hashes)
    pairs = result.pairs
    graph = coo_matrix(
        (np.ones(len(pairs)), (pairs["i"], pairs["j"])), shape=(n, n)
    ).tocsr()
    _, groups = connected_components(graph, directed=False)
    return groups


def _closest_fold_count(test_size):
    """Return the fold count k <= 10 whose whole folds best give ``test_size``."""
    return min(range(2, 11), key=lambda k: abs(round(test_size * k) / k - test_size))


def leak_free_split(target, groups, *, test_size=0.3, random_state=42):
    """Split into train and test indices that keep every group on one side.

    Uses ``sklearn.model_selection.StratifiedGroupKFold``, which keeps
    groups whole *and* balances the classes across folds, unlike
    ``GroupShuffleSplit``, which ignores the classes and can leave a small
    class out of the test part. The test part is a whole number of folds: for
    ``test_size=0.3``, 3 folds of 10.

    Parameters
    ----------
    target : array-like of shape (n,)
        Class of each picture.
    groups : array-like of shape (n,)
        Group of each picture, as
        [`duplicate_groups`][animecls.leakage.duplicate_groups] returns them.
        Pictures of one group should share a class; if not, the group is still
        kept whole.
    test_size : float or int, default=0.3
        Fraction of the groups in the test part, a float in (0, 1), or a
        number of pictures (an int, taken as that fraction of ``target``).
        It is rounded to the nearest number of tenths or better (0.3 -> 3/10,
        0.25 -> 1/4).
    random_state : int, RandomState or None, default=42
        Seed of the shuffling of the groups.

    Returns
    -------
    train : ndarray of int
        Sorted indices of the training pictures.
    test : ndarray of int
        Sorted indices of the test pictures.

    Raises
    ------
    ValueError
        If the arguments disagree in length, ``test_size`` is out of range,
        there are too few groups, or a class ends up on one side only.

    See Also
    --------
    duplicate_groups : The groups to keep together.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.leakage import leak_free_split
    >>> target = np.repeat([0, 1], 10)
    >>> groups = np.arange(20) // 2  # pictures come in pairs of copies
    >>> train, test = leak_free_split(target, groups)
    >>> len(train), len(test)
    (14, 6)
    >>> set(groups[train]) & set(groups[test])
    set()
    """
    target = np.asarray(target)
    groups = np.asarray(groups)
    if target.ndim != 1 or groups.shape != target.shape:
        raise ValueError(
            "target and groups must be 1-D and of the same length. "
            f"Received shapes: target {target.shape}, groups {groups.shape}"
        )
    test_size = check_test_size(test_size)
    fraction = test_size
    if is_int(test_size):
        # A count of pictures; the folds can only approximate it as a fraction.
        if test_size >= len(target):
            raise ValueError(
                f"test_size={test_size} pictures leaves none of the "
                f"{len(target)} pictures for training. "
                f"Received: test_size={test_size!r}"
            )
        fraction = test_size / len(target)
    n_folds = _closest_fold_count(fraction)
    n_test_folds = max(1, round(fraction * n_folds))
    n_groups = len(np.unique(groups))
    if n_groups < n_folds:
        raise ValueError(
            f"test_size={test_size!r} needs {n_folds} folds of whole groups but "
            f"there are only {n_groups} groups. Received: {n_groups} groups"
        )
    splitter = StratifiedGroupKFold(
        n_splits=n_folds, shuffle=True, random_state=random_state
    )
    with warnings.catch_warnings():
        # A class with fewer groups than folds is fine here: only the union of
        # a few folds needs each class, which is checked below.
        warnings.filterwarnings(
            "ignore", message="The least populated class", category=UserWarning
        )
        folds = [test for _, test in splitter.split(target, target, groups)]
    test = np.sort(np.concatenate(folds[:n_test_folds]))
    train = np.setdiff1d(np.arange(len(target)), test)
    for side, part in (("training", train), ("test", test)):
        missing = np.setdiff1d(np.unique(target), target[part])
        if len(missing):
            raise ValueError(
                f"class {missing.tolist()[0]!r} gets no {side} picture: it has too few "
                "groups to appear on both sides. Add pictures or drop the "
                f"class. Received: test_size={test_size!r}"
            )
    return train, test


def _pair_columns(pairs):
    names = pairs.dtype.names or ()
    if {"i", "j"} <= set(names):
        return "i", "j"
    if {"train", "test"} <= set(names):
        return "train", "test"
    raise ValueError(
        "pairs must be the pairs of find_duplicates or find_leaks (fields i, j "
        f"or train, test). Received fields: {names}"
    )


def plot_duplicate_pairs(
    images, pairs, *, max_pairs=8, axes=None, class_names=None, target=None
):
    """Show duplicate pairs side by side, with their distance and kind.

    Parameters
    ----------
    images : array-like or list of pictures, or a (train, test) tuple
        The pictures the pairs index: one set for
        [`find_duplicates`][animecls.leakage.find_duplicates], a
        ``(train_images, test_images)`` tuple for
        [`find_leaks`][animecls.leakage.find_leaks].
    pairs : Bunch or structured ndarray
        The result of [`find_duplicates`][animecls.leakage.find_duplicates] or
        [`find_leaks`][animecls.leakage.find_leaks], or its ``pairs``.
    max_pairs : int, default=8
        Show at most this many pairs, the closest first.
    axes : array-like of matplotlib Axes, default=None
        At least ``2 * min(len(pairs), max_pairs)`` Axes, two per pair; a new
        figure with two pairs per row when None.
    class_names : list of str, default=None
        Class names, shown in the titles with ``target``.
    target : array-like of int, or a (train, test) tuple, default=None
        Class of each picture, indexed like ``images``.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on (see [`animecls.plotting`][] for the rule every
        plot follows). Without pairs it says "no duplicates" in its (first)
        Axes, so that a script saving the figure needs no special case.

    Raises
    ------
    ValueError
        If ``pairs`` is not a result of this module or ``max_pairs`` < 1.

    See Also
    --------
    find_leaks : The pairs worth showing first.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import make_characters
    >>> from animecls.leakage import find_duplicates, plot_duplicate_pairs
    >>> images = make_characters(2, image_size=(64, 64)).images
    >>> images = np.concatenate([images, images[:2]])
    >>> figure = plot_duplicate_pairs(images, find_duplicates(images))
    >>> len(figure.axes)
    4
    """
    from ._figures import figure_of
    from .plotting import plot_image_grid

    if isinstance(pairs, dict):
        pairs = pairs["pairs"]
    pairs = np.asarray(pairs)
    first, second = _pair_columns(pairs)
    if (
        isinstance(max_pairs, bool)
        or not isinstance(max_pairs, numbers.Integral)
        or max_pairs < 1
    ):
        raise ValueError(
            f"max_pairs must be a positive int. Received: max_pairs={max_pairs!r}"
        )
    leaks = first == "train"
    if leaks:
        if not (isinstance(images, tuple) and len(images) == 2):
            raise ValueError(
                "images must be a (train_images, test_images) tuple for the "
                f"pairs of find_leaks. Received: {type(images).__name__}"
            )
        sides = [_as_image_list(images[0], "train_images")]
        sides.append(_as_image_list(images[1], "test_images"))
        labels = (None, None) if target is None else tuple(target)
    else:
        sides = [_as_image_list(images)] * 2
        labels = (target, target)
    shown = pairs[:max_pairs]
    if len(shown) == 0:
        if axes is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(3, 1))
            axes = np.asarray([ax])
        axes = np.asarray(axes).ravel()
        axes[0].set_axis_off()
        axes[0].text(0.5, 0.5, "no duplicates", ha="center", va="center")
        return figure_of(axes)
    if axes is None:
        import matplotlib.pyplot as plt

        ncols = 4 if len(shown) > 1 else 2
        nrows = -(-2 * len(shown) // ncols)
        _, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(1.9 * ncols, 2.2 * nrows),
            squeeze=False,
            layout="constrained",
        )
    axes = np.asarray(axes).ravel()
    if len(axes) < 2 * len(shown):
        raise ValueError(
            f"axes has {len(axes)} cells for {len(shown)} pairs (two each). "
            f"Received: {len(axes)}"
        )
    names = ("train", "test") if leaks else ("#", "#")
    for k, row in enumerate(shown):
        for side in (0, 1):
            index = int(row[(first, second)[side]])
            title = f"{names[side]} {index}" if leaks else f"#{index}"
            if labels[side] is not None and class_names is not None:
                title += f"\n{class_names[int(labels[side][index])]}"
            if side == 1:
                title += f"\n{row['kind']}, d={int(row['distance'])}"
            picture = sides[side][index]
            if picture.ndim == 2 or picture.shape[-1] == 1:
                picture = np.repeat(picture.reshape(picture.shape[:2] + (1,)), 3, -1)
            plot_image_grid(picture[None], titles=[title], axes=[axes[2 * k + side]])
    for ax in axes[2 * len(shown) :]:
        ax.set_axis_off()
    return figure_of(axes)
