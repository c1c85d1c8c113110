"""Load, check, split and stream folders of pictures; draw the default data set."""

import math
import os
import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from ._characters import (
    DEFAULT_CHARACTERS,
    TRAITS,
    CharacterDesign,
    make_characters,
    make_shortcut_characters,
)
from ._designs import random_designs
from ._folders import save_image_folder
from ._images import (
    DEFAULT_MAX_PIXELS,
    RESIZE_POLICIES,
    UnreadableImageError,
    probe_image,
    read_image,
    unreadable_reason,
)
from ._store import PictureFile
from ._validation import (
    check_choice,
    check_count,
    check_factor,
    check_image_size,
    check_test_size,
    is_int,
)

__all__ = [
    "CharacterDesign",
    "DEFAULT_CHARACTERS",
    "PictureFile",
    "STREAM_ABOVE",
    "SkippedFilesWarning",
    "TRAITS",
    "image_dataset_from_folder",
    "load_image_folder",
    "make_characters",
    "make_shortcut_characters",
    "open_image_folder",
    "random_designs",
    "save_image_folder",
    "scan_image_folder",
    "split_indices",
    "train_validation_split",
]

_SUBSETS = ("all", "train", "test")
_SPLIT_MODES = ("stratified", "keras")
# A class smaller than this gets a hint in the summary: with a 30% test part,
# its test accuracy would rest on two or three pictures.
_SMALL_CLASS = 10
# The warning lists this many files; `skipped` holds them all.
_MAX_LISTED = 20


class SkippedFilesWarning(UserWarning):
    """Some files of a picture folder were not loaded.

    Issued once per call of
    [`load_image_folder`][animecls.datasets.load_image_folder] or
    [`image_dataset_from_folder`][animecls.datasets.image_dataset_from_folder];
    the message lists each skipped file and why. The same ``(path, reason)``
    pairs are in the ``skipped`` attribute of the result.

    Examples
    --------
    Turn the warning into an error to insist on a clean folder:

    >>> import warnings
    >>> from animecls.datasets import SkippedFilesWarning
    >>> warnings.simplefilter("error", SkippedFilesWarning)  # doctest: +SKIP
    """


# --------------------------------------------------------------- validation


def _check_directory(directory):
    try:
        path = os.fspath(directory)
    except TypeError:
        raise TypeError(
            "directory must be a str or path-like object. "
            f"Received: directory={directory!r}"
        ) from None
    if not os.path.exists(path):
        relative = (
            "" if os.path.isabs(path) else f" (it is relative to {os.getcwd()!r})"
        )
        raise FileNotFoundError(
            f"No folder at {path!r}: expected a folder with one sub-folder of "
            f"pictures per class. Check the path{relative}. "
            f"Received: directory={path!r}"
        )
    if not os.path.isdir(path):
        raise NotADirectoryError(
            f"{path!r} is a file, not a folder: pass the folder that holds one "
            f"sub-folder per class. Received: directory={path!r}"
        )
    return path


def _check_class_names(class_names):
    if class_names is None:
        return None
    if isinstance(class_names, str) or not all(
        isinstance(name, str) for name in class_names
    ):
        raise ValueError(
            "class_names must be a list of folder names (str). "
            f"Received: class_names={class_names!r}"
        )
    names = list(class_names)
    if len(set(names)) != len(names) or len(names) < 2:
        raise ValueError(
            "class_names must hold at least 2 different folder names. "
            f"Received: class_names={class_names!r}"
        )
    return names


# --------------------------------------------------------------------- scan


class _ImageFolderScan(Bunch):
    """The result of ``scan_image_folder``: a Bunch with ``summary()``."""

    def summary(self):
        """Return a readable report: classes, sizes, skipped files, hints.

        Returns
        -------
        text : str
            Several lines, ready to print.
        """
        lines = [f"Folder: {self.directory}"]
        total = len(self.filenames)
        lines.append(f"{len(self.class_names)} classes, {total} pictures:")
        width = max(len(name) for name in self.class_names)
        for name in self.class_names:
            lines.append(f"  {name:<{width}}  {self.counts[name]:>6}")

        if self.image_sizes:
            lines.append(_describe_sizes(self.image_sizes))

        if self.skipped:
            lines.append(f"Skipped {_count(len(self.skipped))} (not loaded):")
            for path, reason in self.skipped:
                lines.append(f"  {_display(path, self.directory)}: {reason}")
        else:
            lines.append("Skipped: nothing.")

        hints = _hints(self)
        if hints:
            lines.append("Hints:")
            lines.extend(f"  - {hint}" for hint in hints)
        return "\n".join(lines)


def _count(n):
    return f"{n} file or folder" if n == 1 else f"{n} files or folders"


def _describe_sizes(sizes):
    areas = np.array([w * h for w, h in sizes])
    if len(set(sizes)) == 1:
        w, h = sizes[0]
        return f"Picture size (width x height): all {w} x {h}."
    order = np.argsort(areas, kind="stable")
    smallest, largest = sizes[order[0]], sizes[order[-1]]
    median = sizes[order[(len(order) - 1) // 2]]
    return (
        "Picture sizes (width x height, by pixel count): smallest "
        f"{smallest[0]} x {smallest[1]}, median {median[0]} x {median[1]}, "
        f"largest {largest[0]} x {largest[1]}\n  ({len(set(sizes))} different "
        "sizes; loading resizes them all to image_size)."
    )


def _hints(scan):
    hints = []
    counts = scan.counts
    empty = [name for name in scan.class_names if counts[name] == 0]
    for name in empty:
        hints.append(
            f"{name!r} has no readable pictures: load_image_folder refuses this "
            "folder. Add pictures to it or remove it."
        )
    if not empty:
        try:
            _split_indices(scan.target, scan.class_names, "train", 0.3, 42)
        except ValueError as error:
            hints.append(f"The default 70/30 split fails: {error}")
    small = [n for n in scan.class_names if 0 < counts[n] < _SMALL_CLASS]
    if small:
        listed = ", ".join(f"{n!r} ({counts[n]})" for n in small)
        hints.append(
            f"Small classes: {listed}. A 70/30 split tests each on at most "
            f"{math.ceil(0.3 * max(counts[n] for n in small))} pictures, so "
            "their accuracy is noisy; add pictures if you can (the report had "
            "about 60 per character)."
        )
    present = [c for c in counts.values() if c > 0]
    if present and max(present) >= 2 * min(present):
        hints.append(
            f"The classes are imbalanced ({min(present)} to {max(present)} "
            "pictures): look at per-class recall, not only accuracy."
        )
    return hints


def _display(path, directory):
    # A name that is not valid UTF-8 holds lone surrogates, which a terminal
    # or a UTF-8 file refuses; show its odd bytes as \xNN instead.
    relative = os.fsencode(os.path.relpath(path, directory))
    return relative.decode("utf-8", "backslashreplace")


def _sorted_entries(path):
    with os.scandir(path) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:
        # A symbolic link loop; probe_image names it when it is read.
        return False


def _not_a_class(entry, directory):
    """Say why a top-level entry is not a class folder, or return None."""
    if entry.name.startswith("."):
        return "hidden folder; not a class" if _is_dir(entry) else "hidden file"
    if not _is_dir(entry):
        if entry.is_symlink():
            try:
                os.stat(entry.path)
            except OSError as error:  # a broken link or a loop
                return unreadable_reason(entry.path, error)
        return "not inside a class folder; put it in one to use it"
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        top = os.path.realpath(directory)
        if top == target or top.startswith(target.rstrip(os.sep) + os.sep):
            return "symbolic link to this folder or one above it (a loop); not a class"
    try:
        entry.name.encode("utf-8")
    except UnicodeEncodeError:
        # Class names are printed and written to UTF-8 result files.
        return "folder name is not valid UTF-8; rename it to use it as a class"
    return None


def _list_directory(directory):
    try:
        return _sorted_entries(directory)
    except OSError as error:
        raise type(error)(
            error.errno,
            f"Cannot list the folder {directory!r} ({error.strerror}). "
            f"Received: directory={directory!r}",
        ) from None


def _file_id(path):
    """Return what makes two names one file (or folder) on disk, or None."""
    try:
        info = os.stat(path)
    except OSError:
        # Gone or unreadable since it was listed: nothing to compare.
        return None
    if info.st_ino == 0:
        # Some Windows and FUSE file systems report no inode number: every
        # file would look like one file, so say nothing.
        return None
    return (info.st_dev, info.st_ino)


def _how_same(path, other, directory):
    """Say how two names ``path`` and ``other`` come to be one file or folder."""
    shown, other_shown = _display(path, directory), _display(other, directory)
    path_link, other_link = os.path.islink(path), os.path.islink(other)
    if path_link and other_link:
        real = os.fsencode(os.path.realpath(path)).decode("utf-8", "backslashreplace")
        return f"both are symbolic links to {real!r}"
    if path_link:
        return f"{shown!r} is a symbolic link to {other_shown!r}"
    if other_link:
        return f"{other_shown!r} is a symbolic link to {shown!r}"
    return "hard links to one file" if os.path.isfile(path) else "one folder on disk"


def _same_folders(directory, names):
    """Map each class folder that is the same folder as another to the one kept.

    A real folder is kept rather than a symbolic link to it; otherwise the
    first name.
    """
    groups = {}
    for name in names:
        key = _file_id(os.path.join(directory, name))
        if key is not None:
            groups.setdefault(key, []).append(name)
    same = {}
    for group in groups.values():
        real = [n for n in group if not os.path.islink(os.path.join(directory, n))]
        kept = (real or group)[0]
        same.update((name, kept) for name in group if name != kept)
    return same


def _drop_same_files(filenames, target, ids, directory, skipped):
    """Return which files to keep: each file on disk counts once, in one class.

    Two names of one file (a hard link, or a symbolic link to a picture of
    the folder) are one picture. In one class, the first name is kept: loaded
    twice, it could land in both the training and the test part. In two
    classes its label is unknown and it would leak between the parts, so
    neither is kept; both are named in ``skipped``.
    """
    keep = np.ones(len(filenames), dtype=bool)
    groups = {}
    for index, key in enumerate(ids):
        if key is not None:
            groups.setdefault(key, []).append(index)
    for group in groups.values():
        if len(group) < 2:
            continue
        if len({target[i] for i in group}) == 1:
            first = filenames[group[0]]
            for i in group[1:]:
                keep[i] = False
                how = _how_same(filenames[i], first, directory)
                skipped.append(
                    (
                        filenames[i],
                        f"the same file as {_display(first, directory)!r} ({how}): "
                        "counted once, so that it cannot land in both the training "
                        "and the test part",
                    )
                )
            continue
        for i in group:
            keep[i] = False
            others = [filenames[j] for j in group if j != i]
            how = _how_same(filenames[i], others[0], directory)
            named = ", ".join(repr(_display(o, directory)) for o in others)
            skipped.append(
                (
                    filenames[i],
                    f"the same file as {named} ({how}): one picture in two classes "
                    "is a label mistake, and would leak between the training and "
                    "the test part; keep it in one class folder only",
                )
            )
    return keep


def _scan(directory, class_names, max_pixels):
    """Decide which files count: the one place the loaders share."""
    directory = _check_directory(directory)
    class_names = _check_class_names(class_names)
    skipped = []
    folders = []
    for entry in _list_directory(directory):
        reason = _not_a_class(entry, directory)
        if reason is None:
            folders.append(entry.name)
        else:
            skipped.append((entry.path, reason))

    if class_names is None:
        # A class folder that is another one (a symbolic link to it) would
        # give every one of its pictures two labels.
        same = _same_folders(directory, folders)
        for name, kept in same.items():
            path, other = os.path.join(directory, name), os.path.join(directory, kept)
            skipped.append(
                (
                    path,
                    f"the same folder as the class folder {kept!r} "
                    f"({_how_same(path, other, directory)}): one set of pictures "
                    "cannot be two classes; not a class",
                )
            )
        folders = [name for name in folders if name not in same]
        if len(folders) < 2:
            found = ", ".join(repr(f) for f in folders) or "none"
            loose = sum(reason.startswith("not inside") for _, reason in skipped)
            advice = (
                f" It holds {loose} files directly: if it is one class folder, "
                "pass the folder above it."
                if loose and not folders
                else ""
            )
            for name, kept in same.items():
                advice += f" {name!r} is the same folder as {kept!r}."
            raise ValueError(
                "Too few classes: expected one sub-folder per class, found "
                f"{len(folders)} ({found}) in {directory!r}; at least 2 are "
                "needed, laid out as <directory>/<class name>/<picture>."
                f"{advice} Received: directory={directory!r}"
            )
        class_names = folders
    else:
        missing = [name for name in class_names if name not in folders]
        if missing:
            raise ValueError(
                f"No class folder named {', '.join(repr(m) for m in missing)} in "
                f"{directory!r}; its class folders are "
                f"{', '.join(repr(f) for f in folders) or 'none'}. "
                f"Received: class_names={class_names!r}"
            )
        same = _same_folders(directory, class_names)
        if same:
            name, kept = next(iter(same.items()))
            path, other = os.path.join(directory, name), os.path.join(directory, kept)
            raise ValueError(
                f"The class folders {kept!r} and {name!r} are the same folder "
                f"({_how_same(path, other, directory)}): one set of pictures "
                "cannot be two classes. Leave one of them out of class_names. "
                f"Received: class_names={class_names!r}"
            )

    filenames, target, sizes, ids = [], [], [], []
    for label, name in enumerate(class_names):
        folder = os.path.join(directory, name)
        try:
            entries = _sorted_entries(folder)
        except OSError as error:
            skipped.append((folder, unreadable_reason(folder, error)))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                kind = "folder" if _is_dir(entry) else "file"
                skipped.append((entry.path, f"hidden {kind}"))
                continue
            if _is_dir(entry):
                skipped.append(
                    (entry.path, "folder inside a class folder; not searched")
                )
                continue
            try:
                size = probe_image(entry.path, max_pixels=max_pixels)
            except UnreadableImageError as error:
                skipped.append((entry.path, str(error)))
                continue
            filenames.append(entry.path)
            target.append(label)
            sizes.append(size)
            ids.append(_file_id(entry.path))

    keep = _drop_same_files(filenames, target, ids, directory, skipped)
    filenames = [f for f, kept in zip(filenames, keep, strict=True) if kept]
    sizes = [size for size, kept in zip(sizes, keep, strict=True) if kept]
    target = np.asarray(target, dtype=np.int64)[keep]
    counts = {
        name: int(n)
        for name, n in zip(
            class_names, np.bincount(target, minlength=len(class_names)), strict=True
        )
    }
    return _ImageFolderScan(
        directory=directory,
        class_names=list(class_names),
        counts=counts,
        filenames=np.asarray(filenames, dtype=str),
        target=target,
        skipped=skipped,
        image_sizes=sizes,
        max_pixels=max_pixels,
    )


def scan_image_folder(directory, *, class_names=None, max_pixels=DEFAULT_MAX_PIXELS):
    """Check a folder of class folders without decoding any picture.

    Reads only file headers, so it is fast on large folders. It applies the
    same rules as [`load_image_folder`][animecls.datasets.load_image_folder] to
    decide which files count; the loader may still skip a file whose header is
    fine but whose pixel data is corrupt.

    Parameters
    ----------
    directory : str or path-like
        Folder laid out as ``directory/<class name>/<picture>``.
    class_names : list of str, default=None
        Class folders to use, in this order; None uses every sub-folder,
        sorted by name.
    max_pixels : int, default=89_478_485
        Pictures with more pixels (width x height) are skipped as possible
        decompression bombs.

    Returns
    -------
    scan : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        directory : str
            The folder.
        class_names : list of str
            One per class, in class-number order.
        counts : dict of str to int
            Pictures per class.
        filenames : ndarray of str
            The pictures that count, sorted by class then file name.
        target : ndarray of int64
            Class number of each file.
        skipped : list of (str, str)
            Each file or folder that does not count, and why (as in
            [`load_image_folder`][animecls.datasets.load_image_folder],
            including a class folder or picture that is one on disk with
            another).
        image_sizes : list of (int, int)
            ``(width, height)`` of each picture after its EXIF orientation,
            read from the file header.
        max_pixels : int
            The limit used.

        Its ``summary()`` method returns a readable report: the classes with
        their counts, the smallest, median and largest picture size, the
        skipped files and why, and hints (small, empty or imbalanced classes,
        a default split that cannot work).

    Raises
    ------
    FileNotFoundError
        If ``directory`` does not exist.
    NotADirectoryError
        If ``directory`` is a file.
    ValueError
        If it holds fewer than 2 class folders, or ``class_names`` names a
        folder it does not hold, or two that are the same folder (one a
        symbolic link to the other).

    See Also
    --------
    load_image_folder : Load the pictures.

    Notes
    -----
    A class folder whose pictures are all unreadable does not raise here (its
    count is 0 and ``summary()`` says so), so ``animecls data info`` can show
    the whole folder;
    [`load_image_folder`][animecls.datasets.load_image_folder] refuses it.

    Examples
    --------
    >>> import tempfile
    >>> from animecls.datasets import make_characters, scan_image_folder
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_characters(3, image_size=(64, 64), directory=folder)
    >>> scan = scan_image_folder(folder)
    >>> scan.counts
    {'Marin Kitagawa': 3, 'Micchon Shikimori': 3, 'Yor Forger': 3}
    >>> with open(f"{folder}/Yor Forger/notes.txt", "w") as file:
    ...     _ = file.write("not a picture")
    >>> print(scan_image_folder(folder).summary())  # doctest: +ELLIPSIS
    Folder: ...
    3 classes, 9 pictures:
      Marin Kitagawa          3
      Micchon Shikimori       3
      Yor Forger              3
    Picture size (width x height): all 64 x 64.
    Skipped 1 file or folder (not loaded):
      Yor Forger/notes.txt: not a picture in a supported format (BMP, ...)
    Hints:
      - Small classes: 'Marin Kitagawa' (3), 'Micchon Shikimori' (3), ...
    """
    return _scan(directory, class_names, check_count(max_pixels, "max_pixels"))


# -------------------------------------------------------------------- split


def _n_test(test_size, n):
    if isinstance(test_size, float):
        return math.ceil(test_size * n)
    return test_size


def _check_split_seed(random_state):
    """Accept what ``train_test_split`` accepts: an int, a RandomState or None."""
    if random_state is None or is_int(random_state):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return random_state
    raise ValueError(
        "random_state must be an int, a numpy RandomState or None. "
        f"Received: random_state={random_state!r}"
    )


def _stratified_split(target, class_names, test_size, random_state, leave_out):
    """Return ``(train, test)`` indices: the one split every part comes from.

    ``leave_out`` ends the advice of a too-small class: how the caller's user
    can leave it out (the loaders take ``class_names=``).
    """
    random_state = _check_split_seed(random_state)
    n = len(target)
    counts = np.bincount(target, minlength=len(class_names))
    k = len(class_names)
    n_test = _n_test(test_size, n)
    if n_test < k or n - n_test < k:
        side, change = ("test", "larger") if n_test < k else ("training", "smaller")
        raise ValueError(
            f"test_size={test_size!r} leaves {min(n_test, n - n_test)} of the "
            f"{n} pictures for the {side} part, fewer than the {k} classes: each "
            f"class needs at least one picture in each part. Use a {change} "
            f"test_size or add pictures. Received: test_size={test_size!r}"
        )
    smallest = int(np.argmin(counts))
    if counts[smallest] < 2:
        raise ValueError(
            _too_few(class_names[smallest], counts[smallest], test_size, leave_out)
        )
    train, test = train_test_split(
        np.arange(n),
        test_size=test_size,
        random_state=random_state,
        stratify=target,
    )
    for part, other, change in (
        (test, "test", "larger"),
        (train, "training", "smaller"),
    ):
        present = np.bincount(target[part], minlength=k)
        if (present == 0).any():
            label = int(np.flatnonzero(present == 0)[0])
            raise ValueError(
                _too_few(
                    class_names[label],
                    counts[label],
                    test_size,
                    leave_out,
                    other,
                    change,
                )
            )
    return train, test


_LEAVE_OUT_FOLDER = "leave the class out with class_names="


def _split_indices(target, class_names, subset, test_size, random_state):
    """Return the indices of a loader's ``subset`` ("all", "train" or "test")."""
    if subset == "all":
        return np.arange(len(target))
    train, test = _stratified_split(
        target, class_names, test_size, random_state, _LEAVE_OUT_FOLDER
    )
    return train if subset == "train" else test


def _too_few(name, count, test_size, leave_out, side=None, change=None):
    where = f" gets no {side} picture" if side else ""
    advice = f"use a {change} test_size" if change else "change test_size"
    return (
        f"Class {name!r} has {count} picture{'s' if count != 1 else ''} and"
        f"{where or ' is'} too few for a stratified train/test split: each class "
        "needs at least one picture in the training part and one in the test "
        f"part. Add pictures to {name!r}, or {advice}, or {leave_out}. "
        f"Received: test_size={test_size!r}"
    )


def _short_repr(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _labels_of(data):
    """Return ``(target, class_names)`` of a Bunch or of a 1-D label array."""
    if isinstance(data, Mapping):
        if "target" not in data:
            raise ValueError(
                "data must hold a 'target' entry (class numbers) when it is a "
                f"Bunch or dict. Received: data with keys {sorted(map(str, data))}"
            )
        target, names, name = data["target"], data.get("class_names"), "data.target"
    else:
        target, names, name = data, None, "data"
    labels = np.asarray(target)
    if (
        labels.ndim != 1
        or len(labels) == 0
        or not np.issubdtype(labels.dtype, np.integer)
    ):
        raise ValueError(
            f"{name} must be a non-empty 1-D array of integer class labels. "
            f"Received: {name}={_short_repr(target)}"
        )
    if names is None:
        # Codes in sorted label order stratify exactly as the labels do.
        values, codes = np.unique(labels, return_inverse=True)
        return codes.astype(np.int64), values.tolist()
    names = list(names)
    if labels.min() < 0 or labels.max() >= len(names):
        raise ValueError(
            f"data.target must hold class numbers in [0, {len(names)}) for the "
            f"{len(names)} class_names. Received: data.target="
            f"{_short_repr(target)}"
        )
    return labels.astype(np.int64, copy=False), names


def split_indices(data, *, test_size=0.3, validation_split=0.2, random_state=42):
    """Split pictures held in memory into training, validation and test indices.

    The same split as the folder loaders: the test part holds exactly the
    pictures [`load_image_folder`][animecls.datasets.load_image_folder] loads
    with ``subset="test"`` (and the same ``test_size`` and ``random_state``),
    in the same order. The rest is cut as Keras'
    ``model.fit(validation_split=...)`` cuts it: the first pictures to fit on,
    the last ones to validate with.

    Parameters
    ----------
    data : Bunch or array-like of int
        A Bunch (or dict) with ``target`` (class numbers) and, optionally,
        ``class_names``, as
        [`make_characters`][animecls.datasets.make_characters] and
        [`load_image_folder`][animecls.datasets.load_image_folder] return; or a
        1-D array of integer class labels.
    test_size : float or int, default=0.3
        Fraction (a float in (0, 1)) or number (an int) of the pictures in
        the test part; the report used 0.3.
    validation_split : float, default=0.2
        Fraction of the training part kept for validation, in [0, 1); 0
        keeps none. The report passed 0.2 to ``fit``.
    random_state : int, RandomState instance or None, default=42
        Seed of the train/test split; the report used 42.

    Returns
    -------
    parts : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        train : ndarray of int
            Indices of the pictures to fit on.
        validation : ndarray of int
            Indices of the pictures to validate with (empty when
            ``validation_split=0``).
        test : ndarray of int
            Indices of the test pictures.
        test_size, validation_split, random_state
            The arguments, checked.

    Raises
    ------
    ValueError
        If an argument is invalid, a class has too few pictures to appear in
        both the training and the test part (the message names it), or
        ``validation_split`` leaves one side of the training part empty.

    See Also
    --------
    load_image_folder : Loads the same test part from a folder.
    train_validation_split : A stratified validation split instead.

    Notes
    -----
    The test part is a stratified ``train_test_split`` of the indices.
    ``train`` and ``validation`` are the first
    ``int(len(training part) * (1 - validation_split))`` and the remaining
    indices of the training part, so ``np.concatenate([train, validation])``
    is what ``load_image_folder(subset="train")`` loads, and passing those
    pictures to ``fit(validation_split=validation_split)`` validates on
    exactly ``validation``.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import split_indices
    >>> labels = np.repeat([0, 1, 2], 10)
    >>> parts = split_indices(labels)
    >>> len(parts.train), len(parts.validation), len(parts.test)
    (16, 5, 9)
    >>> np.bincount(labels[parts.test]).tolist()
    [3, 3, 3]
    >>> len(split_indices(labels, validation_split=0).validation)
    0
    """
    target, class_names = _labels_of(data)
    test_size = check_test_size(test_size)
    validation_split = check_factor(validation_split, "validation_split", 1)
    train_part, test = _stratified_split(
        target, class_names, test_size, random_state, "leave the class out"
    )
    # Keras' own expression (data_adapters.train_validation_split), so the
    # cut falls where fit(validation_split=...) puts it.
    n_fit = int(math.floor(len(train_part) * (1.0 - validation_split)))
    if validation_split and not 0 < n_fit < len(train_part):
        change = "smaller" if n_fit == 0 else "larger"
        raise ValueError(
            f"validation_split={validation_split!r} keeps {n_fit} of the "
            f"{len(train_part)} training pictures to fit on and "
            f"{len(train_part) - n_fit} to validate with; neither may be "
            f"empty. Use a {change} validation_split, 0 for no validation, or "
            f"add pictures. Received: validation_split={validation_split!r}"
        )
    return Bunch(
        train=train_part[:n_fit],
        validation=train_part[n_fit:],
        test=test,
        test_size=test_size,
        validation_split=validation_split,
        random_state=random_state,
    )


# --------------------------------------------------------------------- load


def _warn_skipped(skipped, directory, total):
    if not skipped:
        return
    listed = [
        f"  {_display(path, directory)}: {reason}"
        for path, reason in skipped[:_MAX_LISTED]
    ]
    if len(skipped) > _MAX_LISTED:
        listed.append(
            f"  ... and {len(skipped) - _MAX_LISTED} more (see the `skipped` "
            "attribute of the result)"
        )
    warnings.warn(
        f"Skipped {len(skipped)} of {_count(total)} in {directory!r} "
        "(not loaded):\n" + "\n".join(listed),
        SkippedFilesWarning,
        stacklevel=3,
    )


def _check_no_empty_class(scan):
    for name in scan.class_names:
        if scan.counts[name] == 0:
            folder = os.path.join(scan.directory, name)
            bad = [p for p, _ in scan.skipped if os.path.dirname(p) == folder]
            found = (
                f"its {len(bad)} files were all skipped ("
                + "; ".join(
                    f"{_display(p, folder)}: {r}"
                    for p, r in scan.skipped
                    if os.path.dirname(p) == folder
                )[:300]
                + ")"
                if bad
                else "it is empty"
            )
            raise ValueError(
                f"Class folder {name!r} holds no readable picture ({found}). Add "
                "pictures to it, remove it, or choose the classes with "
                f"class_names=. Received: directory={scan.directory!r}"
            )


def _prepare(directory, class_names, max_pixels, subset, test_size, random_state):
    """Scan, validate and split: shared by the eager and the streaming loader."""
    subset = check_choice(subset, "subset", _SUBSETS)
    test_size = check_test_size(test_size)
    scan = _scan(directory, class_names, check_count(max_pixels, "max_pixels"))
    _check_no_empty_class(scan)
    indices = _split_indices(
        scan.target, scan.class_names, subset, test_size, random_state
    )
    return scan, subset, test_size, indices


_DESCR = """\
Pictures loaded from a folder
-----------------------------

Folder: {directory}
Classes ({n_classes}), one sub-folder each: {names}
Pictures: {n_images} ({counts})
Part: {part}
Each picture: EXIF orientation applied, converted to RGB (transparency on
white), resized to {height} x {width} (height x width) with resize="{resize}".
Skipped files or folders: {n_skipped} (see the `skipped` attribute).
"""


def load_image_folder(
    directory,
    *,
    image_size=(250, 250),
    resize="stretch",
    subset="all",
    test_size=0.3,
    random_state=42,
    return_X_y=False,
    class_names=None,
    max_pixels=DEFAULT_MAX_PIXELS,
):
    """Load a folder of pictures, one sub-folder per class.

    The layout is the one the report (and
    ``keras.utils.image_dataset_from_directory``) uses::

        directory/
        ├── Marin Kitagawa/
        │   ├── 001.jpg
        │   └── ...
        ├── Micchon Shikimori/
        └── Yor Forger/

    Folder names are the class names, sorted, so class numbers do not depend
    on the order the file system lists them in; spaces and non-ASCII letters
    are fine.

    Parameters
    ----------
    directory : str or path-like
        The folder of class folders.
    image_size : int or tuple of int, default=(250, 250)
        ``(height, width)`` of the loaded pictures, or one int for squares;
        the report's CNN was built for 250 x 250.
    resize : {"stretch", "crop", "pad"}, default="stretch"
        What to do with pictures whose aspect ratio differs from
        ``image_size`` (see Notes).
    subset : {"all", "train", "test"}, default="all"
        Which part to load. "train" and "test" come from one stratified
        ``train_test_split`` of the file list: disjoint, together "all", with
        every class in both in the same proportion. Only the files of the
        requested part are decoded.
    test_size : float or int, default=0.3
        Fraction (or number) of the pictures in the "test" part; the report
        used 0.3.
    random_state : int, RandomState instance or None, default=42
        Seed of the split; the report used 42. Ignored when ``subset="all"``.
        Pass the same int for "train" and "test" so they come from one
        split; None or a RandomState instance gives a new split each call.
    return_X_y : bool, default=False
        If True, return ``(images, target)`` instead of a Bunch.
    class_names : list of str, default=None
        Class folders to load, in this order (so ``target`` follows it); other
        folders are left out. None loads every sub-folder, sorted by name.
    max_pixels : int, default=89_478_485
        Pictures whose header declares more pixels (width x height) are
        skipped as possible decompression bombs, before they are decoded. The
        default is Pillow's ``Image.MAX_IMAGE_PIXELS``.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with attributes:

        images : ndarray of shape (n_images, height, width, 3), dtype uint8
            The pictures, RGB, 0-255.
        target : ndarray of shape (n_images,), dtype int64
            Class number of each picture.
        class_names : list of str
            The class names, in class-number order.
        filenames : ndarray of shape (n_images,), dtype str
            The file of each picture.
        skipped : list of (str, str)
            Each file or folder that was not loaded, and why.
        DESCR : str
            Description of what was loaded.

    (images, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``directory`` does not exist.
    NotADirectoryError
        If ``directory`` is a file.
    ValueError
        If an argument is invalid; if ``directory`` holds fewer than 2 class
        folders; if a class folder holds no readable picture; if a class has
        too few pictures for the split (each class needs at least one picture
        in the training part and one in the test part).

    Warns
    -----
    SkippedFilesWarning
        Once per call, listing every file or folder that was not loaded and
        why: files that are not pictures (``.DS_Store``, ``desktop.ini``,
        ``Thumbs.db``, ``notes.txt``), corrupt or truncated pictures, pictures
        over ``max_pixels``, files directly in ``directory``, hidden files
        and folders (names starting with "."), folders inside class folders,
        a class folder that is another class folder (a symbolic link to it),
        the second name of a file in one class (a hard or symbolic link) and
        both names of a file in two classes (see Notes).

    See Also
    --------
    scan_image_folder : Check a folder without decoding it.
    image_dataset_from_folder : Stream the same pictures in batches.
    train_validation_split : Keep part of the training pictures for validation.
    split_indices : The same split of pictures already in memory.
    save_image_folder : Write pictures in this layout.

    Notes
    -----
    **Which files count.** Files are recognised by their content, not their
    extension: JPEG (also the MPO files phones write), PNG, WebP, GIF (first
    frame), BMP and TIFF. Nothing is silently dropped: every file or folder
    that is not loaded is in ``skipped`` and in the warning. Files are opened
    read-only; loading never changes, moves or deletes them.

    **One picture, one class.** A class folder that is a symbolic link to
    another class folder, or a picture hard-linked (or symbolically linked)
    into two class folders, would give one picture two labels, and put it
    in both the training and the test part. Such a class folder is skipped
    (the real folder is kept), and such a picture is skipped in every class,
    each with a reason naming the other path; a second name of one file in
    the same class is skipped too, so it is loaded once.
    [`find_duplicates`][animecls.leakage.find_duplicates] finds copies that
    are different files.

    **Colours.** The EXIF orientation is applied first, as a phone shows the
    picture. Grayscale becomes three equal channels, CMYK is converted,
    16-bit pictures are scaled to 8 bits, and transparent pictures (RGBA, LA,
    palette with transparency) are composited on white, as a browser shows
    them.

    **Resize policy.** ``"stretch"`` resizes the whole picture to
    ``image_size``, distorting other aspect ratios; it is Keras' default and
    what the report did. ``"crop"`` keeps the largest centred part with the
    aspect ratio of ``image_size`` (Keras' ``crop_to_aspect_ratio=True``).
    ``"pad"`` fits the whole picture inside ``image_size`` and fills the rest
    with mid grey (Keras' ``pad_to_aspect_ratio=True``, which pads with
    black). Resampling is Pillow's bilinear filter, which, unlike
    ``tf.image.resize``, is antialiased when shrinking; Lanczos would be
    slightly sharper but rings around the hard outlines of drawings.

    **Order.** ``subset="all"`` is sorted by class, then file name.
    "train" and "test" come in the order ``train_test_split`` returns them
    (shuffled), like the report's arrays.

    **Memory.** The pictures are decoded one at a time into one preallocated
    array of ``n_images * height * width * 3`` bytes (about 24 GB for 130,000
    pictures at 250 x 250). For folders larger than memory, use
    [`image_dataset_from_folder`][animecls.datasets.image_dataset_from_folder].

    Examples
    --------
    >>> import tempfile
    >>> from animecls.datasets import load_image_folder, make_characters
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_characters(10, image_size=(64, 64), directory=folder)
    >>> data = load_image_folder(folder, image_size=(32, 32))
    >>> data.images.shape, data.images.dtype
    ((30, 32, 32, 3), dtype('uint8'))
    >>> data.class_names
    ['Marin Kitagawa', 'Micchon Shikimori', 'Yor Forger']
    >>> X_train, y_train = load_image_folder(
    ...     folder, image_size=(32, 32), subset="train", return_X_y=True
    ... )
    >>> X_train.shape
    (21, 32, 32, 3)
    """
    height, width = check_image_size(image_size)
    resize = check_choice(resize, "resize", RESIZE_POLICIES)
    scan, subset, test_size, indices = _prepare(
        directory, class_names, max_pixels, subset, test_size, random_state
    )
    names = scan.class_names
    skipped = list(scan.skipped)

    images = np.empty((len(indices), height, width, 3), dtype=np.uint8)
    kept = _decode(scan, indices, (height, width), resize, skipped, images.__getitem__)
    if len(kept) < len(indices):
        # A few rows of a preallocated array stay unused: cheaper than a copy.
        images = images[: len(kept)]
    target = scan.target[kept]
    _check_every_class_loaded(target, names, subset, skipped, scan.directory)
    _warn_skipped(skipped, scan.directory, len(scan.filenames) + len(scan.skipped))

    if return_X_y:
        return images, target
    return _loaded(
        images, target, scan, kept, skipped, subset, test_size, random_state, resize
    )


def _decode(scan, indices, image_size, resize, skipped, buffer, done=None):
    """Decode the files at ``indices`` in order; return the indices read.

    The k-th readable picture is decoded into ``buffer(k)``, then
    ``done(k, picture)`` is called with it when given; unreadable files go to
    ``skipped``. The one decoding loop of the eager and the on-disk loader.
    """
    kept = []
    for index in indices:
        path = scan.filenames[index]
        out = buffer(len(kept))
        try:
            read_image(
                path,
                image_size=image_size,
                resize=resize,
                max_pixels=scan.max_pixels,
                out=out,
            )
        except UnreadableImageError as error:
            skipped.append((str(path), str(error)))
            continue
        if done is not None:
            done(len(kept), out)
        kept.append(index)
    return np.asarray(kept, dtype=np.intp)


def _loaded(
    images, target, scan, kept, skipped, subset, test_size, random_state, resize
):
    """Return the loaders' Bunch around ``images`` (an array or a PictureFile)."""
    names = scan.class_names
    height, width = images.shape[1:3]
    counts = np.bincount(target, minlength=len(names))
    part = (
        "all pictures"
        if subset == "all"
        else f'"{subset}" part of a stratified train_test_split('
        f"test_size={test_size!r}, random_state={random_state!r})"
    )
    descr = _DESCR.format(
        directory=scan.directory,
        n_classes=len(names),
        names=", ".join(names),
        n_images=len(target),
        counts=", ".join(f"{n}: {c}" for n, c in zip(names, counts, strict=True)),
        part=part,
        height=height,
        width=width,
        resize=resize,
        n_skipped=len(skipped),
    )
    return Bunch(
        images=images,
        target=target,
        class_names=list(names),
        filenames=scan.filenames[kept],
        skipped=skipped,
        DESCR=descr,
    )


def open_image_folder(
    directory,
    *,
    image_size=(250, 250),
    resize="stretch",
    subset="all",
    test_size=0.3,
    random_state=42,
    class_names=None,
    max_pixels=DEFAULT_MAX_PIXELS,
    temp_dir=None,
):
    """Decode a folder of pictures once into a file, to be read a batch at a time.

    The on-disk twin of
    [`load_image_folder`][animecls.datasets.load_image_folder], for folders
    too large to hold in memory (tens of thousands of pictures): the same
    files, split, decoding, order and bad-file handling, but ``images`` is a
    [`PictureFile`][animecls.datasets.PictureFile], whose pictures are read
    from disk only when indexed. Decoded once, they are not decoded again
    at every epoch, as with
    [`image_dataset_from_folder`][animecls.datasets.image_dataset_from_folder].
    [`compare_models`][animecls.comparison.compare_models] and the
    experiments take the returned Bunch as ``data`` and then read it a batch
    at a time; they open a folder path this way themselves when it holds
    more than [`STREAM_ABOVE`][animecls.datasets.STREAM_ABOVE] pictures.

    Parameters
    ----------
    directory : str or path-like
        The folder of class folders.
    image_size, resize, subset, test_size, random_state, class_names, \
max_pixels
        As in [`load_image_folder`][animecls.datasets.load_image_folder].
    temp_dir : path-like or None, default=None
        Where the decoded file's own folder is made (``n_images * height *
        width * 3`` bytes: 123 MB for 10,000 pictures at 64 x 64); None uses
        the system's temporary folder. The folder is removed when the
        pictures are no longer used (or at ``images.close()``).

    Returns
    -------
    data : sklearn.utils.Bunch
        As [`load_image_folder`][animecls.datasets.load_image_folder], with
        ``images`` a ``PictureFile``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError, ValueError
        As [`load_image_folder`][animecls.datasets.load_image_folder].

    Warns
    -----
    SkippedFilesWarning
        As [`load_image_folder`][animecls.datasets.load_image_folder].

    See Also
    --------
    load_image_folder : Load everything into one array.
    image_dataset_from_folder : Decode batch by batch at every pass.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from animecls.datasets import load_image_folder, make_characters
    >>> from animecls.datasets import open_image_folder
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_characters(10, image_size=(64, 64), directory=folder)
    >>> data = open_image_folder(folder, image_size=(32, 32))
    >>> data.images
    PictureFile(30 pictures of 32x32)
    >>> same = load_image_folder(folder, image_size=(32, 32))
    >>> bool((data.images[:] == same.images).all())
    True
    """
    height, width = check_image_size(image_size)
    resize = check_choice(resize, "resize", RESIZE_POLICIES)
    scan, subset, test_size, indices = _prepare(
        directory, class_names, max_pixels, subset, test_size, random_state
    )
    skipped = list(scan.skipped)
    write, finish = PictureFile.create(len(indices), height, width, directory=temp_dir)
    scratch = np.empty((height, width, 3), dtype=np.uint8)
    try:
        kept = _decode(
            scan,
            indices,
            (height, width),
            resize,
            skipped,
            lambda k: scratch,
            write,
        )
        target = scan.target[kept]
        _check_every_class_loaded(
            target, scan.class_names, subset, skipped, scan.directory
        )
    except BaseException:
        write.abandon()
        raise
    images = finish(len(kept))
    _warn_skipped(skipped, scan.directory, len(scan.filenames) + len(scan.skipped))
    return _loaded(
        images, target, scan, kept, skipped, subset, test_size, random_state, resize
    )


STREAM_ABOVE = 2000
"""Folders with more pictures than this are read from disk a batch at a time.

By the engine under [`compare_models`][animecls.comparison.compare_models]
and the experiments, instead of held in memory: see
[`open_image_folder`][animecls.datasets.open_image_folder].
"""


def _check_every_class_loaded(target, names, subset, skipped, directory):
    present = np.bincount(target, minlength=len(names))
    if (present > 0).all():
        return
    name = names[int(np.flatnonzero(present == 0)[0])]
    folder = os.path.join(directory, name)
    reasons = "; ".join(
        f"{_display(p, folder)}: {r}"
        for p, r in skipped
        if os.path.dirname(p) == folder
    )
    where = "" if subset == "all" else f' in the "{subset}" part'
    raise ValueError(
        f"Class folder {name!r} has no readable picture{where}: its files could "
        f"not be decoded ({reasons[:300]}). Replace them or add pictures. "
        f"Received: directory={directory!r}"
    )


# --------------------------------------------------------------- streaming


def image_dataset_from_folder(
    directory,
    *,
    image_size=(250, 250),
    batch_size=32,
    subset="all",
    test_size=0.3,
    random_state=42,
    resize="stretch",
    shuffle=True,
    class_names=None,
    max_pixels=DEFAULT_MAX_PIXELS,
):
    """Stream a folder of pictures as a ``tf.data.Dataset`` of batches.

    The streaming twin of
    [`load_image_folder`][animecls.datasets.load_image_folder]: the same files,
    the same split, the same decoding and the same bad-file handling, but
    pictures are decoded batch by batch as the dataset is iterated, so memory
    does not grow with the number of pictures.

    Parameters
    ----------
    directory : str or path-like
        The folder of class folders (see
        [`load_image_folder`][animecls.datasets.load_image_folder]).
    image_size : int or tuple of int, default=(250, 250)
        ``(height, width)`` of the pictures, or one int for squares.
    batch_size : int, default=32
        Pictures per batch; the last batch may be smaller.
    subset : {"all", "train", "test"}, default="all"
        Which part to stream; the split is the one of
        [`load_image_folder`][animecls.datasets.load_image_folder] with the
        same ``test_size`` and ``random_state``.
    test_size : float or int, default=0.3
        Fraction (or number) of the pictures in the "test" part.
    random_state : int, RandomState instance or None, default=42
        Seed of the split, and of the shuffling when it is an int.
    resize : {"stretch", "crop", "pad"}, default="stretch"
        Resize policy (see
        [`load_image_folder`][animecls.datasets.load_image_folder]).
    shuffle : bool, default=True
        Shuffle the file order at each pass over the dataset (the file list
        is shuffled, not decoded pictures, so it costs no memory). With
        False the order is the one of
        [`load_image_folder`][animecls.datasets.load_image_folder].
    class_names : list of str, default=None
        Class folders to use, in this order; None uses every sub-folder.
    max_pixels : int, default=89_478_485
        Pictures with more pixels are skipped as possible decompression
        bombs.

    Returns
    -------
    dataset : tf.data.Dataset
        Yields ``(images, labels)``: ``uint8`` batches of shape
        ``(batch, height, width, 3)`` and ``int64`` class numbers. Extra
        attributes: ``class_names`` (list of str), ``file_paths`` (the files
        of the subset, unshuffled) and ``skipped`` (``(path, reason)`` pairs;
        see Warns).

    Raises
    ------
    FileNotFoundError, NotADirectoryError, ValueError
        As [`load_image_folder`][animecls.datasets.load_image_folder].

    Warns
    -----
    SkippedFilesWarning
        When the dataset is made, once, for the files the folder scan skips;
        and during iteration, once per file, for a picture whose header was
        fine but whose data turns out corrupt (it is left out of the batches
        and added to ``skipped``).

    See Also
    --------
    load_image_folder : Load everything into one array.

    Notes
    -----
    TensorFlow is imported when this function is called, not when
    [`animecls.datasets`][] is imported. The pictures are decoded by the
    same Python function as
    [`load_image_folder`][animecls.datasets.load_image_folder] (through
    ``tf.numpy_function``), so the batches equal that function's arrays.

    Examples
    --------
    >>> import tempfile
    >>> from animecls.datasets import image_dataset_from_folder, make_characters
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_characters(10, image_size=(64, 64), directory=folder)
    >>> train = image_dataset_from_folder(
    ...     folder, image_size=(32, 32), batch_size=8, subset="train"
    ... )  # doctest: +SKIP
    >>> images, labels = next(iter(train))  # doctest: +SKIP
    >>> images.shape, train.class_names  # doctest: +SKIP
    (TensorShape([8, 32, 32, 3]), ['Marin Kitagawa', 'Micchon Shikimori', \
'Yor Forger'])
    """
    height, width = check_image_size(image_size)
    resize = check_choice(resize, "resize", RESIZE_POLICIES)
    batch_size = check_count(batch_size, "batch_size")
    if not isinstance(shuffle, bool | np.bool_):
        raise ValueError(
            f"shuffle must be True or False. Received: shuffle={shuffle!r}"
        )
    scan, subset, test_size, indices = _prepare(
        directory, class_names, max_pixels, subset, test_size, random_state
    )
    _warn_skipped(scan.skipped, scan.directory, len(scan.filenames) + len(scan.skipped))

    import tensorflow as tf

    paths = [str(p) for p in scan.filenames[indices]]
    labels = scan.target[indices]
    skipped = list(scan.skipped)
    reported = set()
    max_pixels = scan.max_pixels

    def decode(path):
        path = os.fsdecode(path)
        try:
            picture = read_image(
                path, image_size=(height, width), resize=resize, max_pixels=max_pixels
            )
            return picture, np.True_
        except UnreadableImageError as error:
            if path not in reported:
                reported.add(path)
                skipped.append((path, str(error)))
                warnings.warn(
                    f"Skipped {_display(path, scan.directory)!r} while streaming: "
                    f"{error}",
                    SkippedFilesWarning,
                    stacklevel=1,
                )
            return np.zeros((height, width, 3), np.uint8), np.False_

    def load(path, label):
        picture, ok = tf.numpy_function(
            decode, [path], (tf.uint8, tf.bool), stateful=False
        )
        picture.set_shape((height, width, 3))
        ok.set_shape(())
        return picture, label, ok

    dataset = tf.data.Dataset.from_tensor_slices(
        (tf.constant([os.fsencode(p) for p in paths], dtype=tf.string), labels)
    )
    if shuffle:
        seed = int(random_state) if is_int(random_state) else None
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    dataset = (
        dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .filter(lambda picture, label, ok: ok)
        .map(lambda picture, label, ok: (picture, label))
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    dataset.class_names = list(scan.class_names)
    dataset.file_paths = paths
    dataset.skipped = skipped
    return dataset


# ----------------------------------------------------------- validation set


def train_validation_split(
    images, target, *, validation_size=0.2, mode="stratified", random_state=0
):
    """Keep part of the training pictures aside for validation.

    Parameters
    ----------
    images : array-like of shape (n_images, ...)
        The training pictures (or any per-picture array).
    target : array-like of shape (n_images,) or (n_images, n_classes)
        Class numbers, or one-hot rows.
    validation_size : float or int, default=0.2
        Fraction (or number) of pictures kept for validation; the report
        passed ``validation_split=0.2`` to ``fit``.
    mode : {"stratified", "keras"}, default="stratified"
        "stratified" draws the validation pictures at random (seeded by
        ``random_state``) with every class in the same proportion as in
        ``target``. "keras" does what ``model.fit(validation_split=...)``
        does: the **last** pictures of the arrays, unshuffled.
    random_state : int, RandomState instance or None, default=0
        Seed of the "stratified" draw; ignored by "keras".

    Returns
    -------
    x_train, x_val : ndarray
        The pictures to train on and to validate with.
    y_train, y_val : ndarray
        Their targets.

    Raises
    ------
    ValueError
        If an argument is invalid, the arrays differ in length, a part would
        be empty, or (stratified) a class has too few pictures to appear in
        both parts.

    See Also
    --------
    load_image_folder : Its ``subset="train"`` is what you split here.

    Notes
    -----
    Keras' ``fit(validation_split=v)`` (``train_validation_split`` in
    ``keras/src/trainers/data_adapters``) keeps the first
    ``floor(n * (1 - v))`` samples for training and the rest for validation,
    *before* any shuffling. On the report's 129 training pictures that is
    103 and 26. It is fine on arrays already shuffled (the "train" part of
    [`load_image_folder`][animecls.datasets.load_image_folder] is), but on
    arrays sorted by class the validation set holds one class only. With 185
    pictures and 3 classes even a random plain split can leave a class with
    very few validation pictures, so the default stratifies. ``mode="keras"``
    returns views of the input arrays; "stratified" returns copies.

    Examples
    --------
    >>> import numpy as np
    >>> from animecls.datasets import train_validation_split
    >>> X = np.arange(10).reshape(10, 1)
    >>> y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    >>> _, x_val, _, y_val = train_validation_split(X, y, mode="keras")
    >>> y_val.tolist()
    [1, 1]
    >>> _, x_val, _, y_val = train_validation_split(X, y, validation_size=0.4)
    >>> sorted(y_val.tolist())
    [0, 0, 1, 1]
    """
    mode = check_choice(mode, "mode", _SPLIT_MODES)
    validation_size = check_test_size(validation_size, "validation_size")
    images = np.asarray(images)
    target = np.asarray(target)
    if images.ndim == 0 or target.ndim not in (1, 2) or len(images) != len(target):
        raise ValueError(
            "images and target must hold one entry per picture. Received: "
            f"images.shape={images.shape}, target.shape={target.shape}"
        )
    n = len(target)
    if mode == "keras":
        # Same expression as Keras, so the split point matches it exactly.
        if isinstance(validation_size, float):
            split_at = int(math.floor(n * (1.0 - validation_size)))
        else:
            split_at = n - validation_size
        if split_at <= 0 or split_at >= n:
            raise ValueError(
                f"{n} pictures cannot be split into a training and a validation "
                "part with this validation_size. Received: "
                f"validation_size={validation_size!r}"
            )
        return (
            images[:split_at],
            images[split_at:],
            target[:split_at],
            target[split_at:],
        )

    labels = target.argmax(axis=1) if target.ndim == 2 else target
    classes, counts = np.unique(labels, return_counts=True)
    n_val = _n_test(validation_size, n)
    if not len(classes) <= n_val <= n - len(classes):
        raise ValueError(
            f"validation_size={validation_size!r} keeps {n_val} of {n} pictures "
            f"for validation, but a stratified split of {len(classes)} classes "
            f"needs between {len(classes)} and {n - len(classes)}. Received: "
            f"validation_size={validation_size!r}"
        )
    if counts.min() < 2:
        label = classes[int(np.argmin(counts))].item()
        raise ValueError(
            f"Class {label!r} has {counts.min()} picture: a stratified split needs "
            "at least 2 per class. Use mode='keras' or add pictures. Received: "
            f"validation_size={validation_size!r}"
        )
    x_train, x_val, y_train, y_val = train_test_split(
        images,
        target,
        test_size=validation_size,
        random_state=random_state,
        stratify=labels,
    )
    return x_train, x_val, y_train, y_val
