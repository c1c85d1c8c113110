"""Decode one picture file robustly: any mode, any size, bad files rejected.

Everything that reads picture files in [`animecls.datasets`][] goes through
``probe_image`` (header only) and ``read_image`` (full decode), so the
eager loader, the folder scan and the streaming dataset accept and reject the
same files for the same reasons.
"""

import errno
import math
import os
import re
import stat
import threading
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Formats a picture folder really holds. Restricting Image.open to them keeps
# rarely used parsers away from untrusted files (and EPS, whose decoding runs
# Ghostscript) and stops random bytes from passing as, say, a headerless TGA.
# The MPO files phones write open through the JPEG entry.
SUPPORTED_FORMATS = ("BMP", "GIF", "JPEG", "PNG", "TIFF", "WEBP")

# Pillow's own default for Image.MAX_IMAGE_PIXELS: about 256 MiB of RGB pixels.
DEFAULT_MAX_PIXELS = 89_478_485

RESIZE_POLICIES = ("stretch", "crop", "pad")

# Letterbox colour of resize="pad": mid grey is as far from black outlines as
# from white backgrounds, so the bars do not look like part of a drawing.
PAD_COLOR = (128, 128, 128)

# Pillow's BILINEAR resize is antialiased (its filter widens when shrinking),
# so it does not alias like tf.image.resize's bilinear; unlike LANCZOS it does
# not ring around the hard black outlines of drawings. reducing_gap=3.0 first
# shrinks by an integer factor (and lets JPEG decode at 1/2, 1/4 or 1/8 scale),
# which Pillow documents as indistinguishable from a full-resolution resize.
RESAMPLE = Image.Resampling.BILINEAR
REDUCING_GAP = 3.0

# warnings.catch_warnings changes interpreter-wide state; the lock keeps two
# of our own threads (tf.data map workers) from interleaving it.
_LOCK = threading.Lock()

# EXIF orientations that swap width and height (transpose and rotations by 90).
_SWAPS_AXES = (5, 6, 7, 8)


class UnreadableImageError(Exception):
    """A file that cannot be used as a picture; ``str(error)`` says why.

    The message is the skip reason that the loaders list in their
    ``skipped`` attribute and in their
    [`SkippedFilesWarning`][animecls.datasets.SkippedFilesWarning].
    """


class NotAPictureError(UnreadableImageError):
    """A file whose content is not a picture in a supported format.

    Told apart from a picture that cannot be used (too large, truncated,
    unreadable) so that ``predict`` can leave such files of a folder out, as
    a README beside the pictures, while a broken picture stays an error.
    """


def _too_large(width, height):
    return UnreadableImageError(
        f"too large ({width} x {height} pixels; possible decompression bomb)"
    )


def unreadable_reason(path, error):
    """Say why ``os.stat`` or ``open`` failed on ``path``, naming broken links."""
    if error.errno == errno.ELOOP:
        return "symbolic link loop (it leads back to itself)"
    if isinstance(error, FileNotFoundError) and os.path.islink(path):
        return f"broken symbolic link (its target {os.readlink(path)!r} does not exist)"
    return f"cannot be read ({type(error).__name__}: {error.strerror})"


def _check_regular_file(path):
    try:
        info = os.stat(path)
    except OSError as error:
        raise UnreadableImageError(unreadable_reason(path, error)) from None
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO or a device would block or read forever.
        raise UnreadableImageError("not a regular file")
    if info.st_size == 0:
        raise UnreadableImageError("empty file (0 bytes)")


def _open(source, max_pixels):
    """Open ``source`` (header only) and refuse it if it is too large."""
    try:
        image = Image.open(source, formats=SUPPORTED_FORMATS)
    except UnidentifiedImageError:
        raise NotAPictureError(
            "not a picture in a supported format (" + ", ".join(SUPPORTED_FORMATS) + ")"
        ) from None
    except Image.DecompressionBombError as error:
        # Pillow's hard limit (2 * Image.MAX_IMAGE_PIXELS) fired inside open,
        # before we could see the size; its message holds the pixel count.
        count = re.search(r"\((\d+) pixels\)", str(error))
        found = f"{count.group(1)} pixels" if count else str(error)
        raise UnreadableImageError(
            f"too large ({found}; possible decompression bomb)"
        ) from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise _too_large(width, height)
    return image


def _orientation(image):
    """Return the EXIF orientation (1 to 8) without decoding the pixels."""
    if image.format == "PNG" and "exif" not in image.info:
        # PngImageFile.getexif() decodes the whole file to look for an eXIf
        # chunk after the pixel data; the header is all a probe may read.
        return 1
    orientation = image.getexif().get(0x0112, 1)
    return orientation if orientation in range(1, 9) else 1


def _reason(error):
    text = str(error).strip().rstrip(".")
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def probe_image(path, *, max_pixels=DEFAULT_MAX_PIXELS):
    """Read the header of the picture at ``path`` without decoding it.

    Parameters
    ----------
    path : str or path-like
        The file.
    max_pixels : int, default=DEFAULT_MAX_PIXELS
        Larger pictures are refused as possible decompression bombs.

    Returns
    -------
    size : tuple of int
        ``(width, height)`` as the picture is shown, after its EXIF
        orientation.

    Raises
    ------
    UnreadableImageError
        If the file cannot be opened as a supported picture or is too large
        (``NotAPictureError`` when its content is not a picture at all).

    Warns
    -----
    UserWarning
        Once per distinct message Pillow gave while reading the header (such
        as "Corrupt EXIF data"), naming the file: the picture is still used,
        but its metadata (its orientation, say) may be ignored.
    """
    _check_regular_file(path)
    with _LOCK, warnings.catch_warnings(record=True) as caught:
        # Pillow's own warnings do not say which file they are about; record
        # them (even under an "error" filter, which would otherwise turn odd
        # EXIF into a skipped picture here but not in read_image) and repeat
        # them with the file's name below.
        warnings.simplefilter("always")
        # Our max_pixels check replaces Pillow's DecompressionBombWarning.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with _open_file(path) as file:
                image = _open(file, max_pixels)
                with image:
                    orientation = _orientation(image)
                    size = image.size
        except UnreadableImageError:
            raise
        except Exception as error:
            # Any failure of a parser on a user's file means "not usable".
            raise UnreadableImageError(
                f"corrupt picture header ({_reason(error)})"
            ) from None
    _warn_about(path, caught)
    return size[::-1] if orientation in _SWAPS_AXES else size


def _warn_about(path, caught):
    """Repeat the warnings Pillow gave about ``path``, naming it."""
    seen = set()
    for record in caught:
        message = str(record.message).strip()
        if (record.category, message) in seen:
            continue
        seen.add((record.category, message))
        warnings.warn(
            f"Pillow warned about {os.fspath(path)!r} while reading its header: "
            f"{message} (the picture is still used; what Pillow could not read, "
            "such as its EXIF orientation, is ignored)",
            record.category,
            stacklevel=3,
        )


def _to_rgb(image):
    """Return ``image`` as RGB; transparency is composited on white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I;16") or mode in ("I", "F"):
        # Pillow clips high-bit-depth values to 255 when converting to "L";
        # scale them instead so a 16-bit picture keeps its contrast.
        values = np.asarray(image, dtype=np.float64)
        if mode == "F":
            top = np.nanmax(values) if values.size else 0.0
            values = values * 255.0 if top <= 1.0 else values
        else:
            values = values / 257.0
        values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
        grey = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[..., None], 3, axis=2))
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or (
        mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")


def _resize(image, height, width, resize):
    """Resize an RGB ``image`` to ``(width, height)`` by the ``resize`` policy."""
    w, h = image.size
    if (w, h) == (width, height):
        return image
    if resize == "stretch":
        return image.resize((width, height), RESAMPLE, reducing_gap=REDUCING_GAP)
    if resize == "crop":
        # Largest centred box with the target's aspect ratio, on whole pixels:
        # resize(box=...) would let the filter reach past the box's edges.
        if w * height > h * width:
            box_w, box_h = max(1, round(h * width / height)), h
        else:
            box_w, box_h = w, max(1, round(w * height / width))
        left, top = (w - box_w) // 2, (h - box_h) // 2
        image = image.crop((left, top, left + box_w, top + box_h))
        return image.resize((width, height), RESAMPLE, reducing_gap=REDUCING_GAP)
    # "pad": fit inside, keep the aspect ratio, centre on grey.
    scale = min(width / w, height / h)
    new_w = min(width, max(1, round(w * scale)))
    new_h = min(height, max(1, round(h * scale)))
    fitted = image.resize((new_w, new_h), RESAMPLE, reducing_gap=REDUCING_GAP)
    canvas = Image.new("RGB", (width, height), PAD_COLOR)
    canvas.paste(fitted, ((width - new_w) // 2, (height - new_h) // 2))
    return canvas


def _draft_size(size, orientation, height, width, resize):
    """Smallest decode size that still leaves ``REDUCING_GAP`` of headroom."""
    w, h = size
    if orientation in _SWAPS_AXES:
        height, width = width, height
    sx, sy = width / w, height / h
    if resize == "crop":
        sx = sy = max(sx, sy)
    elif resize == "pad":
        sx = sy = min(sx, sy)
    return (
        max(1, math.ceil(w * sx * REDUCING_GAP)),
        max(1, math.ceil(h * sy * REDUCING_GAP)),
    )


def read_image(
    source, *, image_size, resize="stretch", max_pixels=DEFAULT_MAX_PIXELS, out=None
):
    """Decode one picture into an RGB ``uint8`` array of ``image_size``.

    The first frame of an animation is used, the EXIF orientation is applied,
    every mode becomes RGB (transparency composited on white, 16-bit scaled to
    8-bit, CMYK converted) and the picture is resized by ``resize``.

    Parameters
    ----------
    source : str, path-like or binary file object
        The picture; paths are opened read-only.
    image_size : tuple of int
        ``(height, width)`` of the result.
    resize : {"stretch", "crop", "pad"}, default="stretch"
        How to handle a different aspect ratio (see
        [`animecls.datasets.load_image_folder`][]).
    max_pixels : int, default=DEFAULT_MAX_PIXELS
        Pictures with more pixels (width x height, read from the header) are
        refused before decoding.
    out : ndarray of shape (height, width, 3), dtype uint8, default=None
        Where to write the picture; a new array when None.

    Returns
    -------
    picture : ndarray of shape (height, width, 3), dtype uint8

    Raises
    ------
    UnreadableImageError
        If the file is not a supported picture, is corrupt or truncated, or
        is too large; the message is the reason.
    """
    height, width = image_size
    if isinstance(source, str | os.PathLike):
        _check_regular_file(source)
    with _LOCK, warnings.catch_warnings():
        # Pillow warns about files that still decode (odd EXIF, malformed MPO)
        # without naming them; what counts is whether the pixels decode.
        # DecompressionBombWarning is replaced by our own max_pixels check.
        warnings.simplefilter("ignore")
        try:
            with _open_file(source) as file:
                image = _open(file, max_pixels)
                with image:
                    orientation = _orientation(image)
                    image.draft(
                        None,
                        _draft_size(image.size, orientation, height, width, resize),
                    )
                    image.load()
                    image = ImageOps.exif_transpose(image)
                    picture = _resize(_to_rgb(image), height, width, resize)
                    array = np.asarray(picture, dtype=np.uint8)
        except UnreadableImageError:
            raise
        except Exception as error:
            # Pillow signals broken data with OSError, SyntaxError, ValueError,
            # EOFError, struct.error and more; for a user's file all of them
            # mean the same thing: this file cannot be used.
            raise UnreadableImageError(
                f"corrupt or truncated picture ({_reason(error)})"
            ) from None
    if out is None:
        return array if array.flags.writeable else array.copy()
    out[...] = array
    return out


def _open_file(source):
    """Open a path read-only, or wrap a caller's file object to leave it open."""
    if not isinstance(source, str | os.PathLike):
        return _NoClose(source)
    try:
        return open(source, "rb")
    except OSError as error:
        # Unreadable (permissions), or replaced since it was checked.
        raise UnreadableImageError(unreadable_reason(source, error)) from None


class _NoClose:
    """Context manager around a caller's file object that leaves it open."""

    def __init__(self, file):
        self.file = file

    def __enter__(self):
        return self.file

    def __exit__(self, *exc_info):
        return False
