"""Hostile pictures, folders and numbers (issue 14, "Splits, predict and the rest").

Each test builds its hostile file or situation itself: a class folder that
is a symbolic link to another, a picture hard-linked (or symbolically
linked) into two classes, pictures named without an extension or ``.jfif``
and ``.jpe``, a JPEG whose EXIF makes Pillow warn, counts that are not
integers and labels of different types. Each checks the message and that no
file of the folder changed.
"""

import hashlib
import io
import os
import re
import struct
import warnings

import numpy as np
import pytest
from PIL import Image

from animecls._images import probe_image, read_image
from animecls.datasets import (
    SkippedFilesWarning,
    load_image_folder,
    scan_image_folder,
)
from animecls.evaluation import accuracy_interval, generalization_gap, mcnemar_test

COLORS = [(230, 40, 40), (40, 200, 60), (50, 70, 230), (240, 220, 30), (20, 20, 20)]


# ----------------------------------------------------------------- helpers


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(color=COLORS[0], size=(20, 14), **options):
    return encoded(Image.new("RGB", size, color), "JPEG", **options)


def broken_exif_jpeg():
    """A JPEG whose one EXIF tag points past the end of its EXIF data.

    Pillow still reads the picture but warns while reading the header,
    without saying which file it is about.
    """
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x010E, 2, 100, 1000)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)
    return jpeg(COLORS[2], exif=b"Exif\x00\x00" + tiff)


def state(root):
    """Every name under ``root`` with its bytes' hash, mode and mtime (or link)."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if os.path.islink(path):
                seen[path] = ("link", os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as file:
                    digest = hashlib.sha256(file.read()).hexdigest()
                seen[path] = (digest, info.st_mode, info.st_mtime_ns, info.st_ino)
            else:
                seen[path] = ("folder", info.st_mode)
    return seen


def make_classes(root, counts):
    """Write ``{class: n}`` class folders of distinct PNG pictures."""
    for index, (name, n) in enumerate(counts.items()):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(n):
            color = tuple((c + 37 * i + 11 * index) % 256 for c in COLORS[index])
            Image.new("RGB", (12, 12), color).save(folder / f"{i}.png")
    return root


def hard_link(source, target):
    try:
        os.link(source, target)
    except OSError as error:  # a file system without hard links
        pytest.skip(f"no hard links here: {error}")


def load(root, **kwargs):
    return load_image_folder(root, image_size=(8, 8), **kwargs)


def reasons(data, root):
    return {os.path.relpath(path, root): reason for path, reason in data.skipped}


# ------------------------------------- one picture in two classes: the scan


def test_class_folder_linked_to_another_is_skipped_naming_both(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 4, "Yor": 4})
    os.symlink("Marin", root / "Marin copy")
    before = state(tmp_path)
    message = (
        r"Marin copy: the same folder as the class folder 'Marin' \('Marin copy' "
        r"is a symbolic link to 'Marin'\): one set of pictures cannot be two classes"
    )
    with pytest.warns(SkippedFilesWarning, match=message):
        data = load(root)
    assert data.class_names == ["Marin", "Yor"]
    assert len(data.filenames) == 8
    assert not any("Marin copy" in f for f in data.filenames)
    assert (
        "same folder as the class folder 'Marin'" in reasons(data, root)["Marin copy"]
    )
    # The scan says the same without decoding anything.
    assert "Marin copy: the same folder as" in scan_image_folder(root).summary()
    assert state(tmp_path) == before


def test_the_real_folder_is_kept_whatever_the_order(tmp_path):
    # The link sorts first: the real folder is kept, not the first name.
    root = make_classes(tmp_path / "data", {"Yor": 3, "Marin": 3})
    os.symlink("Yor", root / "A link")
    scan = scan_image_folder(root)
    assert scan.class_names == ["Marin", "Yor"]
    assert dict(scan.skipped)[str(root / "A link")].startswith(
        "the same folder as the class folder 'Yor'"
    )


def test_two_links_to_one_folder_outside(tmp_path):
    real = tmp_path / "elsewhere"
    real.mkdir()
    Image.new("RGB", (8, 8), COLORS[0]).save(real / "0.png")
    root = make_classes(tmp_path / "data", {"Yor": 3})
    os.symlink(real, root / "Anya")
    os.symlink(real, root / "Bond")
    scan = scan_image_folder(root)
    assert scan.class_names == ["Anya", "Yor"]
    assert re.search(
        r"the same folder as the class folder 'Anya' \(both are symbolic links to "
        r"'.*elsewhere'\)",
        dict(scan.skipped)[str(root / "Bond")],
    )


def test_class_names_naming_one_folder_twice_is_an_error(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 3, "Yor": 3})
    os.symlink("Marin", root / "Marin copy")
    before = state(tmp_path)
    names = ["Marin", "Marin copy", "Yor"]
    message = (
        r"The class folders 'Marin' and 'Marin copy' are the same folder \('Marin "
        r"copy' is a symbolic link to 'Marin'\).*Leave one of them out of "
        r"class_names\. Received: class_names=\['Marin', 'Marin copy', 'Yor'\]$"
    )
    with pytest.raises(ValueError, match=message):
        load(root, class_names=names)
    with pytest.raises(ValueError, match=message):
        scan_image_folder(root, class_names=names)
    # Either one alone is a class like any other.
    assert load(root, class_names=["Marin copy", "Yor"]).class_names == [
        "Marin copy",
        "Yor",
    ]
    assert state(tmp_path) == before


def test_a_link_that_leaves_one_class_says_why(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 3})
    os.symlink("Marin", root / "Yor")
    with pytest.raises(
        ValueError,
        match=r"Too few classes: .*found 1 \('Marin'\).* 'Yor' is the same folder "
        r"as 'Marin'\. Received: directory=",
    ):
        load(root)


def test_picture_hard_linked_into_two_classes_is_skipped_in_both(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 4, "Yor": 4})
    hard_link(root / "Marin" / "0.png", root / "Yor" / "shared.png")
    before = state(tmp_path)
    with pytest.warns(SkippedFilesWarning) as caught:
        data = load(root)
    text = str(caught[0].message)
    found = reasons(data, root)
    for path, other in (
        ("Marin/0.png", "Yor/shared.png"),
        ("Yor/shared.png", "Marin/0.png"),
    ):
        assert found[path].startswith(
            f"the same file as {other!r} (hard links to one file): one picture in "
            "two classes is a label mistake, and would leak between the training "
            "and the test part"
        )
        assert f"{path}: the same file as {other!r}" in text
    loaded = {os.path.relpath(f, root) for f in data.filenames}
    assert "Marin/0.png" not in loaded and "Yor/shared.png" not in loaded
    assert len(loaded) == 7
    assert state(tmp_path) == before


def test_a_file_system_without_inode_numbers_drops_no_picture(tmp_path, monkeypatch):
    # Some Windows and FUSE file systems report st_ino 0 for every file: the
    # scan must not take them all for one file.
    import animecls.datasets

    root = make_classes(tmp_path / "set", {"A": 3, "B": 3})
    real_stat = os.stat

    def no_inodes(path, *args, **kwargs):
        info = real_stat(path, *args, **kwargs)
        values = list(info)
        values[1] = 0  # st_ino
        return os.stat_result(values)

    monkeypatch.setattr(animecls.datasets.os, "stat", no_inodes)
    data = load(root)
    assert len(data.target) == 6 and not data.skipped


def test_picture_linked_into_another_class_is_skipped_in_both(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 4, "Yor": 4})
    os.symlink("../Marin/1.png", root / "Yor" / "alias.png")
    with pytest.warns(SkippedFilesWarning):
        data = load(root)
    found = reasons(data, root)
    how = "('Yor/alias.png' is a symbolic link to 'Marin/1.png')"
    assert found["Marin/1.png"].startswith(f"the same file as 'Yor/alias.png' {how}")
    assert found["Yor/alias.png"].startswith(f"the same file as 'Marin/1.png' {how}")
    assert len(data.filenames) == 7


def test_second_name_in_one_class_is_counted_once(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 4, "Yor": 4})
    hard_link(root / "Marin" / "0.png", root / "Marin" / "again.png")
    with pytest.warns(SkippedFilesWarning):
        data = load(root)
    assert reasons(data, root) == {
        "Marin/again.png": "the same file as 'Marin/0.png' (hard links to one "
        "file): counted once, so that it cannot land in both the training and "
        "the test part"
    }
    assert str(root / "Marin" / "0.png") in data.filenames.tolist()
    assert len(data.filenames) == 8


def test_a_class_of_shared_pictures_only_is_an_error(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 3, "Yor": 1})
    (root / "Yor" / "0.png").unlink()
    hard_link(root / "Marin" / "0.png", root / "Yor" / "0.png")
    before = state(tmp_path)
    with pytest.raises(
        ValueError,
        match=r"Class folder 'Yor' holds no readable picture \(its 1 files were "
        r"all skipped \(0\.png: the same file as 'Marin/0\.png'",
    ):
        load(root)
    assert state(tmp_path) == before


def test_streaming_skips_them_too(tmp_path):
    pytest.importorskip("tensorflow")
    from animecls.datasets import image_dataset_from_folder

    root = make_classes(tmp_path / "data", {"Marin": 4, "Yor": 4})
    os.symlink("Marin", root / "Marin copy")
    hard_link(root / "Marin" / "0.png", root / "Yor" / "shared.png")
    with pytest.warns(SkippedFilesWarning, match="(?s)Marin copy.*shared.png"):
        dataset = image_dataset_from_folder(root, image_size=8, shuffle=False)
    assert dataset.class_names == ["Marin", "Yor"]
    assert len(dataset.file_paths) == 7


# ------------------------------------------------- EXIF that makes Pillow warn


def test_probe_names_the_file_in_pillows_exif_warning(tmp_path):
    path = tmp_path / "IMG_0042.jpg"
    path.write_bytes(broken_exif_jpeg())
    before = state(tmp_path)
    with pytest.warns(UserWarning) as caught:
        assert probe_image(path) == (20, 14)
    assert len(caught) >= 1
    for record in caught:
        assert str(record.message).startswith(
            f"Pillow warned about {str(path)!r} while reading its header: "
        )
        assert "the picture is still used" in str(record.message)
    # The decoder stays quiet: the scan has already said it once per file.
    with warnings.catch_warnings(record=True) as quiet:
        warnings.simplefilter("always")
        picture = read_image(path, image_size=(14, 20))
    assert quiet == [] and picture.shape == (14, 20, 3)
    assert state(tmp_path) == before


def test_a_picture_with_broken_exif_loads_with_a_warning_naming_it(tmp_path):
    root = make_classes(tmp_path / "data", {"Marin": 3, "Yor": 3})
    path = root / "Yor" / "odd_exif.jpg"
    path.write_bytes(broken_exif_jpeg())
    with pytest.warns(UserWarning, match=re.escape(repr(str(path)))):
        data = load(root)
    assert str(path) in data.filenames.tolist()
    assert data.skipped == []


# --------------------------------------------- predict chooses by content


def predict(*args, **kwargs):
    from animecls.models import predict

    return predict(*args, **kwargs)


@pytest.fixture(scope="module")
def tiny_model():
    keras = pytest.importorskip("keras")
    from animecls.models import build_two_layer_cnn

    keras.utils.set_random_seed(0)
    return build_two_layer_cnn((16, 16, 3), 2, pooling="avg", dense_units=4)


@pytest.fixture
def phone_folder(tmp_path):
    """Pictures as phones, cameras and browsers name them, and two that are not."""
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "IMG_0001").write_bytes(jpeg(COLORS[0]))
    (folder / "download.jfif").write_bytes(jpeg(COLORS[1]))
    (folder / "old_camera.jpe").write_bytes(jpeg(COLORS[2]))
    (folder / "SHOUTING.PNG").write_bytes(encoded(Image.new("RGB", (9, 9)), "PNG"))
    (folder / "README").write_text("pictures from the fan meeting")
    (folder / "notes.txt").write_text("not a picture")
    (folder / "._IMG_0001").write_bytes(b"\0\5\26\7" + b"\0" * 60)
    (folder / "sub").mkdir()
    (folder / "sub" / "deeper.jpg").write_bytes(jpeg(COLORS[3]))
    return folder


PICTURES = ["IMG_0001", "SHOUTING.PNG", "download.jfif", "old_camera.jpe"]


def test_predict_reads_pictures_by_content_and_names_what_it_left_out(
    tiny_model, phone_folder, tmp_path
):
    before = state(tmp_path)
    with pytest.warns(SkippedFilesWarning) as caught:
        result = predict(tiny_model, phone_folder, class_names=["a", "b"])
    assert [os.path.basename(f) for f in result.filenames] == PICTURES
    assert result.probabilities.shape == (4, 2)
    assert [(os.path.basename(p), r) for p, r in result.skipped] == [
        (
            "README",
            "not a picture in a supported format (BMP, GIF, JPEG, PNG, TIFF, WEBP)",
        ),
        (
            "notes.txt",
            "not a picture in a supported format (BMP, GIF, JPEG, PNG, TIFF, WEBP)",
        ),
    ]
    [warning] = caught
    text = str(warning.message)
    assert text.startswith("Left out 2 files that are not a picture:")
    assert f"{phone_folder / 'README'}: not a picture" in text
    assert f"{phone_folder / 'notes.txt'}: not a picture" in text
    # The same pictures, decoded the same way, as passed one by one.
    files = predict(
        tiny_model, [phone_folder / n for n in PICTURES], class_names=["a", "b"]
    )
    np.testing.assert_allclose(files.probabilities, result.probabilities, rtol=1e-6)
    assert files.skipped == []
    assert state(tmp_path) == before


def test_predict_chooses_the_files_the_loaders_choose(
    tiny_model, phone_folder, tmp_path
):
    other = tmp_path / "other"
    other.mkdir()
    Image.new("RGB", (8, 8)).save(other / "0.png")
    os.rename(phone_folder, tmp_path / "phone")
    scan = scan_image_folder(tmp_path, class_names=["phone", "other"])
    loaded = [os.path.basename(f) for f in scan.filenames[scan.target == 0]]
    with pytest.warns(SkippedFilesWarning):
        result = predict(tiny_model, tmp_path / "phone", class_names=["a", "b"])
    assert [os.path.basename(f) for f in result.filenames] == loaded == PICTURES


def test_predict_on_a_broken_picture_without_extension_names_it(
    tiny_model, phone_folder, tmp_path
):
    # Noise, so that half the bytes hold the whole header and part of the data.
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encoded(Image.fromarray(noise), "JPEG")
    (phone_folder / "IMG_0002").write_bytes(data[: len(data) // 2])
    before = state(tmp_path)
    # One label per picture: a picture that cannot be read is an error, not
    # a silent gap in the results.
    with pytest.raises(
        ValueError,
        match=r"Cannot read '.*IMG_0002' as a picture \(corrupt or truncated "
        r"picture .*\)\. Received: '.*IMG_0002'$",
    ):
        predict(tiny_model, phone_folder, class_names=["a", "b"])
    assert state(tmp_path) == before

    (phone_folder / "IMG_0002").unlink()
    (phone_folder / "IMG_0003").write_bytes(b"")
    before = state(tmp_path)
    with pytest.raises(ValueError, match=r"IMG_0003' as a picture \(empty file"):
        predict(tiny_model, phone_folder, class_names=["a", "b"])
    assert state(tmp_path) == before


def test_predict_on_a_folder_of_no_pictures_names_what_it_found(tiny_model, tmp_path):
    (tmp_path / "README").write_text("nothing to see")
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    with pytest.raises(
        ValueError,
        match=r"The folder '.*' holds no pictures: an empty batch \(left out: "
        r"README: not a picture in a supported format .*\)\. Received: '.*'$",
    ):
        predict(tiny_model, tmp_path, class_names=["a", "b"])


def test_predict_names_the_file_in_pillows_exif_warning(tiny_model, tmp_path):
    path = tmp_path / "IMG_0042"
    path.write_bytes(broken_exif_jpeg())
    with pytest.warns(
        UserWarning, match=re.escape(f"Pillow warned about {str(path)!r}")
    ):
        result = predict(tiny_model, tmp_path, class_names=["a", "b"])
    assert result.filenames == [str(path)] and result.skipped == []


# ---------------------------------------------------- numbers and labels


@pytest.mark.parametrize(
    ("n_correct", "n_total", "name", "shown"),
    [
        (53.7, 56, "n_correct", "53.7"),
        (54.0, 56, "n_correct", "54.0"),
        ("54", 56, "n_correct", "'54'"),
        (True, 5, "n_correct", "True"),
        (float("nan"), 56, "n_correct", "nan"),
        (None, 56, "n_correct", "None"),
        (54, 56.0, "n_total", "56.0"),
        (54, np.float64(56), "n_total", r"np\.float64\(56\.0\)|56\.0"),
    ],
)
def test_accuracy_interval_refuses_counts_that_are_not_integers(
    n_correct, n_total, name, shown
):
    with pytest.raises(
        ValueError,
        match=rf"^{name} must be an integer: a number of test pictures\. For an "
        rf"accuracy, pass round\(accuracy \* n_total\) right answers\. "
        rf"Received: {name}=({shown})$",
    ):
        accuracy_interval(n_correct, n_total)


def test_accuracy_interval_takes_numpy_integers():
    correct = np.array([1, 1, 0, 1]).sum()
    assert accuracy_interval(correct, np.int32(4)) == accuracy_interval(3, 4)


@pytest.mark.parametrize(
    ("y_true", "y_pred_a", "y_pred_b", "received"),
    [
        (
            ["Yor", "Marin", "Yor"],
            [0, 1, 0],
            ["Yor", "Yor", "Yor"],
            "y_true of strings ('Yor', 'Marin', 'Yor'), y_pred_a of numbers "
            "(0, 1, 0), y_pred_b of strings ('Yor', 'Yor', 'Yor')",
        ),
        (
            np.array([0, 1, 1, 0]),
            np.array(["0", "1", "1", "0"]),
            np.array([0, 1, 1, 1]),
            "y_true of numbers (0, 1, 1, ...), y_pred_a of strings "
            "('0', '1', '1', ...), y_pred_b of numbers (0, 1, 1, ...)",
        ),
        (
            ["a", "b"],
            ["a", 1],
            ["a", "b"],
            "y_true of strings ('a', 'b'), y_pred_a of mixed labels ('a', 1), "
            "y_pred_b of strings ('a', 'b')",
        ),
        (
            [0, 1],
            [0, None],
            [0, 1],
            "y_true of numbers (0, 1), y_pred_a of mixed labels (0, None), "
            "y_pred_b of numbers (0, 1)",
        ),
    ],
)
def test_mcnemar_refuses_labels_of_different_types(
    y_true, y_pred_a, y_pred_b, received
):
    with pytest.raises(ValueError) as raised:
        mcnemar_test(y_true, y_pred_a, y_pred_b)
    message = str(raised.value)
    assert message.startswith(
        "y_true, y_pred_a and y_pred_b must hold labels of one type, all class "
        "numbers or all class names: a name never equals a number, so every "
        "prediction would count as wrong."
    )
    assert message.endswith(f"Received: {received}")


def test_mcnemar_takes_numbers_of_any_dtype_and_names():
    y = [0, 1, 1, 0]
    assert mcnemar_test(y, np.array(y, np.int8), np.array(y, float)).pvalue == 1.0
    names = ["Yor", "Marin", "Yor"]
    assert mcnemar_test(names, np.array(names), names).both_correct == 3


@pytest.mark.parametrize("key", ["loss", "val_loss"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_generalization_gap_refuses_a_loss_that_is_not_finite(key, value):
    history = {
        "accuracy": [0.6, 0.9, 1.0],
        "val_accuracy": [0.5, 0.6, 0.6],
        "loss": [0.9, 0.3, 0.1],
        "val_loss": [1.0, 0.9, 1.1],
    }
    history[key] = [history[key][0], value, history[key][2]]
    with pytest.raises(
        ValueError,
        match=rf"history's {key} is not a finite number at epoch 2: training broke "
        rf"down there .* Received: {key}={value} at epoch 2$",
    ):
        generalization_gap(history)
