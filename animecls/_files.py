"""Writing files and run folders so that nothing half-written looks finished.

``atomic_write`` writes one file through a temporary name and renames it
when complete. ``RunFolder`` does the same for a folder of results (a
comparison, an experiment): everything is written into
``<out_dir>.incomplete``, marked by a file that says so, and renamed to
``out_dir`` once every file is there. Both are used by the light data layer
and by the Keras code alike, so this module imports only the standard library.
"""

import contextlib
import csv
import os
import secrets
import shutil
from pathlib import Path

__all__ = ["INCOMPLETE_MARKER", "RunFolder", "atomic_write", "write_rows"]

#: The file that marks a run folder animecls is still writing (or was
#: interrupted writing); a folder without it is never deleted.
INCOMPLETE_MARKER = ".animecls-incomplete"


@contextlib.contextmanager
def atomic_write(path):
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Whoever writes the file writes it to the temporary path. Only a complete
    file is renamed to ``path`` (``os.replace``, atomic on one file system),
    so a full disk, a crash or Ctrl-C mid-write leaves the earlier file at
    ``path`` as it was, or no file, never half of one. On failure the
    temporary file is removed and an ``OSError`` names ``path``.

    The temporary name is short (a long ``path`` name is not made longer,
    which could exceed the file system's 255-byte limit), starts with "."
    (the folder loaders skip it) and keeps the extension, which Keras needs.
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    # Every suffix, not only the last: Keras insists on ".weights.h5".
    extension = "".join(Path(name).suffixes)[-24:]
    temporary = os.path.join(folder, f".animecls-{secrets.token_hex(6)}.tmp{extension}")
    # Created here, exclusively, so the name cannot be someone else's file;
    # mode 0o666 lets the umask decide the permissions, as for open(path, "w").
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as error:
        # Name the file asked for, not the temporary one (a missing or
        # read-only folder, a full disk).
        raise _naming(error, f"Could not write {path!r} ({error.strerror})") from error
    existed = os.path.exists(path)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
            kept = "the earlier file is unchanged" if existed else "nothing was written"
            raise _naming(
                error, f"Could not write {path!r} ({error.strerror or error}); {kept}"
            ) from error
        raise


def _naming(error, message):
    """Return an ``OSError`` of ``error``'s type and errno, with ``message``."""
    # OSError(None, message) would print as "[Errno None] message".
    args = (message,) if error.errno is None else (error.errno, message)
    return type(error)(*args)


class RunFolder:
    """A new folder of results, written under a temporary name.

    Create it once the results exist (training is over), write into
    ``path``, then call ``finish``. Until then the files sit in
    ``<out_dir>.incomplete`` with a marker file, so an interrupted run never
    leaves a folder that looks complete; a rerun with the same ``out_dir``
    replaces such a left-over folder, and refuses any other.

    Parameters
    ----------
    out_dir : path-like
        The folder to create; it must not exist. Checked when the object is
        made, so call this before training to fail early.
    subfolders : sequence of str, default=()
        Folders to create inside (e.g. ``"figures"``).
    """

    def __init__(self, out_dir, *, subfolders=()):
        self.final = Path(out_dir)
        if self.final.exists():
            raise FileExistsError(
                f"{os.fspath(self.final)!r} already exists; animecls never writes "
                "into an earlier run folder. Choose another --out, or leave it "
                "out for a new time-stamped folder under runs/. Received: "
                f"out_dir={os.fspath(out_dir)!r}"
            )
        self.partial = self.final.with_name(self.final.name + ".incomplete")
        self.subfolders = tuple(subfolders)
        self._started = False

    @property
    def path(self):
        """The folder to write into (the ``.incomplete`` one until finished)."""
        return self.partial

    def start(self):
        """Create the ``.incomplete`` folder with its marker; return its path.

        A folder of that name left by an interrupted animecls run (it holds
        the marker) is replaced; any other is the user's and is refused.
        """
        partial = self.partial
        if partial.exists():
            if not (partial / INCOMPLETE_MARKER).exists():
                raise FileExistsError(
                    f"{os.fspath(partial)!r} exists and was not made by animecls; "
                    "move it away or choose another --out."
                )
            # Left by a run interrupted while writing: nothing in it is complete.
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        for name in self.subfolders:
            (partial / name).mkdir()
        (partial / INCOMPLETE_MARKER).write_text(
            "This run was interrupted before its results were complete.\n",
            encoding="utf-8",
        )
        self._started = True
        return partial

    def finish(self):
        """Remove the marker and rename the folder to ``out_dir``; return it."""
        if not self._started:
            raise RuntimeError("RunFolder.finish() called before start()")
        (self.partial / INCOMPLETE_MARKER).unlink()
        self.partial.rename(self.final)
        return self.final

    def final_path(self, path):
        """Where a file written at ``path`` (inside ``path``) ends up."""
        return self.final / Path(path).relative_to(self.partial)


def write_rows(path, rows, columns):
    """Write ``rows`` (dicts) to a CSV file, None as an empty cell."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
