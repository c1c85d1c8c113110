"""Write what animecls does with each kind of bad file into ``docs/_generated/``.

The robustness page includes ``robustness-scan.md``: a folder of hostile
files is built in a temporary folder, scanned and loaded, and every row of
the table is what :func:`~animecls.datasets.load_image_folder` reported for
one file. A test checks that the committed table is current.

Run from the repository root::

    python docs/_scripts/robustness_table.py
"""

import io
import os
import pathlib
import struct
import tempfile
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image

from animecls.datasets import SkippedFilesWarning, load_image_folder

OUTPUT = (
    pathlib.Path(__file__).resolve().parents[1] / "_generated" / "robustness-scan.md"
)
HUGE = 20_000


def _png_declaring(width, height):
    """A PNG whose header declares ``width`` x ``height``; a few bytes on disk."""

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def _encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def build(root):
    """Write the hostile folder; return ``[(relative path, what it is)]``."""
    root = pathlib.Path(root)
    cls, other = root / "Yor Forger", root / "Marin Kitagawa"
    for folder in (cls, other):
        folder.mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (32, 32), (60 * i, 90, 200)).save(folder / f"{i}.png")
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    jpeg = _encoded(Image.fromarray(noise), "JPEG")
    frames = [Image.new("RGB", (8, 8), color) for color in ("red", "blue")]
    frames[0].save(cls / "animated.gif", save_all=True, append_images=frames[1:])
    ramp = np.linspace(0, 65535, 64).reshape(8, 8).astype(np.uint16)
    long_name = "l" * 251 + ".png"

    files = [
        ("empty.jpg", "a file of 0 bytes", b""),
        ("truncated.jpg", "the first half of a JPEG", jpeg[: len(jpeg) // 2]),
        ("page.png", "an HTML page saved as .png", b"<html>404 Not Found</html>"),
        (
            "photo.jpg",
            "a PNG named .jpg",
            _encoded(Image.new("RGB", (8, 8)), "PNG"),
        ),
        (
            "bomb.png",
            f"a PNG header declaring {HUGE} x {HUGE} pixels",
            _png_declaring(HUGE, HUGE),
        ),
        ("one_pixel.png", "a 1 x 1 picture", _encoded(Image.new("RGB", (1, 1)), "PNG")),
        ("cmyk.jpg", "a CMYK JPEG", _encoded(Image.new("CMYK", (8, 8)), "JPEG")),
        (
            "sixteen_bit.png",
            "a 16-bit grey PNG",
            _encoded(Image.fromarray(ramp), "PNG"),
        ),
        (
            "transparent.png",
            "an RGBA PNG",
            _encoded(Image.new("RGBA", (8, 8), (0, 0, 0, 0)), "PNG"),
        ),
        (long_name, "a name of 255 bytes", _encoded(Image.new("RGB", (8, 8)), "PNG")),
        (".DS_Store", "a hidden file (macOS folder settings)", b"\0\0\0\1Bud1"),
    ]
    described = [("Yor Forger/animated.gif", "an animated GIF (red, then blue)")]
    for name, what, data in files:
        (cls / name).write_bytes(data)
        described.append((f"Yor Forger/{name}", what))
    os.symlink("loop.png", cls / "loop.png")
    described.append(("Yor Forger/loop.png", "a symbolic link to itself"))
    os.symlink("moved.png", cls / "moved_away.png")
    described.append(("Yor Forger/moved_away.png", "a link to a file that is gone"))
    os.symlink(".", cls / "here")
    described.append(("Yor Forger/here", "a link to its own folder"))
    (root / ".ipynb_checkpoints").mkdir()
    described.append((".ipynb_checkpoints", "a hidden folder (Jupyter's)"))
    (root / "cover.png").write_bytes(_encoded(Image.new("RGB", (8, 8)), "PNG"))
    described.append(("cover.png", "a picture beside the class folders"))
    os.mkdir(os.fsencode(root) + b"/caf\xe9")
    described.append(("caf\\xe9", "a folder named in Latin-1, not UTF-8"))
    return described


def _cell(text):
    return text.replace("|", "\\|")


def render():
    """Build, load and return the Markdown table."""
    with tempfile.TemporaryDirectory() as workdir:
        root = pathlib.Path(workdir) / "downloads"
        described = build(root)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedFilesWarning)
            data = load_image_folder(root, image_size=(32, 32))
        reasons = {
            os.fsencode(os.path.relpath(path, root)).decode(
                "utf-8", "backslashreplace"
            ): reason
            for path, reason in data.skipped
        }
        loaded = {
            os.path.relpath(path, root): picture
            for path, picture in zip(data.filenames, data.images, strict=True)
        }
    lines = [
        "| File or folder | What it is | What `load_image_folder` does |",
        "|---|---|---|",
    ]
    for name, what in described:
        shown = name if len(name) < 40 else name[:20] + "…" + name[-8:]
        if name in loaded:
            outcome = "loaded"
            if name.endswith(".gif"):
                red = tuple(loaded[name][16, 16]) == (255, 0, 0)
                outcome += ": its first frame" if red else ": not its first frame"
        else:
            outcome = f"skipped: {reasons[name]}"
        lines.append(f"| `{_cell(shown)}` | {_cell(what)} | {_cell(outcome)} |")
    lines.append("")
    lines.append(
        f"<small>Generated by `docs/_scripts/robustness_table.py` with Pillow "
        f"{PIL.__version__}.</small>"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"Wrote {OUTPUT}")
