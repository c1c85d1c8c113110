"""Writing files and run folders so that nothing half-written looks finished.

``atomic_write`` writes one file through a temporary name and renames it
when complete. ``RunFolder`` does the same for a folder of results (a
comparison, an experiment, a drawn data set), with one protocol for every
entry point:

1. **Claim up front.** Before any training, ``claim`` creates
   ``<out_dir>.incomplete`` with ``mkdir`` (which fails if the name exists,
   so of two runs only one can create it), and puts in it a marker file
   naming the run (an owner token, the process, the time) that the run
   keeps locked while it is alive. A name that cannot be created (an
   existing path, a parent that is a file, a name too long for the suffix,
   a read-only or virtual file system) fails here, before anything is
   trained.
2. **Write, then rename.** The results are written into the claimed folder,
   which is renamed to ``out_dir`` once every file is there, so a folder
   named ``out_dir`` is always complete. If ``out_dir`` appeared meanwhile
   (another program made it), it is left alone and the finished results are
   moved to a ``<out_dir>.recovered-<token>`` folder, which the error names.
3. **Never delete what is not ours.** A run removes only the folder it
   claimed itself. An ``.incomplete`` folder whose marker is locked belongs
   to a live run and is refused; one whose marker nobody holds was left by
   an interrupted run and is replaced by the next run with the same name; a
   folder without the marker is the user's and is refused.

Both are used by the light data layer and by the Keras code alike, so this
module imports only the standard library.
"""

import contextlib
import csv
import errno
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt

__all__ = [
    "INCOMPLETE_MARKER",
    "RunFolder",
    "atomic_write",
    "check_apart",
    "check_new_file",
    "write_rows",
]

#: The file that marks a run folder animecls is still writing (or was
#: interrupted writing); a folder without it is never deleted.
INCOMPLETE_MARKER = ".animecls-incomplete"

#: The suffix of the folder a run writes into before renaming it.
INCOMPLETE_SUFFIX = ".incomplete"

# A marker is a few lines; a larger file is not one animecls wrote.
_MARKER_MAX_BYTES = 4096

# How long a folder without a marker may be a claim still being made, in
# seconds: its marker follows the folder within microseconds.
_CLAIM_WAIT_S = 1.0


@contextlib.contextmanager
def atomic_write(path, *, overwrite=True):
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    Whoever writes the file writes it to the temporary path. Only a complete
    file is renamed to ``path`` (``os.replace``, atomic on one file system),
    so a full disk, a crash or Ctrl-C mid-write leaves the earlier file at
    ``path`` as it was, or no file, never half of one. On failure the
    temporary file is removed and an ``OSError`` names ``path``.

    With ``overwrite=False`` the complete file is linked to ``path`` only if
    no file of that name exists at that moment (``os.link`` fails rather
    than replace), so a file that appeared while this one was written is
    never overwritten: a ``FileExistsError`` names it.

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
        if overwrite:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(error, FileExistsError) and not overwrite:
            raise
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
            kept = "the earlier file is unchanged" if existed else "nothing was written"
            raise _naming(
                error, f"Could not write {path!r} ({error.strerror or error}); {kept}"
            ) from error
        raise


def _link_new(temporary, path):
    """Give the complete ``temporary`` the name ``path`` unless ``path`` exists."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsError(
            f"{path!r} appeared while animecls was writing it; it was left as "
            f"it is and nothing was written. Received: path={path!r}",
        ) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # A file system without hard links: exclusive creation, then a copy.
        with open(path, "xb") as target, open(temporary, "rb") as source:
            shutil.copyfileobj(source, target)
    os.remove(temporary)


def _naming(error, message):
    """Return an ``OSError`` of ``error``'s type and errno, with ``message``."""
    # OSError(None, message) would print as "[Errno None] message".
    args = (message,) if error.errno is None else (error.errno, message)
    return type(error)(*args)


def check_new_file(path, *, option="--out", inside=None, suffixes=None):
    """Check, before any work, that a new file can be written at ``path``.

    Refused: an existing path (a file is never overwritten), a parent that is
    missing or not a folder, a path inside the folder ``inside`` (a file
    written there would join the pictures it analyses), and an extension not
    in ``suffixes``. Returns ``path`` as a str.
    """
    path = os.fspath(path)
    received = f"Received: {option} {path}"
    if os.path.lexists(path):
        raise FileExistsError(
            f"{path!r} already exists; animecls never overwrites a file. Choose "
            f"a new name. {received}",
        )
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        what = "is not a folder" if os.path.lexists(parent) else "does not exist"
        raise NotADirectoryError(
            f"The folder of {path!r}, {parent!r}, {what}. {received}"
        )
    if inside is not None and _is_within(path, inside):
        raise ValueError(
            f"{path!r} is inside {os.fspath(inside)!r}, the folder being "
            "analysed: a picture written there would become one of its "
            f"pictures. Write it elsewhere. {received}"
        )
    if suffixes is not None and Path(path).suffix.lower() not in suffixes:
        raise ValueError(
            f"{option} must end in one of {', '.join(sorted(suffixes))} (the "
            f"format is read from the extension). {received}"
        )
    return path


def _is_within(path, folder):
    """Return True when ``path`` is ``folder`` or inside it (links resolved)."""
    path, folder = (os.path.realpath(os.fspath(p)) for p in (path, folder))
    return os.path.commonpath([path, folder]) == folder


def check_apart(out_dir, other, other_name="cache_dir"):
    """Refuse an ``other`` folder (a cache) that is ``out_dir``, inside it, or holds it.

    A run folder must not exist before the run and is renamed into place at
    the end, so another folder written at the same place during the run
    would make the run fail after all its training.
    """
    if out_dir is None or other is None:
        return
    final = Path(out_dir)
    partial = final.with_name(final.name + INCOMPLETE_SUFFIX)
    for run_name in (final, partial):
        if _is_within(other, run_name) or _is_within(run_name, other):
            raise ValueError(
                f"{other_name} {os.fspath(other)!r} and the run folder "
                f"{os.fspath(out_dir)!r} overlap: animecls writes the run "
                "folder only once the run is over, under a name that must "
                f"still be free then. Use separate folders. Received: "
                f"out_dir={os.fspath(out_dir)!r}, {other_name}={os.fspath(other)!r}"
            )


def _try_lock(fd):
    """Lock ``fd`` for this process without waiting; False if another holds it.

    The operating system releases the lock when the process ends, however it
    ends (Ctrl-C, kill -9, a crash), so a held lock means a live run.
    """
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


class RunFolder:
    """A new folder of results, claimed before the run and renamed when complete.

    Make it and call ``claim`` before any training, so that a run that
    cannot write its results, or whose folder another run holds, fails
    before it starts. Then call ``start``, write into ``path``, and call
    ``finish``; on an error or Ctrl-C call ``abandon``. Until ``finish`` the
    files sit in ``<out_dir>.incomplete`` with a marker file, so an
    interrupted run never leaves a folder that looks complete. See the module
    notes for the whole protocol (one run per name, nothing deleted that
    this run did not create).

    Parameters
    ----------
    out_dir : path-like
        The folder to create; it must not exist. Checked when the object is
        made.
    subfolders : sequence of str, default=()
        Folders to create inside (e.g. ``"figures"``).
    option : str, default="out_dir"
        How the caller names ``out_dir`` in messages (``"--out"`` on the
        command line).
    empty_ok : bool, default=False
        Accept an ``out_dir`` that is an empty folder (a data set's folder
        the user made for it): it is removed, if still empty, just before
        the complete folder is renamed to its name.
    """

    def __init__(self, out_dir, *, subfolders=(), option="out_dir", empty_ok=False):
        self.final = Path(out_dir)
        self.option = option
        self.empty_ok = empty_ok
        # What to tell the user to choose instead.
        self._other = "another folder" if empty_ok else "another --out"
        self._received = (
            f"Received: {option}={os.fspath(out_dir)!r}"
            if option.isidentifier()
            else f"Received: {option} {os.fspath(out_dir)}"
        )
        if not self.final.name or (
            os.path.lexists(self.final) and not (empty_ok and _is_empty(self.final))
        ):
            runs = "" if empty_ok else ", or leave it out for a new time-stamped "
            runs += "" if empty_ok else "folder under runs/"
            raise FileExistsError(
                f"{os.fspath(self.final)!r} already exists; animecls never writes "
                f"into an earlier {'folder' if empty_ok else 'run folder'}. "
                f"Choose {self._other}{runs}. " + self._received,
            )
        self.partial = self.final.with_name(self.final.name + INCOMPLETE_SUFFIX)
        self.subfolders = tuple(subfolders)
        self.token = secrets.token_hex(8)
        self._lock = None  # the open, locked marker while this run holds it
        self._made_parents = []
        self._claimed = False
        self._started = False

    @property
    def path(self):
        """The folder to write into (the ``.incomplete`` one until finished)."""
        return self.partial

    def claim(self):
        """Create the ``.incomplete`` folder with this run's locked marker.

        A folder of that name left by an interrupted animecls run (its marker
        unlocked) is replaced; one a live run holds, or any other folder, is
        refused with a ``FileExistsError`` that says which. Returns its path.
        """
        if self._claimed:
            return self.partial
        partial = self.partial
        # The folders above it this claim makes, deepest first, so that
        # abandoning an empty claim leaves nothing behind (not even runs/).
        self._made_parents = []
        parent = partial.parent
        while not os.path.lexists(parent) and parent != parent.parent:
            self._made_parents.append(parent)
            parent = parent.parent
        try:
            partial.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError as error:  # the parent is a file
            raise self._cannot_create(OSError(errno.ENOTDIR, "a file")) from error
        except OSError as error:
            raise self._cannot_create(error) from error
        for _ in range(3):
            try:
                os.mkdir(partial)
                break
            except FileExistsError:
                if os.path.lexists(self.final) and not (
                    self.empty_ok and _is_empty(self.final)
                ):
                    # Made by another run between our check and now.
                    raise FileExistsError(
                        f"{os.fspath(self.final)!r} already exists; animecls "
                        f"never writes into an earlier run folder. Choose "
                        f"{self._other}. " + self._received,
                    ) from None
                self._replace_left_over()
            except OSError as error:
                raise self._cannot_create(error) from error
        else:
            raise self._busy("")
        try:
            self._mark()
            for name in self.subfolders:
                (partial / name).mkdir()
        except BaseException:
            self._claimed = True
            self.abandon()
            raise
        self._claimed = True
        return partial

    def _cannot_create(self, error):
        partial = os.fspath(self.partial)
        reasons = {
            errno.ENAMETOOLONG: "the name is too long to add the "
            f"{INCOMPLETE_SUFFIX!r} suffix animecls writes under; choose a "
            "shorter name",
            errno.ENOTDIR: "a folder above it is a file",
            errno.EACCES: "you may not create folders there",
            errno.EPERM: "the file system does not allow new folders there",
            errno.EROFS: "the file system is read-only",
            errno.ENOENT: "the folder above it cannot hold new folders",
            errno.ENOSPC: "the disk is full",
        }
        reason = reasons.get(error.errno, error.strerror or str(error))
        # The message alone: "[Errno 2]" in front of it says nothing more.
        return type(error)(
            f"Cannot write the run folder {os.fspath(self.final)!r}: "
            f"{partial!r}, where it is written first, cannot be created "
            f"({reason}). Nothing was written. " + self._received,
        )

    def _mark(self):
        """Write this run's marker, locked before it takes its name.

        The marker is locked under a temporary name and then renamed, so no
        other run ever sees it unlocked while this one is alive (it would
        take the folder for an interrupted run's and replace it).
        """
        temporary = self.partial / f".animecls-{self.token}.claim"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        self._lock = fd
        if not _try_lock(fd):  # pragma: no cover - a new file nobody else opened
            raise self._busy("")
        text = (
            "animecls is writing this run folder; it is renamed without the "
            f"{INCOMPLETE_SUFFIX!r} suffix once every file is written.\n"
            "If no animecls run is running, the run was interrupted: rerun the "
            "command to replace this folder, or delete it.\n"
            f"token: {self.token}\npid: {os.getpid()}\nhost: {socket.gethostname()}\n"
            f"started: {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        )
        os.write(fd, text.encode("utf-8"))
        os.rename(temporary, self.partial / INCOMPLETE_MARKER)

    def _busy(self, owner):
        return FileExistsError(
            f"Another animecls run{owner} is writing {os.fspath(self.final)!r} "
            f"(its folder {os.fspath(self.partial)!r} is in use); this one "
            f"stopped before starting and touched nothing. Choose {self._other}, "
            "or rerun once the other has finished. " + self._received,
        )

    def _replace_left_over(self):
        """Remove ``partial`` if an interrupted animecls run left it; else refuse."""
        partial = self.partial
        marker = partial / INCOMPLETE_MARKER
        # A run that has just made the folder puts its marker in a moment
        # later: wait that moment before calling the folder someone else's.
        deadline = time.monotonic() + _CLAIM_WAIT_S
        while True:
            try:
                if partial.is_symlink() or not partial.is_dir():
                    raise FileNotFoundError
                fd = os.open(marker, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
                break
            except FileNotFoundError:
                if not os.path.lexists(partial):
                    return  # gone meanwhile: try to create it again
                if partial.is_dir() and time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                fd = None
                break
            except OSError as error:
                raise FileExistsError(
                    f"{os.fspath(partial)!r} exists and its marker cannot be read "
                    f"({error.strerror}); it was left as it is. Move it away or "
                    f"choose {self._other}. " + self._received,
                ) from None
        if fd is None:
            raise FileExistsError(
                f"{os.fspath(partial)!r} exists and was not made by animecls (it "
                f"has no {INCOMPLETE_MARKER} marker); it was left as it is. Move "
                f"it away or choose {self._other}. " + self._received,
            )
        try:
            if not _try_lock(fd):
                raise self._busy(_owner(fd))
            # Whoever removes a left-over folder holds its marker's lock while
            # renaming it, so if the name still leads to this marker, the
            # folder is the left-over one and nobody else is moving it.
            held, now = os.fstat(fd), os.lstat(marker)
            if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
                return
            trash = partial.with_name(f".{partial.name}-{self.token}.removed")
            os.rename(partial, trash)
        except FileNotFoundError:
            return  # removed by another run meanwhile
        finally:
            os.close(fd)
        # Everything in it was written by the interrupted run: none is complete.
        shutil.rmtree(trash, ignore_errors=True)

    def start(self):
        """Claim the folder if not yet done, and return the path to write into."""
        self.claim()
        self._started = True
        return self.partial

    def _check_still_ours(self):
        try:
            text = _read_marker(self.partial / INCOMPLETE_MARKER)
        except OSError:
            text = ""
        if f"token: {self.token}\n" not in text:
            raise RuntimeError(
                f"{os.fspath(self.partial)!r} no longer holds this run's marker; "
                "it was left as it is. " + self._received
            )

    def finish(self):
        """Rename the folder to ``out_dir`` and drop the marker; return its path.

        If ``out_dir`` appeared during the run, it is left alone: the
        complete results are renamed to ``<out_dir>.recovered-<token>`` and
        a ``FileExistsError`` names both.
        """
        if not self._started:
            raise RuntimeError("RunFolder.finish() called before start()")
        self._check_still_ours()
        if os.name == "nt":  # pragma: no cover - an open file blocks the rename
            self._release_lock()
        final = self.final
        try:
            if self.empty_ok and os.path.isdir(final) and not final.is_symlink():
                # Only an empty folder: rmdir refuses one that has filled meanwhile.
                os.rmdir(final)
            if os.path.lexists(final):
                raise FileExistsError(errno.EEXIST, "appeared")
            os.rename(self.partial, final)
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                raise
            raise self._recover() from None
        with contextlib.suppress(FileNotFoundError):
            (final / INCOMPLETE_MARKER).unlink()
        self._release_lock()
        return final

    def _recover(self):
        """Move the complete results beside an ``out_dir`` made during the run."""
        recovered = self.final.with_name(
            f"{self.final.name}.recovered-{self.token[:6]}"
        )
        os.rename(self.partial, recovered)
        with contextlib.suppress(FileNotFoundError):
            (recovered / INCOMPLETE_MARKER).unlink()
        self._release_lock()
        return FileExistsError(
            f"{os.fspath(self.final)!r} appeared while this run was writing its "
            "results (another program or run made it; a --cache-dir there "
            "would); it was left as it is. The run is complete: its results "
            f"are in {os.fspath(recovered)!r}. " + self._received,
        )

    def abandon(self):
        """Let the folder go after an error or Ctrl-C.

        Before ``start`` the folder holds nothing but the marker and empty
        subfolders, and is removed. Once writing has started it is kept,
        marked incomplete and unlocked, so the next run with this
        ``out_dir`` replaces it.
        """
        if not self._claimed:
            return
        if not self._started and self._lock is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self._check_still_ours()
                trash = self.partial.with_name(
                    f".{self.partial.name}-{self.token}.removed"
                )
                os.rename(self.partial, trash)
                shutil.rmtree(trash, ignore_errors=True)
                for parent in self._made_parents:
                    os.rmdir(parent)  # only while empty: then nobody else's
        self._release_lock()
        self._claimed = False

    def _release_lock(self):
        if self._lock is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock)
            self._lock = None

    def final_path(self, path):
        """Where a file written at ``path`` (inside ``path``) ends up."""
        return self.final / Path(path).relative_to(self.partial)

    def __del__(self):
        # An abandoned object lets its folder go, as the process ending would.
        if getattr(self, "_lock", None) is not None:
            self._release_lock()


def _is_empty(path):
    """Return True for a real folder (not a link) with nothing in it."""
    try:
        if Path(path).is_symlink():
            return False
        with os.scandir(path) as entries:
            return not any(entries)
    except OSError:
        return False


def _read_marker(path):
    with open(path, "rb") as f:
        return f.read(_MARKER_MAX_BYTES).decode("utf-8", "replace")


def _owner(fd):
    """`` (pid N on HOST, since TIME)`` from a marker, or ``""``."""
    try:
        text = os.pread(fd, _MARKER_MAX_BYTES, 0).decode("utf-8", "replace")
    except (OSError, AttributeError):
        return ""
    fields = dict(re.findall(r"^(pid|host|started): (.{1,100})$", text, re.MULTILINE))
    if "pid" not in fields:
        return ""
    since = f", since {fields['started']}" if "started" in fields else ""
    return f" (pid {fields['pid']} on {fields.get('host', '?')}{since})"


def write_rows(path, rows, columns):
    """Write ``rows`` (dicts) to a CSV file, None as an empty cell."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
