"""Naming the characters in pictures: ``predict`` and its picture files.

[`predict`][animecls.models.predict] takes a model file, a network or a
pipeline, and pictures as files, folders or arrays; picture files are decoded
as the folder loader decodes them. Re-exported by [`animecls.models`][].
"""

import os
import warnings

import keras
import numpy as np

from ._info import get_info
from ._model_files import check_class_names, load_model

__all__ = ["predict"]


def _folder_pictures(folder, left_out):
    """Return the pictures of ``folder``, chosen by content as the loaders do.

    A file whose content is not a picture (a README, ``notes.txt``) is added
    to ``left_out`` with the loaders' reason; one that is a picture but
    cannot be used (truncated, too large, a broken link) is an error naming
    it, since ``predict`` returns one label per picture.
    """
    from ._images import NotAPictureError, UnreadableImageError, probe_image

    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as error:
        raise type(error)(
            error.errno,
            f"Cannot list the folder {folder!r} ({error.strerror}). "
            f"Received: {folder!r}",
        ) from None
    files = []
    for entry in entries:
        # Hidden files are skipped as the folder loader skips them (macOS
        # leaves "._name.jpg" copies that are not pictures); folders are not
        # searched.
        if entry.name.startswith(".") or _is_dir(entry):
            continue
        try:
            # The loaders' own test of "is this a picture", by content: an
            # "IMG_0001" without extension or a ".jfif" is one.
            probe_image(entry.path)
        except NotAPictureError as error:
            left_out.append((entry.path, str(error)))
            continue
        except UnreadableImageError as error:
            raise _cannot_read(entry.path, error) from None
        files.append(entry.path)
    if not files:
        found = "; ".join(f"{os.path.basename(p)}: {r}" for p, r in left_out[:3])
        raise ValueError(
            f"The folder {folder!r} holds no pictures: an empty batch"
            + (f" (left out: {found})" if found else "")
            + f". Received: {folder!r}"
        )
    return files


def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:
        # A symbolic link loop: probe_image names it.
        return False


def _image_files(item, left_out):
    """Return the picture files of ``item``, a file or a folder."""
    if os.path.isdir(item):
        return _folder_pictures(item, left_out)
    if not os.path.lexists(item):
        raise FileNotFoundError(f"No picture at {item!r}. Received: {item!r}")
    # A file named by the caller is read whatever it holds: a broken link or
    # a file that is not a picture is an error naming the decoder's reason.
    return [item]


def _cannot_read(path, error):
    return ValueError(
        f"Cannot read {path!r} as a picture ({error}). Received: {path!r}"
    )


def _warn_left_out(left_out):
    from .datasets import SkippedFilesWarning

    listed = "\n".join(f"  {path}: {reason}" for path, reason in left_out[:20])
    more = len(left_out) - 20
    if more > 0:
        listed += f"\n  ... and {more} more (see the `skipped` attribute of the result)"
    warnings.warn(
        f"Left out {len(left_out)} file{'s' if len(left_out) != 1 else ''} that "
        f"{'are' if len(left_out) != 1 else 'is'} not a picture:\n{listed}",
        SkippedFilesWarning,
        stacklevel=3,
    )


def _read_pictures(paths, size):
    """Read picture files as RGB, resized to ``size`` like the folder loader."""
    from ._images import UnreadableImageError, read_image

    pictures = np.empty((len(paths), size[0], size[1], 3), dtype=np.uint8)
    for index, path in enumerate(paths):
        try:
            # The loader's own decoder: EXIF orientation, any colour mode to
            # RGB, the same resize, so a picture is seen as in training.
            read_image(path, image_size=tuple(size), out=pictures[index])
        except UnreadableImageError as error:
            raise _cannot_read(path, error) from None
    return pictures


def _chunks(items, size):
    """Yield ``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _score(model, pictures, batch_size):
    """Return ``(probabilities or None, class indices)`` of ``pictures``."""
    if isinstance(model, keras.Model):
        probabilities = model.predict(pictures, batch_size=batch_size, verbose=0)
        return probabilities, probabilities.argmax(axis=1)
    if hasattr(model, "predict_proba"):
        probabilities = model.predict_proba(pictures)
        return probabilities, probabilities.argmax(axis=1)
    predicted = model.predict(pictures)
    lookup = {c: i for i, c in enumerate(model.classes_.tolist())}
    return None, np.asarray([lookup[c] for c in predicted.tolist()])


def _saved_metadata(model):
    return get_info(model).get("saved", {})


def predict(model, images, *, class_names=None, batch_size=32):
    """Name the character in each picture, with the class probabilities.

    Parameters
    ----------
    model : path-like, keras.Model or sklearn.pipeline.Pipeline
        A file from [`save_model`][animecls.models.save_model], or a trained
        model.
    images : path-like, list of path-like, or array
        A picture file, a folder of pictures (not recursive; hidden files
        are left out), a list of
        either, or an array of pictures ``(n_images, height, width, 3)`` (or
        one picture ``(height, width, 3)``) of the model's input size.
        Files are decoded as [`animecls.datasets.load_image_folder`][]
        does (RGB, EXIF orientation, stretched to the model's input size).
        In a folder, pictures are recognised by their content, as the
        loaders recognise them, whatever their name (``IMG_0001``,
        ``.jfif``, ``.jpe``); files that are not pictures are left out.
    class_names : list of str or None, default=None
        Names of the classes; by default the ones saved with the model.
    batch_size : int, default=32
        Pictures per batch for a network; picture files are also read this
        many at a time, so a large folder is never in memory at once.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``labels`` (predicted name per picture), ``probabilities`` (array
        ``(n_images, n_classes)``, or None for a pipeline built without
        ``probability=True``), ``class_names``, ``filenames`` (None for
        an array) and ``skipped``, the ``(path, reason)`` of each file of a
        folder that was left out because it is not a picture.

    Raises
    ------
    ValueError
        For an empty batch, pictures of the wrong size or channel count, a
        picture that cannot be read (truncated, too large, a broken link;
        the message names it), a file named in ``images`` that is not a
        picture, or class names that do not match the model's outputs.
    ModelFileError
        If ``model`` is a file not written by
        [`save_model`][animecls.models.save_model].

    Warns
    -----
    SkippedFilesWarning
        Once per call, naming each file of a folder that was left out
        because it is not a picture.

    Examples
    --------
    >>> from animecls.models import predict
    >>> result = predict("cnn.keras", "new_pictures/")  # doctest: +SKIP
    >>> result.labels[0], result.probabilities[0].max()  # doctest: +SKIP
    ('Marin Kitagawa', 0.93)
    """
    from sklearn.utils import Bunch

    from ._validation import check_count

    batch_size = check_count(batch_size, "batch_size")
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model)
    metadata = _saved_metadata(model)
    if isinstance(model, keras.Model):
        input_shape = tuple(int(d) for d in model.input_shape[1:])
        n_outputs = int(model.output_shape[-1])
    else:
        shape = metadata.get("input_shape")
        input_shape = tuple(shape) if shape else None
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise ValueError("Fit the pipeline first. Received: an unfitted pipeline")
        n_outputs = len(classes)
    if class_names is None:
        class_names = metadata.get("class_names")
    if class_names is None:
        classes = getattr(model, "classes_", range(n_outputs))
        class_names = [str(c) for c in classes]
    class_names = check_class_names(class_names, n_outputs, "The model")

    filenames = None
    skipped = []
    if isinstance(images, (str, os.PathLike)) or (
        isinstance(images, (list, tuple))
        and images
        and all(isinstance(i, (str, os.PathLike)) for i in images)
    ):
        items = [images] if isinstance(images, (str, os.PathLike)) else images
        filenames = [
            f for item in items for f in _image_files(os.fspath(item), skipped)
        ]
        if input_shape is None:
            raise ValueError(
                "This pipeline was not saved with an image size; pass an array "
                "of pictures. Received: picture files"
            )
        if not filenames:
            raise ValueError("images is an empty batch. Received: no pictures")
        # Read and score a batch at a time: a folder of hundreds of pictures
        # at a large input size never sits in memory at once.
        scored = [
            _score(model, _read_pictures(chunk, input_shape[:2]), batch_size)
            for chunk in _chunks(filenames, batch_size)
        ]
        # After the pictures: a picture that cannot be read is the error to
        # report, not the files that were rightly left out.
        if skipped:
            _warn_left_out(skipped)
        indices = np.concatenate([index for _, index in scored])
        probabilities = (
            None if scored[0][0] is None else np.concatenate([p for p, _ in scored])
        )
        return Bunch(
            labels=[class_names[i] for i in indices],
            probabilities=probabilities,
            class_names=class_names,
            filenames=filenames,
            skipped=skipped,
        )
    else:
        try:
            pictures = np.asarray(images)
        except ValueError:
            raise ValueError(
                "images must be pictures of one size; resize them first (as "
                "load_image_folder does) or pass their files. Received: a "
                f"{type(images).__name__} of pictures of different shapes"
            ) from None
        if pictures.dtype.kind not in "uif":
            raise ValueError(
                "images must hold numbers from 0 to 255. Received: images with "
                f"dtype {pictures.dtype}"
            )
        if pictures.dtype.kind == "f" and not np.isfinite(pictures).all():
            raise ValueError(
                "images holds NaN or infinite values; pictures hold numbers "
                f"from 0 to 255. Received: images with dtype {pictures.dtype}"
            )
        if pictures.ndim == 3 and pictures.shape[-1] in (1, 3, 4):
            pictures = pictures[None]
        if pictures.ndim == 4 and pictures.shape[0] == 0:
            raise ValueError(
                "images is an empty batch. Received: images with shape "
                f"{pictures.shape}"
            )
        if pictures.ndim != 4 or pictures.shape[-1] != 3:
            raise ValueError(
                "images must be RGB pictures (n_images, height, width, 3); grey "
                "or RGBA pictures need converting. Received: images with shape "
                f"{np.shape(images)}"
            )
        if input_shape is not None and tuple(pictures.shape[1:]) != input_shape:
            raise ValueError(
                f"The model takes pictures of {input_shape[0]}x{input_shape[1]}x3 "
                "(height x width x channels); resize them, e.g. with "
                f"load_image_folder(..., image_size={input_shape[:2]}). Received: "
                f"images with shape {pictures.shape}"
            )
    if len(pictures) == 0:
        raise ValueError("images is an empty batch. Received: no pictures")

    probabilities, indices = _score(model, pictures, batch_size)
    return Bunch(
        labels=[class_names[i] for i in indices],
        probabilities=probabilities,
        class_names=class_names,
        filenames=filenames,
        skipped=skipped,
    )
