"""Bounded reads of files that come from elsewhere: zip archives, JSON, ``.npy``.

A model file or a cache entry is untrusted input: a few kilobytes can declare
gigabytes (a zip bomb, a ``.npy`` header of 10**14 values) or nest JSON deeper
than Python can parse. Every read of such a file goes through here, and each
limit is checked *before* anything of the declared size is allocated:

- an archive holds at most ``MAX_MEMBERS`` members, each at most
  ``MAX_MEMBER_BYTES`` once uncompressed, together at most
  ``MAX_ARCHIVE_BYTES``, and none larger than ``RATIO_FLOOR`` expands more
  than ``MAX_RATIO`` times (zip bombs expand about a thousand times);
- a JSON document is at most ``MAX_JSON_BYTES`` and nests at most
  ``MAX_JSON_DEPTH`` arrays and objects;
- a ``.npy`` array holds no Python objects, and its header declares no more
  data than the file holds, nor more than ``MAX_MEMBER_BYTES``.

A file beyond a limit raises ``LimitError``, whose message names the limit
and ends with what was received; callers add the file's name (a
``ModelFileError``, a ``CacheWarning``). So does a member zipfile cannot
read (flagged encrypted, of an unknown compression method, failing its CRC
check, cut short): it is damaged.

Imports NumPy only: the feature cache, in the light layer, uses it too.
"""

import contextlib
import json
import re
import zipfile
import zlib

import numpy as np

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_MEMBERS",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "RATIO_FLOOR",
    "LimitError",
    "check_archive",
    "parse_json",
    "read_json_member",
    "read_npy_header",
    "read_npy_member",
    "read_npy_member_header",
]

#: Members an archive may hold (a VGG16 pipeline file has about 20).
MAX_MEMBERS = 10_000
#: Bytes one member may hold once uncompressed (1 GiB; VGG16's weights are 59 MB).
MAX_MEMBER_BYTES = 2**30
#: Bytes all members may hold together once uncompressed (2 GiB).
MAX_ARCHIVE_BYTES = 2**31
#: How many times a member may expand when uncompressed...
MAX_RATIO = 100
#: ...once it holds more than this many bytes (1 MiB): small JSON compresses well.
RATIO_FLOOR = 2**20
#: Bytes of one JSON document (16 MiB; a VGG16 transfer config is about 40 kB).
MAX_JSON_BYTES = 16 * 2**20
#: Arrays and objects nested in one JSON document (animecls' files nest about 20).
MAX_JSON_DEPTH = 100

# A JSON string, escapes included (unrolled, so matching is linear).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# The longest .npy header read; NumPy's own default limit.
_MAX_NPY_HEADER = 10_000
# What zipfile raises for a member it cannot read: flagged encrypted
# (RuntimeError), an unknown compression method (NotImplementedError), a bad
# local header or CRC (BadZipFile), a broken deflate, bzip2 or lzma stream
# (zlib.error, OSError, LZMAError), data cut short (EOFError).
_DAMAGED = (
    RuntimeError,
    NotImplementedError,
    EOFError,
    OSError,
    zipfile.BadZipFile,
    zlib.error,
)
try:
    import lzma
except ImportError:  # a Python built without lzma; zipfile then refuses it
    pass
else:
    _DAMAGED += (lzma.LZMAError,)
# The depth of a JSON document is counted this many bytes at a time.
_DEPTH_CHUNK = 2**20
# +1 for an opening bracket, -1 for a closing one, 0 for any other byte.
_BRACKET_STEPS = np.zeros(256, dtype=np.int8)
_BRACKET_STEPS[[ord("["), ord("{")]] = 1
_BRACKET_STEPS[[ord("]"), ord("}")]] = -1


class LimitError(ValueError):
    """A file declares more than animecls reads, or is damaged where it says so."""


def _size(count):
    return f"{count:,} bytes"


def check_archive(archive):
    """Check every member's declared sizes, before any member is read.

    Parameters
    ----------
    archive : zipfile.ZipFile
        An archive opened for reading.

    Raises
    ------
    LimitError
        If the archive has too many members, a member too large or
        expanding too much, or too many bytes in all.
    """
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise LimitError(
            f"it holds more than the {MAX_MEMBERS:,} members animecls reads. "
            f"Received: an archive of {len(members):,} members"
        )
    total = 0
    for member in members:
        size, stored = member.file_size, member.compress_size
        if size > MAX_MEMBER_BYTES:
            raise LimitError(
                f"its member {member.filename!r} holds more than the "
                f"{_size(MAX_MEMBER_BYTES)} animecls reads from one member. "
                f"Received: a member of {_size(size)}"
            )
        if size > RATIO_FLOOR and size > MAX_RATIO * max(stored, 1):
            raise LimitError(
                f"its member {member.filename!r} expands more than {MAX_RATIO} "
                "times when uncompressed, as zip bombs do. Received: a member "
                f"of {_size(size)} stored in {_size(stored)}"
            )
        total += size
    if total > MAX_ARCHIVE_BYTES:
        raise LimitError(
            f"its members hold more than the {_size(MAX_ARCHIVE_BYTES)} animecls "
            f"reads from one archive. Received: {_size(total)} in all"
        )


@contextlib.contextmanager
def _reading(member):
    """Turn what zipfile raises for a member it cannot read into a LimitError.

    ``member`` is a ``zipfile.ZipInfo``; its entry is shown as received.
    """
    try:
        yield
    except _DAMAGED as error:
        raise LimitError(
            f"its member {member.filename!r} is damaged ({error}). Received: a "
            f"member of {_size(member.file_size)} stored in "
            f"{_size(member.compress_size)} (compression method "
            f"{member.compress_type}, flags {member.flag_bits:#06x})"
        ) from None


def _read_member(archive, name, limit):
    """Return the bytes of one member, refusing more than ``limit`` of them."""
    member = archive.getinfo(name)
    if member.file_size > limit:
        raise LimitError(
            f"its member {name!r} holds more than the {_size(limit)} animecls "
            f"reads from it. Received: a member of {_size(member.file_size)}"
        )
    with _reading(member), archive.open(member) as stream:
        # zipfile stops at the declared size; one byte more would show a
        # header that lies (it then fails its CRC check).
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise LimitError(
            f"its member {name!r} holds more than it declares. Received: more "
            f"than {_size(limit)}"
        )
    return data


def parse_json(data, what="the document"):
    """Parse JSON bytes after checking their size and nesting depth.

    Parameters
    ----------
    data : bytes
        The document.
    what : str, default="the document"
        What the document is, for messages.

    Returns
    -------
    value : object
        The parsed document.

    Raises
    ------
    LimitError
        If the document is too large, too deeply nested, or not JSON.
    """
    if len(data) > MAX_JSON_BYTES:
        raise LimitError(
            f"{what} holds more than the {_size(MAX_JSON_BYTES)} of JSON animecls "
            f"reads. Received: {_size(len(data))}"
        )
    depth = _json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise LimitError(
            f"{what} nests more than the {MAX_JSON_DEPTH} levels of JSON animecls "
            f"reads. Received: {depth} levels"
        )
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise LimitError(
            f"{what} is not valid JSON ({error}). Received: {what}"
        ) from None


def _json_depth(data):
    """Return how deeply a JSON document nests arrays and objects.

    Counted on the brackets outside strings, without recursion (the parser
    itself recurses, and fails on deep documents with a RecursionError rather
    than a message), a chunk at a time: the count's temporaries stay a few
    MiB whatever the document's size.
    """
    brackets = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    depth = deepest = 0
    for start in range(0, len(brackets), _DEPTH_CHUNK):
        steps = _BRACKET_STEPS[brackets[start : start + _DEPTH_CHUNK]]
        # A chunk nests at most its length deeper: int32 holds any count.
        running = np.cumsum(steps, dtype=np.int32)
        deepest = max(deepest, depth + int(running.max()))
        depth += int(running[-1])
    return deepest


def read_json_member(archive, name):
    """Return the parsed JSON of one member of a checked archive.

    Raises
    ------
    KeyError
        If there is no such member.
    LimitError
        If the member is too large, too deeply nested, or not JSON.
    """
    return parse_json(_read_member(archive, name, MAX_JSON_BYTES), f"its {name!r}")


def read_npy_header(stream, available, what):
    """Read a ``.npy`` header and check what it declares against ``available``.

    Parameters
    ----------
    stream : binary file
        Positioned at the start of the ``.npy`` data; left after the header.
    available : int
        Bytes the file holds after the header's start.
    what : str
        What the array is, for messages.

    Returns
    -------
    shape : tuple of int
    dtype : numpy.dtype

    Raises
    ------
    LimitError
        If the header is damaged, declares Python objects, or more data than
        the file holds or than ``MAX_MEMBER_BYTES``.
    """
    start = stream.tell()
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(
                stream, max_header_size=_MAX_NPY_HEADER
            )
        elif version in ((2, 0), (3, 0)):
            header = np.lib.format.read_array_header_2_0(
                stream, max_header_size=_MAX_NPY_HEADER
            )
        else:
            raise ValueError(f"unknown .npy version {version}")
        shape, _, dtype = header
    except (ValueError, SyntaxError, TypeError, EOFError, OverflowError) as error:
        raise LimitError(
            f"{what} has a damaged .npy header ({error}). Received: {what}"
        ) from None
    if dtype.hasobject:
        raise LimitError(
            f"{what} holds Python objects, which animecls does not unpickle. "
            f"Received: an array of dtype {dtype}"
        )
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = available - (stream.tell() - start)
    if declared > MAX_MEMBER_BYTES:
        raise LimitError(
            f"{what} declares more than the {_size(MAX_MEMBER_BYTES)} animecls "
            f"reads into one array. Received: shape {shape} of {dtype} "
            f"({_size(declared)})"
        )
    if declared > held:
        raise LimitError(
            f"{what} declares more data than it holds (truncated or forged). "
            f"Received: shape {shape} of {dtype} ({_size(declared)}) in "
            f"{_size(max(held, 0))}"
        )
    return tuple(shape), dtype


def read_npy_member(archive, name):
    """Return the array of one ``.npy`` member of a checked archive.

    Read without pickle, after its header is checked
    (``read_npy_header``), so that it allocates no more than it holds.

    Raises
    ------
    KeyError
        If there is no such member.
    LimitError
        If the header is damaged or declares too much.
    """
    member = archive.getinfo(name)
    with _reading(member), archive.open(member) as stream:
        shape, dtype = read_npy_header(stream, member.file_size, f"its {name!r}")
    with _reading(member), archive.open(member) as stream:
        try:
            return np.lib.format.read_array(stream, allow_pickle=False)
        except ValueError as error:
            raise LimitError(
                f"its {name!r} is damaged ({error}). Received: shape {shape} of {dtype}"
            ) from None


def read_npy_member_header(archive, member):
    """Check the ``.npy`` header of one member (a ``zipfile.ZipInfo``).

    For a reader that loads the array itself (skops): what the header
    declares is checked against the member first (``read_npy_header``).

    Raises
    ------
    LimitError
        If the member is damaged, or its header declares too much.
    """
    with _reading(member), archive.open(member) as stream:
        return read_npy_header(stream, member.file_size, f"its {member.filename!r}")
