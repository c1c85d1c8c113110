"""Write pictures as one folder per class, the layout the folder loaders read.

A private module shared by [`animecls.datasets`][] (which re-exports
[`save_image_folder`][animecls.datasets.save_image_folder] as its public name)
and ``animecls._characters`` (whose ``make_characters(directory=...)`` writes
through it), so that neither of those two imports the other.
"""

import contextlib
import os

import numpy as np
from PIL import Image

from ._files import RunFolder, atomic_write
from ._validation import check_choice

__all__ = ["claim_new_folder", "save_image_folder"]

_SAVE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def _check_folder_name(name):
    bad = (
        not isinstance(name, str)
        or not name.strip()
        or name.startswith(".")
        or any(c in name for c in "/\\\0")
    )
    if bad:
        raise ValueError(
            "Every target name becomes a folder name, so it must be a "
            "non-empty str without '/', '\\' or a leading '.' (hidden "
            f"folders are not loaded back). Received: class_names entry {name!r}"
        )


def save_image_folder(bunch, directory, *, image_format="png", overwrite=False):
    r"""Write pictures as one folder per class, the layout the loaders read.

    Parameters
    ----------
    bunch : Bunch or dict
        Holds ``images`` (``uint8``, shape ``(n_images, height, width, 3)``),
        ``target`` (class numbers) and ``class_names`` (class names, which
        become the folder names as they are: spaces and non-ASCII letters are
        kept), as [`make_characters`][animecls.datasets.make_characters] and
        [`load_image_folder`][animecls.datasets.load_image_folder] return.
    directory : str or path-like
        Folder to write into. A new folder is written whole under
        ``<directory>.incomplete`` and renamed to ``directory`` once every
        picture is there, so an interrupted call (Ctrl-C, a full disk, a
        killed process) leaves no partial set under ``directory``: the
        ``.incomplete`` folder it leaves is marked so, and the next call for
        the same ``directory`` replaces it. Another call writing the same new
        folder at the same time fails at once. Into an existing folder (empty
        or holding other files, or a link to one: it stays the same folder,
        with its permissions) the pictures are added one by one, and an error
        or Ctrl-C removes the ones this call added.
    image_format : {"png", "jpeg", "jpg", "webp"}, default="png"
        File format. PNG and WebP are written lossless, so loading them back
        gives identical arrays; JPEG is written at quality 95.
    overwrite : bool, default=False
        Replace files of the same name. Other files in the folders are never
        touched. A replaced file cannot be put back, so with ``overwrite`` an
        interrupted call leaves the pictures it wrote.

    Returns
    -------
    filenames : list of str
        The written files, one per picture in the order of ``images``:
        ``<directory>/<target name>/<nnnn>.<ext>``, numbered from 0000 within
        each class.

    Raises
    ------
    ValueError
        If ``bunch`` lacks a key or its arrays are malformed, or a target name
        is not a valid folder name (empty, containing "/" or "\\", starting
        with "." or repeated).
    FileExistsError
        If a file to write exists and ``overwrite`` is False; nothing is
        written then.
    OSError
        If a file cannot be written (a full disk). Each picture is written to
        a temporary file and renamed when complete, so the folder holds no
        half-written picture and a file being replaced is unchanged.

    See Also
    --------
    load_image_folder : Read the folder back.

    Examples
    --------
    >>> import tempfile
    >>> from animecls.datasets import make_characters, save_image_folder
    >>> data = make_characters(2, image_size=(32, 32))
    >>> paths = save_image_folder(data, tempfile.mkdtemp())
    >>> [p.split("/")[-2:] for p in paths[:3]]  # doctest: +NORMALIZE_WHITESPACE
    [['Marin Kitagawa', '0000.png'], ['Marin Kitagawa', '0001.png'],
     ['Micchon Shikimori', '0000.png']]
    """
    return _save_image_folder(bunch, directory, image_format, overwrite, None)


def _save_image_folder(bunch, directory, image_format, overwrite, folder):
    """Write as ``save_image_folder`` does, into ``folder`` if given.

    ``folder`` is a ``RunFolder`` the command line claimed with
    ``claim_new_folder`` before drawing the set, or None.
    """
    try:
        images, target, names = (bunch[k] for k in ("images", "target", "class_names"))
    except (KeyError, TypeError):
        raise ValueError(
            "bunch must be a Bunch or dict with 'images', 'target' and "
            f"'class_names'. Received: bunch of type {type(bunch).__name__}"
        ) from None
    image_format = check_choice(
        image_format.lower() if isinstance(image_format, str) else image_format,
        "image_format",
        tuple(_SAVE_FORMATS),
    )
    images = np.asarray(images)
    target = np.asarray(target)
    names = list(names)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(
            "bunch.images must be a uint8 array of shape (n_images, height, "
            "width, 3). Received: images with shape "
            f"{images.shape} and dtype {images.dtype}"
        )
    if (
        target.shape != (len(images),)
        or not np.issubdtype(target.dtype, np.integer)
        or (len(target) and (target.min() < 0 or target.max() >= len(names)))
    ):
        raise ValueError(
            "bunch.target must hold one class number in [0, len(class_names)) "
            f"per picture. Received: target with shape {target.shape}, "
            f"dtype {target.dtype}, for {len(names)} class_names"
        )
    for name in names:
        _check_folder_name(name)
    if len(set(names)) != len(names):
        raise ValueError(
            f"class_names must be unique folder names. Received: class_names={names!r}"
        )
    directory = os.fspath(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(
            f"{directory!r} is a file; pass a folder to write into. "
            f"Received: directory={directory!r}"
        )

    fmt = _SAVE_FORMATS[image_format]
    ext = _EXTENSIONS[fmt]
    digits = max(4, len(str(len(images) - 1)))
    numbers = np.zeros(len(names), dtype=np.int64)
    paths = []
    for label in target:
        paths.append(
            os.path.join(directory, names[label], f"{numbers[label]:0{digits}d}.{ext}")
        )
        numbers[label] += 1
    if not overwrite:
        existing = [p for p in paths if os.path.lexists(p)]
        if existing:
            shown = ", ".join(repr(p) for p in existing[:3])
            more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
            raise FileExistsError(
                f"{len(existing)} of the files to write already exist ({shown}"
                f"{more}); nothing was written. Pass overwrite=True (--overwrite "
                "on the command line) to replace them, or choose another "
                f"folder. Received: directory={directory!r}"
            )

    options = {"PNG": {}, "JPEG": {"quality": 95}, "WEBP": {"lossless": True}}[fmt]
    # Only a new folder is claimed: an existing one, even empty, is the
    # user's (its permissions, a shell's working folder, a mount point) and
    # is written into in place, never removed and replaced.
    if folder is None and not os.path.lexists(directory):
        folder = claim_new_folder(directory)
    if folder is not None:
        _write_new(folder, names, images, paths, directory, fmt, options)
    else:
        _write_into(names, images, paths, directory, fmt, options, overwrite)
    return paths


def claim_new_folder(directory, *, option="directory"):
    """Claim a new data set folder (``<directory>.incomplete``) before drawing it.

    The command line calls this before it draws the pictures, so a folder it
    cannot write, or that another run is writing, fails at once; ``option``
    is how its messages name ``directory`` (``"DIR"`` there). Returns the
    claimed ``RunFolder`` to pass to ``_save_image_folder``'s ``folder``.
    """
    folder = RunFolder(directory, option=option, advice="another folder")
    folder.claim()
    return folder


def _write_new(folder, names, images, paths, directory, fmt, options):
    """Write a whole new set under ``<directory>.incomplete``, then rename it.

    A set interrupted part-way (Ctrl-C, a full disk, a killed process) is
    left there, marked incomplete, and never under ``directory``; the next
    call for ``directory`` replaces it.
    """
    try:
        partial = folder.start()
        for name in names:
            os.makedirs(os.path.join(partial, name), exist_ok=True)
        for picture, path in zip(images, paths, strict=True):
            inside = os.path.join(partial, os.path.relpath(path, directory))
            try:
                Image.fromarray(picture).save(inside, format=fmt, **options)
            except OSError as error:
                # Name the picture and say what is left: "[Errno 28]" alone
                # tells a student neither.
                message = (
                    f"Could not write {path!r} ({error.strerror or error}); "
                    f"nothing was written to {directory!r}: the pictures so far "
                    f"are in {os.fspath(partial)!r}, marked incomplete, and the "
                    "next call for this folder replaces them"
                )
                args = (message,) if error.errno is None else (error.errno, message)
                raise type(error)(*args) from error
        folder.finish()
    except BaseException:
        folder.abandon()
        raise


def _write_into(names, images, paths, directory, fmt, options, overwrite):
    """Add pictures to an existing folder (empty or not), one file at a time.

    Each picture goes through a temporary file. Without ``overwrite`` each is
    given its name only if no file has it (one that appeared meanwhile is
    never replaced), and on an error or Ctrl-C every file and class folder
    this call made is removed again, so the folder is left as it was. A
    replaced file cannot be put back: with ``overwrite`` an interrupted call
    leaves the pictures written so far.
    """
    made_folders = [
        os.path.join(directory, name)
        for name in names
        if not os.path.lexists(os.path.join(directory, name))
    ]
    created = []
    try:
        for name in names:
            os.makedirs(os.path.join(directory, name), exist_ok=True)
        for picture, path in zip(images, paths, strict=True):
            new = not os.path.lexists(path)
            # Through a temporary file: a full disk or Ctrl-C never leaves half a
            # picture, nor damages the file that overwrite=True replaces.
            with atomic_write(path, overwrite=overwrite) as temporary:
                Image.fromarray(picture).save(temporary, format=fmt, **options)
            if new:
                created.append(path)
    except BaseException:
        for path in created:
            with contextlib.suppress(OSError):
                os.remove(path)
        for made in made_folders:
            with contextlib.suppress(OSError):
                os.rmdir(made)  # only if empty: nothing of anyone else's
        raise
