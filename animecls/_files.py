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
   folder without the marker is the user's and is refused. (The lock is
   POSIX only: see ``RunFolder``'s Notes for what happens without it.)

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
    # The liveness lock is POSIX only, on purpose: Windows refuses to rename
    # an open file (the marker is renamed while locked) and its msvcrt locks
    # are mandatory, so the POSIX protocol cannot work there, and no other
    # one has ever been run there. Without fcntl a claim is the exclusive
    # mkdir alone, and a marked folder is never taken for an interrupted
    # run's (see RunFolder's Notes).
    fcntl = None

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
        raise _naming(
            error,
            f"Could not write {path!r} ({error.strerror}). Received: path={path!r}",
        ) from error
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
                error,
                f"Could not write {path!r} ({error.strerror or error}); {kept}. "
                f"Received: path={path!r}",
            ) from error
        raise


def _link_new(temporary, path):
    """Give the complete ``temporary`` the name ``path`` unless ``path`` exists."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise _appeared(path) from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # A file system without hard links: exclusive creation, then a copy.
        try:
            target = open(path, "xb")  # noqa: SIM115 - closed below
        except FileExistsError:
            raise _appeared(path) from None
        try:
            with target, open(temporary, "rb") as source:
                shutil.copyfileobj(source, target)
        except BaseException:
            # The file is ours (created exclusively above) and incomplete:
            # removed, so that "nothing was written" stays true.
            with contextlib.suppress(OSError):
                os.remove(path)
            raise
    os.remove(temporary)


def _appeared(path):
    return FileExistsError(
        f"{path!r} appeared while animecls was writing it; it was left as "
        f"it is and nothing was written. Received: path={path!r}",
    )


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


def check_apart(out_dir, other, other_name="cache_dir", *, option="out_dir"):
    """Refuse an ``other`` folder (a cache) at or inside the run folder.

    A run folder must not exist before the run and is renamed into place at
    the end, so a cache written at ``out_dir`` or ``<out_dir>.incomplete``
    (or inside either) during the run would make the run fail after all its
    training. A cache that holds the run folder (``--cache-dir runs`` with a
    run under ``runs/``) is fine: its files have other names. ``option`` and
    ``other_name`` are how the caller names the two in messages (``"--out"``
    and ``"--cache-dir"`` on the command line).
    """
    if out_dir is None or other is None:
        return
    final = _named(out_dir)
    if not final.name:
        return  # "/": RunFolder refuses it
    partial = final.with_name(final.name + INCOMPLETE_SUFFIX)
    for run_name in (final, partial):
        if _is_within(other, run_name):
            where = (
                f"the run folder {os.fspath(out_dir)!r} or inside it"
                if run_name is final
                else f"{os.fspath(partial)!r} or inside it, where the run folder "
                f"{os.fspath(out_dir)!r} is written first"
            )
            raise ValueError(
                f"{other_name} {os.fspath(other)!r} is {where}: animecls writes "
                "the run folder only once the run is over, under a name that "
                "must still be free then. Use a cache folder outside it. "
                "Received: "
                + ", ".join(
                    _received(name, value)
                    for name, value in ((option, out_dir), (other_name, other))
                )
            )


def _named(path):
    """``path`` as a Path whose name is a folder's own (``.`` and ``..`` resolved).

    "." and ".." (and paths ending so) have no name to add ".incomplete" to:
    "..incomplete" would be made inside the folder, not beside it.
    """
    path = Path(path)
    return path.resolve() if path.name in ("", "..") else path


def _received(option, value):
    """``out_dir='x'`` for a Python parameter; ``--out x``, ``DIR x`` for the CLI's."""
    value = os.fspath(value)
    python = option.isidentifier() and not option.isupper()
    return f"{option}={value!r}" if python else f"{option} {value}"


def _try_lock(fd):
    """Lock ``fd`` for this process without waiting; False if another holds it.

    The operating system releases the lock when the process ends, however it
    ends (Ctrl-C, kill -9, a crash), so a held lock means a live run. POSIX
    only (``fcntl.flock``); callers check ``fcntl`` first.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
        The folder to create; it must not exist (an empty folder is refused
        too: callers that accept one, as ``save_image_folder`` does, write
        into it in place instead). Checked when the object is made. A name
        that ends in ``.`` or ``..`` is resolved first, so that the
        ``.incomplete`` folder is made beside the folder it names.
    subfolders : sequence of str, default=()
        Folders to create inside (e.g. ``"figures"``).
    option : str, default="out_dir"
        How the caller names ``out_dir`` in messages (``"--out"`` on the
        command line).
    advice : str, default=None
        What the messages tell the user to choose instead of a folder that
        is taken, after "Choose "; None says ``"another <option>"``.
    empty_ok : bool, default=False
        No effect; accepted for callers written when an empty ``out_dir``
        was removed and replaced (which took the user's own folder, its
        permissions, a shell's working folder or a mount point).

    Notes
    -----
    Limitation: the lock that tells a live run from an interrupted one is POSIX only
    (``fcntl.flock``). Without it (Windows, never run there) a claim is the
    exclusive ``mkdir`` alone: two runs still never share a folder, but a
    left-over ``.incomplete`` folder is never replaced, since a live run's
    cannot be told from it; the message says to delete it.
    """

    def __init__(
        self, out_dir, *, subfolders=(), option="out_dir", advice=None, empty_ok=False
    ):
        self.final = _named(out_dir)
        self.option = option
        self._choose = advice or f"another {option}"
        self._received = "Received: " + _received(option, out_dir)
        if not self.final.name or os.path.lexists(self.final):
            raise self._exists()
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

    def _exists(self):
        final = os.fspath(self.final)
        if os.path.lexists(final) and not os.path.isdir(final):
            said = "already exists and is a file; animecls never overwrites a file"
        else:
            said = "already exists; animecls never writes into an earlier run folder"
        return FileExistsError(
            f"{final!r} {said}. Choose {self._choose}. " + self._received
        )

    def claim(self):
        """Create the ``.incomplete`` folder with this run's locked marker.

        A folder of that name left by an interrupted animecls run (its marker
        unlocked) is replaced; one a live run holds, or any other folder, is
        refused with a ``FileExistsError`` that says which. Returns its path.
        If the claim fails part-way (a full disk writing the marker, Ctrl-C),
        the folder it made is removed again: nothing is left that a rerun
        would take for someone else's.
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
        made = False
        try:
            try:
                partial.parent.mkdir(parents=True, exist_ok=True)
            except FileExistsError as error:  # the parent is a file
                raise self._cannot_create(OSError(errno.ENOTDIR, "a file")) from error
            except OSError as error:
                raise self._cannot_create(error) from error
            for _ in range(3):
                try:
                    os.mkdir(partial)
                    made = True
                    break
                except FileExistsError:
                    if os.path.lexists(self.final):
                        # Made by another run between our check and now.
                        raise self._exists() from None
                    self._replace_left_over()
                except OSError as error:
                    raise self._cannot_create(error) from error
            else:
                raise self._busy("")
            try:
                self._mark()
                for name in self.subfolders:
                    (partial / name).mkdir()
            except OSError as error:
                raise self._cannot_create(error) from error
        except BaseException:
            if made:
                self._unmake()
            self._release_lock()
            for parent in self._made_parents:
                with contextlib.suppress(OSError):
                    os.rmdir(parent)  # only while empty: then nobody else's
            raise
        self._claimed = True
        return partial

    def _unmake(self):
        """Remove the folder this claim made, after it failed part-way.

        It holds at most this claim's own files: the marker (under its
        temporary name or its own) and empty subfolders. Each is removed by
        name and the folder with ``rmdir``, so anything else in it is kept.
        """
        partial = self.partial
        for name in (f".animecls-{self.token}.claim", INCOMPLETE_MARKER):
            with contextlib.suppress(OSError):
                if name != INCOMPLETE_MARKER or self._marker_is_ours():
                    os.remove(partial / name)
        for name in self.subfolders:
            with contextlib.suppress(OSError):
                os.rmdir(partial / name)
        with contextlib.suppress(OSError):
            os.rmdir(partial)

    def _marker_is_ours(self):
        try:
            text = _read_marker(self.partial / INCOMPLETE_MARKER)
        except OSError:
            return False
        return f"token: {self.token}\n" in text

    def _cannot_create(self, error):
        if isinstance(error, FileExistsError) and "Received: " in str(error):
            return error  # already this folder's message (_busy)
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
            getattr(errno, "EDQUOT", None): "your disk quota is used up",
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
        take the folder for an interrupted run's and replace it). Without
        ``fcntl`` (Windows) it is written and closed, unlocked, and renamed.
        """
        temporary = self.partial / f".animecls-{self.token}.claim"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        if fcntl is not None:
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
        try:
            os.write(fd, text.encode("utf-8"))
        finally:
            if fcntl is None:  # pragma: no cover - Windows: no open file renamed
                os.close(fd)
        os.rename(temporary, self.partial / INCOMPLETE_MARKER)

    def _busy(self, owner):
        return FileExistsError(
            f"Another animecls run{owner} is writing {os.fspath(self.final)!r} "
            f"(its folder {os.fspath(self.partial)!r} is in use); this one "
            f"stopped before starting and touched nothing. Choose {self._choose}, "
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
                    f"choose {self._choose}. " + self._received,
                ) from None
        if fd is None:
            raise FileExistsError(
                f"{os.fspath(partial)!r} exists and was not made by animecls (it "
                f"has no {INCOMPLETE_MARKER} marker); it was left as it is. Move "
                f"it away or choose {self._choose}. " + self._received,
            )
        if fcntl is None:  # pragma: no cover - Windows: see the Notes
            os.close(fd)
            raise FileExistsError(
                f"{os.fspath(partial)!r} exists, marked as an animecls run's; "
                "without POSIX locks animecls cannot tell a live run from an "
                "interrupted one, so it was left as it is. If no animecls run "
                f"is running, delete it, or choose {self._choose}. " + self._received,
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
        if self._claimed:
            # Claimed before a long run: check it is still there and ours.
            self._check_still_ours()
        self.claim()
        self._started = True
        return self.partial

    def _check_still_ours(self):
        if self._marker_is_ours():
            return
        partial = os.fspath(self.partial)
        if os.path.lexists(partial):
            what = "no longer holds this run's marker (it was replaced or emptied"
        else:
            what = "was removed (deleted"
        raise FileNotFoundError(
            f"{partial!r}, where this run writes {os.fspath(self.final)!r} until "
            f"it is complete, {what} while the run was running); whatever is "
            f"there was left as it is and nothing was written to "
            f"{os.fspath(self.final)!r}. Rerun to write it. " + self._received,
        )

    def finish(self):
        """Rename the folder to ``out_dir`` and drop the marker; return its path.

        If ``out_dir`` appeared during the run, it is left alone: the
        complete results are renamed to ``<out_dir>.recovered-<token>`` and
        a ``FileExistsError`` names both. If the ``.incomplete`` folder was
        removed or replaced during the run, a ``FileNotFoundError`` says so.
        """
        if not self._started:
            raise RuntimeError("RunFolder.finish() called before start()")
        self._check_still_ours()
        final = self.final
        try:
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
        if not self._started and self._marker_is_ours():
            with contextlib.suppress(OSError):
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
