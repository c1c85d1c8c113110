"""Hostile folders and files through every public entry point (issue 7).

One folder holds what a folder from the web, a phone or a careless copy
really holds: empty, truncated and mislabelled files, pictures of every
mode, 1-pixel and decompression-bomb sizes, symbolic link loops, names that
are not UTF-8 or are 255 bytes long, hidden folders. Every entry point must
load the usable pictures, name each file it leaves out and why, and change
no file. Then faults (a full disk, an interruption). Untrusted model and
cache files are in test_hostile_model_files.py.
"""

import errno
import hashlib
import io
import os
import re
import resource
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from _pictures import png_declaring
from PIL import Image

from animecls.datasets import (
    SkippedFilesWarning,
    image_dataset_from_folder,
    load_image_folder,
    make_characters,
    save_image_folder,
    scan_image_folder,
)

keras = pytest.importorskip("keras")

from animecls import cli, comparison  # noqa: E402
from animecls.comparison import compare_models  # noqa: E402
from animecls.embeddings import ColorHistogram, RawPixels, VGG16Embedder  # noqa: E402
from animecls.models import (  # noqa: E402
    build_two_layer_cnn,
    load_model,
    predict,
    save_model,
)

ROOT_CAN_READ_ANYTHING = hasattr(os, "geteuid") and os.geteuid() == 0
LONG_NAME = "l" * 251 + ".png"  # 255 bytes, the most ext4 and APFS allow
NON_UTF8_NAME = b"caf\xe9-latin1.png"  # "café" written by a Latin-1 system
COLORS = [(230, 40, 40), (40, 200, 60), (50, 70, 230), (240, 220, 30)]


# ------------------------------------------------------------------ the folder


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(size, seed=0):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8))


def build_hostile_folder(root):
    """Write the hostile folder; return (pictures that load, skipped reasons).

    The reasons map each path (relative, as the loaders show it) to a regular
    expression its reason must match. "truncated.jpg" has a good header: the
    scan keeps it, the loaders skip it when decoding.
    """
    root = Path(root)
    a, b = root / "a", root / "b"
    for index, folder in enumerate((a, b)):
        folder.mkdir(parents=True)
        for i in range(8):
            color = COLORS[(i + 2 * index) % len(COLORS)]
            Image.new("RGB", (24, 24), color).save(folder / f"good{i}.png")

    # Odd but valid: each must load.
    Image.new("RGB", (1, 1), COLORS[0]).save(a / "one_pixel.png")
    Image.new("RGB", (20_000, 1), COLORS[1]).save(a / "strip_20000x1.png")
    (a / "png_named.jpg").write_bytes(encoded(Image.new("RGB", (9, 9)), "PNG"))
    frames = [Image.new("RGB", (12, 12), color) for color in COLORS[:3]]
    frames[0].save(a / "animated.gif", save_all=True, append_images=frames[1:])
    ramp = np.linspace(0, 65535, 16 * 16).reshape(16, 16).astype(np.uint16)
    Image.fromarray(ramp).save(a / "sixteen_bit.png")
    with Image.open(a / "sixteen_bit.png") as sixteen_bit:
        assert sixteen_bit.mode.startswith("I")
    Image.new("CMYK", (10, 10), (0, 255, 255, 0)).save(a / "cmyk.jpg")
    Image.new("RGB", (10, 10), COLORS[2]).convert("P").save(b / "palette.png")
    Image.new("LA", (10, 10), (90, 128)).save(b / "grey_alpha.png")
    Image.new("RGBA", (10, 10), (0, 0, 255, 0)).save(b / "transparent.png")
    Image.new("RGB", (10, 10), COLORS[3]).save(b / LONG_NAME)
    with open(os.fsencode(b) + b"/" + NON_UTF8_NAME, "wb") as file:
        Image.new("RGB", (10, 10), COLORS[0]).save(file, "PNG")

    # Bad: each must be skipped with its reason.
    (a / "zero_bytes.jpg").write_bytes(b"")
    jpeg = encoded(noise((48, 48)), "JPEG")
    (a / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (a / "text_named.png").write_text("<html>404 Not Found</html>")
    (a / "bomb_20000x20000.png").write_bytes(png_declaring(20_000, 20_000))
    os.symlink("link_loop", a / "link_loop")
    os.symlink("gone.png", a / "dangling.png")
    os.symlink(".", a / "folder_loop")
    (b / ".DS_Store").write_bytes(b"\0\0\0\1Bud1" + b"\0" * 40)
    (b / "._palette.png").write_bytes(b"\0\5\26\7" + b"\0" * 60)  # macOS copy
    (root / ".ipynb_checkpoints").mkdir()
    (root / "c.png").write_bytes(encoded(Image.new("RGB", (4, 4)), "PNG"))
    os.symlink(".", root / "class_loop")
    os.symlink("elsewhere", root / "dangling_class")
    os.mkdir(os.fsencode(root) + b"/caf\xe9")
    Image.new("RGB", (8, 8)).save(os.fsencode(root) + b"/caf\xe9/0.png", "PNG")

    loaded = [
        "a/one_pixel.png",
        "a/strip_20000x1.png",
        "a/png_named.jpg",
        "a/animated.gif",
        "a/sixteen_bit.png",
        "a/cmyk.jpg",
        "b/palette.png",
        "b/grey_alpha.png",
        "b/transparent.png",
        f"b/{LONG_NAME}",
        "b/caf\\xe9-latin1.png",
    ]
    skipped = {
        "a/zero_bytes.jpg": r"empty file \(0 bytes\)",
        "a/truncated.jpg": "corrupt or truncated picture",
        "a/text_named.png": "not a picture in a supported format",
        "a/bomb_20000x20000.png": r"too large \(400000000 pixels; possible decomp",
        "a/link_loop": "symbolic link loop",
        "a/dangling.png": "broken symbolic link .*'gone.png'",
        "a/folder_loop": "folder inside a class folder; not searched",
        "b/.DS_Store": "hidden file",
        "b/._palette.png": "hidden file",
        ".ipynb_checkpoints": "hidden folder; not a class",
        "c.png": "not inside a class folder",
        "class_loop": "symbolic link to this folder .*a loop",
        "dangling_class": "broken symbolic link",
        "caf\\xe9": "not valid UTF-8",
    }
    return loaded, skipped


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile") / "downloads"
    loaded, skipped = build_hostile_folder(root)
    return root, loaded, skipped


def snapshot(root):
    """Every entry's type, size, modification time, bytes and link target."""
    state = {}
    for folder, dirs, files in os.walk(os.fsencode(root)):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            content = None
            if os.path.islink(path):
                content = os.readlink(path)
            elif os.path.isfile(path) and os.access(path, os.R_OK):
                with open(path, "rb") as file:
                    content = hashlib.sha256(file.read()).hexdigest()
            state[path] = (info.st_mode, info.st_size, info.st_mtime_ns, content)
    return state


@pytest.fixture(autouse=True)
def user_files_unchanged(hostile):
    """No entry point may change, add or delete a file of the user's folder."""
    root = hostile[0]
    before = snapshot(root)
    yield
    assert snapshot(root) == before


def relative(path, root):
    text = os.fsencode(os.path.relpath(path, root))
    return text.decode("utf-8", "backslashreplace")


def skipped_by_name(skipped, root):
    return {relative(path, root): reason for path, reason in skipped}


# --------------------------------------------------------------- the loaders


def test_scan_names_every_hostile_entry(hostile):
    root, loaded, expected = hostile
    scan = scan_image_folder(root)
    found = skipped_by_name(scan.skipped, root)
    header_only = {k: v for k, v in expected.items() if k != "a/truncated.jpg"}
    assert sorted(found) == sorted(header_only)
    for name, reason in header_only.items():
        assert re.search(reason, found[name]), (name, found[name])
    kept = {relative(path, root) for path in scan.filenames}
    assert set(loaded) | {"a/truncated.jpg"} <= kept
    summary = scan.summary()
    summary.encode("utf-8")  # printable: odd bytes are shown as \xNN
    for name in header_only:
        assert f"  {name}: " in summary


def test_load_keeps_odd_pictures_and_warns_once_naming_each_bad_file(hostile):
    root, loaded, expected = hostile
    with pytest.warns(SkippedFilesWarning) as caught:
        data = load_image_folder(root, image_size=(16, 16))
    assert len(caught) == 1
    message = str(caught[0].message)
    for name in expected:
        assert f"  {name}: " in message
    assert skipped_by_name(data.skipped, root).keys() == expected.keys()
    kept = [relative(path, root) for path in data.filenames]
    assert set(loaded) <= set(kept)
    assert data.images.shape == (len(kept), 16, 16, 3)
    assert data.images.dtype == np.uint8
    picture = dict(zip(kept, data.images, strict=True))
    np.testing.assert_array_equal(picture["a/animated.gif"][8, 8], COLORS[0])
    np.testing.assert_array_equal(picture["b/transparent.png"][8, 8], [255] * 3)
    ramp = picture["a/sixteen_bit.png"][..., 0]
    assert ramp.min() < 20 and ramp.max() > 235  # scaled, not clipped to 255
    np.testing.assert_array_equal(picture["a/one_pixel.png"][0, 0], COLORS[0])


def test_streaming_skips_the_same_files(hostile):
    root, _, expected = hostile
    with pytest.warns(SkippedFilesWarning, match="zero_bytes.jpg"):
        stream = image_dataset_from_folder(
            root, image_size=(16, 16), batch_size=64, shuffle=False
        )
    # The truncated JPEG has a good header: it is found out while decoding.
    with pytest.warns(SkippedFilesWarning, match="truncated.jpg.*corrupt"):
        batches = [images.numpy() for images, _ in stream]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFilesWarning)
        eager = load_image_folder(root, image_size=(16, 16))
    np.testing.assert_array_equal(np.concatenate(batches), eager.images)
    assert skipped_by_name(stream.skipped, root).keys() == expected.keys()


def test_a_class_folder_that_is_a_file(hostile):
    root = hostile[0]
    with pytest.raises(ValueError, match="No class folder named 'c.png'"):
        scan_image_folder(root, class_names=["a", "c.png"])
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        load_image_folder(root / "c.png")


def test_a_class_folder_of_bad_files_only(tmp_path):
    (tmp_path / "good").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "good" / "0.png")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "empty.png").write_bytes(b"")
    os.symlink("nowhere", tmp_path / "bad" / "link.png")
    with pytest.raises(
        ValueError, match=r"'bad' holds no readable picture.*empty.png.*link.png"
    ):
        load_image_folder(tmp_path, image_size=(8, 8))


@pytest.mark.skipif(ROOT_CAN_READ_ANYTHING, reason="root can read a chmod 000 file")
def test_unreadable_file_and_folder(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.new("RGB", (8, 8), COLORS[i]).save(tmp_path / name / f"{i}.png")
    (tmp_path / "a" / "0.png").chmod(0)
    (tmp_path / "c").chmod(0)
    try:
        scan = scan_image_folder(tmp_path)
    finally:
        (tmp_path / "a" / "0.png").chmod(0o644)
        (tmp_path / "c").chmod(0o755)
    found = skipped_by_name(scan.skipped, tmp_path)
    assert found == {
        "a/0.png": "cannot be read (PermissionError: Permission denied)",
        "c": "cannot be read (PermissionError: Permission denied)",
    }


def test_unreadable_file_and_folder_even_as_root(tmp_path, monkeypatch):
    # Root reads a chmod 000 file, so the refusal is simulated where the
    # library opens and lists.
    from animecls import _images, datasets

    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        for i in range(3):
            Image.new("RGB", (8, 8), COLORS[i]).save(tmp_path / name / f"{i}.png")
    locked = {str(tmp_path / "a" / "0.png"), str(tmp_path / "c")}

    def denied(path):
        return OSError(errno.EACCES, os.strerror(errno.EACCES), path)

    def guarded_open(path, *args, **kwargs):
        if os.fspath(path) in locked:
            raise PermissionError(*denied(path).args)
        return open(path, *args, **kwargs)

    real_sorted_entries = datasets._sorted_entries

    def guarded_entries(path):
        if os.fspath(path) in locked:
            raise PermissionError(*denied(path).args)
        return real_sorted_entries(path)

    monkeypatch.setattr(_images, "open", guarded_open, raising=False)
    monkeypatch.setattr(datasets, "_sorted_entries", guarded_entries)
    found = skipped_by_name(scan_image_folder(tmp_path).skipped, tmp_path)
    assert found == {
        "a/0.png": "cannot be read (PermissionError: Permission denied)",
        "c": "cannot be read (PermissionError: Permission denied)",
    }
    locked.add(str(tmp_path))
    with pytest.raises(PermissionError, match="Cannot list the folder"):
        scan_image_folder(tmp_path)


# ------------------------------------------------ predict, compare, embedders


@pytest.fixture(scope="module")
def tiny_model():
    keras.utils.set_random_seed(0)
    return build_two_layer_cnn((16, 16, 3), 2, pooling="avg", dense_units=4)


def test_predict_reads_odd_pictures(hostile, tiny_model):
    root, loaded, _ = hostile
    paths = [
        path
        for path in scan_image_folder(root).filenames
        if relative(path, root) in loaded
    ]
    assert len(paths) == len(loaded)
    result = predict(tiny_model, paths, class_names=["a", "b"])
    assert result.probabilities.shape == (len(paths), 2)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("zero_bytes.jpg", r"empty file \(0 bytes\)"),
        ("truncated.jpg", "corrupt or truncated"),
        ("text_named.png", "not a picture"),
        ("bomb_20000x20000.png", "too large"),
        ("dangling.png", "broken symbolic link"),
    ],
)
def test_predict_names_a_bad_picture(hostile, tiny_model, name, reason):
    path = os.path.join(hostile[0], "a", name)
    with pytest.raises(ValueError, match=f"Cannot read .*{re.escape(name)}.*{reason}"):
        predict(tiny_model, path, class_names=["a", "b"])


def test_predict_on_a_hostile_folder_names_the_first_bad_picture(hostile, tiny_model):
    with pytest.raises(ValueError, match="bomb_20000x20000.png.*too large"):
        predict(tiny_model, hostile[0] / "a", class_names=["a", "b"])
    # Hidden files, such as macOS' "._" copies, are not pictures to predict.
    result = predict(tiny_model, hostile[0] / "b", class_names=["a", "b"])
    assert not any(os.path.basename(f).startswith(".") for f in result.filenames)
    assert len(result.labels) == 8 + 5


def test_predict_on_a_link_loop(hostile, tiny_model):
    with pytest.raises(ValueError, match="link_loop.*symbolic link loop"):
        predict(tiny_model, hostile[0] / "a" / "link_loop", class_names=["a", "b"])


# The command prints warnings as lines; the test suite turns them into errors.
@pytest.mark.filterwarnings("default::animecls.datasets.SkippedFilesWarning")
def test_compare_through_the_command_line(hostile, tmp_path, capsys):
    out = tmp_path / "run"
    status = cli.main(
        [
            "compare",
            str(hostile[0]),
            "--quick",
            "--models",
            "pixels_svm,color_histogram_svm",
            "--weights",
            "none",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    error = capsys.readouterr().err
    assert "animecls: warning: Skipped 14 of" in error
    assert "a/link_loop: symbolic link loop" in error
    assert "Traceback" not in error
    assert (out / "results.md").exists()


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((1, 16, 16, 3), object), "must hold numbers"),
        (np.zeros((1, 16, 16, 3), bool), "must hold numbers"),
        (np.full((1, 16, 16, 3), np.nan), "NaN or infinite"),
        ([np.zeros((16, 16, 3)), np.zeros((8, 8, 3))], "pictures of one size"),
    ],
    ids=["object", "bool", "nan", "ragged"],
)
def test_predict_refuses_arrays_that_are_not_pictures(tiny_model, images, message):
    with pytest.raises(ValueError, match=message):
        predict(tiny_model, images, class_names=["a", "b"])


def test_compare_refuses_a_folder_of_junk_with_a_message(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "empty.jpg").write_bytes(b"")
    with pytest.raises(ValueError, match="'a' holds no readable picture"):
        compare_models(tmp_path, models=["pixels_svm"], quick=True, verbose=0)


@pytest.fixture(scope="module")
def loaded_hostile(hostile):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedFilesWarning)
        return load_image_folder(hostile[0], image_size=(32, 32))


@pytest.mark.parametrize(
    "embedder",
    [
        VGG16Embedder(weights=None, image_size=(32, 32), verbose=0),
        RawPixels(),
        ColorHistogram(),
    ],
    ids=["vgg16", "pixels", "histogram"],
)
def test_embedders_on_the_hostile_folder_and_bad_arrays(
    hostile, loaded_hostile, embedder
):
    features = embedder.fit_transform(loaded_hostile.images)
    assert len(features) == len(loaded_hostile.images)
    assert np.isfinite(features).all()
    bad = [
        (np.full((2, 8, 8, 3), np.nan, np.float32), "NaN or infinite"),
        (np.zeros((2, 0, 8, 3), np.uint8), "no pixels"),
        (np.zeros((2, 8, 8, 3), bool), "must hold numbers"),
        ([np.zeros((8, 8, 3)), np.zeros((4, 4, 3))], "different shapes"),
        (np.zeros((2, 8, 8, 4), np.uint8), "RGBA pictures"),
    ]
    if isinstance(embedder, VGG16Embedder):
        # An iterator is read as chunks of pictures, checked chunk by chunk;
        # a list is one array, as scikit-learn reads it.
        bad.append((iter([np.zeros((2, 8, 8, 4), np.uint8)]), "each chunk"))
    for images, message in bad:
        with pytest.raises(ValueError, match=message):
            embedder.transform(images)


# ---------------------------------------------------------------------- faults


@pytest.fixture
def file_size_limit():
    """Make writes past ``limit`` bytes of a file fail, like a full disk.

    RLIMIT_FSIZE makes the kernel refuse the write that crosses the limit
    (EFBIG; Python ignores the SIGXFSZ signal), in the middle of a file, for
    every writer: Keras, NumPy, Pillow, the zip module.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)

    def set_limit(limit):
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))

    yield set_limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _fails_mid_write(path, file_size_limit, write):
    """Run ``write`` with a limit under its file size; return the error."""
    earlier = path.read_bytes()
    file_size_limit(len(earlier) // 3)
    try:
        with pytest.raises(OSError) as caught:
            write()
    finally:
        file_size_limit(resource.RLIM_INFINITY)
    assert path.read_bytes() == earlier  # the earlier file is intact
    assert [p.name for p in path.parent.iterdir() if ".tmp" in p.name] == []
    return caught.value


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_full_disk_while_saving_a_network_keeps_the_earlier_file(
    tmp_path, tiny_model, file_size_limit
):
    path = tmp_path / "model.keras"
    save_model(tiny_model, path, class_names=["a", "b"])
    error = _fails_mid_write(
        path,
        file_size_limit,
        lambda: save_model(tiny_model, path, class_names=["a", "b"]),
    )
    assert re.search(
        r"Could not write .*model.keras.*earlier file is unchanged", str(error)
    )
    load_model(path)  # still the complete earlier model


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_full_disk_while_saving_a_pipeline_keeps_the_earlier_file(
    tmp_path, file_size_limit
):
    from animecls.embeddings import make_baseline

    data = make_characters(4, image_size=(32, 32))
    pipeline = make_baseline("pixels").fit(data.images, data.target)
    path = tmp_path / "pipeline.skops"
    save_model(pipeline, path, class_names=data.class_names, image_size=(32, 32))
    error = _fails_mid_write(
        path,
        file_size_limit,
        lambda: save_model(
            pipeline, path, class_names=data.class_names, image_size=(32, 32)
        ),
    )
    assert "earlier file is unchanged" in str(error)
    load_model(path)


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_full_disk_while_saving_pictures_keeps_the_replaced_file(
    tmp_path, file_size_limit
):
    data = make_characters(2, image_size=(64, 64))
    first = save_image_folder(data, tmp_path)[0]
    data.images[0] = np.asarray(noise((64, 64)))  # no longer compressible
    error = _fails_mid_write(
        Path(first),
        file_size_limit,
        lambda: save_image_folder(data, tmp_path, overwrite=True),
    )
    assert "earlier file is unchanged" in str(error)
    with Image.open(first) as picture:
        picture.load()


def test_saving_into_a_missing_folder_names_the_file(tmp_path, tiny_model):
    path = tmp_path / "no such folder" / "model.keras"
    with pytest.raises(FileNotFoundError, match=r"Could not write .*model.keras'"):
        save_model(tiny_model, path, class_names=["a", "b"])


def test_no_space_left_is_named_in_the_error(tmp_path, monkeypatch):
    data = make_characters(2, image_size=(32, 32))

    def full_disk(self, fp, *args, **kwargs):
        with open(fp, "wb") as file:
            file.write(b"\x89PNG half a picture")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(OSError, match=r"0000.png.*No space left on device.*nothing"):
        save_image_folder(data, tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == []


@pytest.fixture(scope="module")
def tiny_data():
    return make_characters(8, image_size=(32, 32), random_state=3)


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("fit_and_score", KeyboardInterrupt),  # Ctrl-C while training
        ("_write_table", OSError(errno.ENOSPC, "No space left on device")),
        ("_save_figures", KeyboardInterrupt),  # Ctrl-C while writing
    ],
)
def test_an_interrupted_compare_never_looks_complete_and_reruns(
    tiny_data, tmp_path, monkeypatch, where, error
):
    out = tmp_path / "run"
    kwargs = {
        "models": ["pixels_svm"],
        "out_dir": out,
        "verbose": 0,
    }

    def fail(*args, **kwargs):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(comparison, where, fail)
        with pytest.raises(type(error) if isinstance(error, OSError) else error):
            compare_models(tiny_data, **kwargs)
    assert not out.exists()
    partial = tmp_path / "run.incomplete"
    if where == "fit_and_score":
        assert not partial.exists()  # nothing is written before training ends
    else:
        assert (partial / ".animecls-incomplete").exists()
    result = compare_models(tiny_data, **kwargs)
    assert result.run_dir == str(out) and not partial.exists()
    assert not (out / ".animecls-incomplete").exists()
    assert (out / "results.csv").exists()
