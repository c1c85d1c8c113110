"""Decoded pictures kept in a file on disk and read back a few at a time.

[`open_image_folder`][animecls.datasets.open_image_folder] decodes a folder
once into a ``PictureFile``; the engine under
[`compare_models`][animecls.comparison.compare_models] and the experiments
then reads a batch at a time from it, so a run's memory does not grow with
the number of pictures. Shared by the loaders, the engine and the batch
streaming of [`animecls._batches`][], which is why it lives apart.
"""

import math
import os
import shutil
import tempfile
import threading
import weakref

import numpy as np

__all__ = ["PictureFile"]


_SEEK_LOCK = threading.Lock()


def _pread(fd, size, offset):
    """``os.pread``, or a seek and a read under a lock where there is none."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    with _SEEK_LOCK:  # Windows: one file position, shared by every reader
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, size)


def _remove(directory, fd):
    try:
        os.close(fd)
    except OSError:
        pass
    shutil.rmtree(directory, ignore_errors=True)


class PictureFile:
    """Pictures decoded into one file, read back a few at a time.

    Behaves like a read-only ``uint8`` array of shape ``(n_images, height,
    width, 3)`` where it matters: ``len``, ``shape``, ``dtype``, ``ndim`` and
    ``nbytes``; an int gives one picture and a slice, a list or an array of
    indices gives an ``ndarray`` of just those pictures, read from disk
    then. ``np.asarray(pictures)`` reads them all; ``take`` selects without
    reading, for code that goes on to read in batches.

    Made by [`open_image_folder`][animecls.datasets.open_image_folder]; the
    file lives in a folder of its own that is removed when the last
    ``PictureFile`` reading it is garbage-collected or ``close`` is called.
    Plain file reads (no memory map), so pictures read and dropped leave
    nothing behind in the process' memory.

    Examples
    --------
    >>> import tempfile
    >>> from animecls.datasets import make_characters, open_image_folder
    >>> folder = tempfile.mkdtemp()
    >>> _ = make_characters(4, image_size=(32, 32), directory=folder)
    >>> data = open_image_folder(folder, image_size=(16, 16))
    >>> data.images
    PictureFile(12 pictures of 16x16)
    >>> data.images[[0, 5]].shape
    (2, 16, 16, 3)
    >>> first = data.images.take([0, 1, 2])
    >>> len(first), next(first.batches(2)).shape
    (3, (2, 16, 16, 3))
    """

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, path, n_images, height, width, *, _owner=None):
        self._path = os.fspath(path)
        self._picture = (int(height), int(width), 3)
        self._n_total = int(n_images)
        self._rows = None
        self._fd = os.open(self._path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        # The folder goes once no view reads it any more: views share the
        # owner, whose finalizer closes the file and removes its folder.
        self._owner = _owner if _owner is not None else self
        if _owner is None:
            self._finalizer = weakref.finalize(
                self, _remove, os.path.dirname(self._path), self._fd
            )

    # ------------------------------------------------------------- writing

    @classmethod
    def create(cls, n_images, height, width, *, directory=None):
        """Return ``(writer, finish)`` for a new file of ``n_images`` pictures.

        ``writer(k, picture)`` stores picture ``k``; ``finish(n_kept)`` closes
        the file and returns the ``PictureFile`` of its first ``n_kept``
        pictures. ``directory`` is where the file's own folder is made
        (default: the system's temporary folder).
        """
        folder = tempfile.mkdtemp(prefix="animecls-pictures-", dir=directory)
        path = os.path.join(folder, "pictures.u8")
        size = int(height) * int(width) * 3
        try:
            handle = open(path, "wb")
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise

        def writer(k, picture):
            picture = np.ascontiguousarray(picture, dtype=np.uint8)
            handle.seek(k * size)
            handle.write(picture.data)

        def finish(n_kept):
            handle.close()
            return cls(path, n_kept, height, width)

        def abandon():
            handle.close()
            shutil.rmtree(folder, ignore_errors=True)

        writer.abandon = abandon
        return writer, finish

    # ------------------------------------------------------------- reading

    @property
    def shape(self):
        """``(n_images, height, width, 3)``."""
        return (len(self), *self._picture)

    @property
    def nbytes(self):
        """Bytes the pictures take once read: ``n_images * height * width * 3``."""
        return len(self) * math.prod(self._picture)

    @property
    def path(self):
        """The file the pictures are read from."""
        return self._path

    def __len__(self):
        return self._n_total if self._rows is None else len(self._rows)

    def __repr__(self):
        height, width, _ = self._picture
        return f"PictureFile({len(self)} pictures of {height}x{width})"

    def _rows_of(self, index):
        """Return the file rows of ``index`` (int, slice or indices)."""
        n = len(self)
        if isinstance(index, slice):
            picked = np.arange(n)[index]
        else:
            picked = np.asarray(index)
            if picked.dtype == bool:
                if picked.shape != (n,):
                    raise IndexError(
                        f"A boolean index must have one entry per picture ({n}). "
                        f"Received: shape {picked.shape}"
                    )
                picked = np.flatnonzero(picked)
            elif picked.size and picked.dtype.kind not in "iu":
                raise IndexError(
                    "Pictures are selected by int, slice or integer indices. "
                    f"Received: indices of dtype {picked.dtype}"
                )
            picked = picked.astype(np.int64, copy=False)
            if picked.size and (picked.max() >= n or picked.min() < -n):
                bad = picked[(picked >= n) | (picked < -n)][0]
                raise IndexError(f"Index {int(bad)} is out of range for {n} pictures.")
            picked = np.where(picked < 0, picked + n, picked)
        return picked if self._rows is None else self._rows[picked]

    def _read(self, rows):
        size = math.prod(self._picture)
        out = np.empty((len(rows), *self._picture), dtype=np.uint8)
        flat = out.reshape(len(rows), size)
        for k, row in enumerate(rows):
            data = _pread(self._fd, size, int(row) * size)
            if len(data) != size:
                raise OSError(
                    f"{self._path} ends early: picture {int(row)} is cut short "
                    "(was the file changed while in use?)"
                )
            flat[k] = np.frombuffer(data, dtype=np.uint8)
        return out

    def __getitem__(self, index):
        if isinstance(index, tuple):
            first, *rest = index
            one = isinstance(first, int | np.integer)
            return self[first][tuple(rest) if one else (slice(None), *rest)]
        if isinstance(index, int | np.integer):
            return self._read(self._rows_of([index]))[0]
        return self._read(self._rows_of(index))

    def __array__(self, dtype=None, copy=None):
        pictures = self._read(self._rows_of(slice(None)))
        return pictures if dtype is None else pictures.astype(dtype)

    def __iter__(self):
        for batch in self.batches(256):
            yield from batch

    def take(self, indices):
        """Return the pictures at ``indices`` as a ``PictureFile``, unread."""
        view = PictureFile.__new__(PictureFile)
        view._path = self._path
        view._picture = self._picture
        view._n_total = self._n_total
        view._fd = self._fd
        view._owner = self._owner
        view._rows = self._rows_of(indices)
        return view

    def batches(self, batch_size):
        """Yield the pictures in order, ``batch_size`` at a time."""
        for start in range(0, len(self), batch_size):
            yield self[start : start + batch_size]

    def close(self):
        """Remove the file now rather than when it is garbage-collected."""
        self._owner._finalizer()
