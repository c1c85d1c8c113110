"""Folder loading, scanning, splitting, saving and streaming."""

import os
import warnings

import numpy as np
import pytest
from _pictures import png_declaring
from PIL import Image

import animecls.datasets as datasets
from animecls.datasets import (
    SkippedFilesWarning,
    image_dataset_from_folder,
    load_image_folder,
    make_characters,
    save_image_folder,
    scan_image_folder,
    split_indices,
    train_validation_split,
)

NAMES = ["Ké ñ 日本", "Micchon Shikimori", "Yor Forger"]
SIZE = (8, 8)


def write_folder(root, counts, size=SIZE, seed=0):
    """One folder per class of random PNG pictures; return {path: array}."""
    rng = np.random.default_rng(seed)
    written = {}
    for name, count in counts.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            array = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
            path = folder / f"{i:03d}.png"
            Image.fromarray(array).save(path)
            written[str(path)] = array
    return written


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "Anime Girls"
    arrays = write_folder(root, {"Yor Forger": 10, "Micchon Shikimori": 8, NAMES[0]: 9})
    return root, arrays


def junk(root):
    """The files a folder from the web really holds, with their reasons."""
    cls = root / "Yor Forger"
    (cls / ".DS_Store").write_bytes(b"\0\0\0\1Bud1" + b"\0" * 40)
    (cls / "desktop.ini").write_text("[.ShellClassInfo]\nIconResource=x\n")
    (cls / "notes.txt").write_text("where I found these")
    (cls / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    noise = np.random.default_rng(5).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(noise).save(cls / "cut.png")
    data = (cls / "cut.png").read_bytes()
    (cls / "cut.png").write_bytes(data[: len(data) // 2])
    (cls / "random.jpg").write_bytes(os.urandom(300))
    return [
        ".DS_Store",
        "desktop.ini",
        "notes.txt",
        "Thumbs.db",
        "cut.png",
        "random.jpg",
    ]


def snapshot(root):
    return {
        path: (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# -------------------------------------------------------------------- load


def test_loads_shapes_dtypes_and_sorted_class_names(folder):
    root, arrays = folder
    data = load_image_folder(root, image_size=SIZE)
    assert data.images.shape == (27, 8, 8, 3) and data.images.dtype == np.uint8
    assert data.target.dtype == np.int64
    assert data.class_names == NAMES
    assert data.target.tolist() == [0] * 9 + [1] * 8 + [2] * 10
    assert data.skipped == [] and "Micchon Shikimori" in data.DESCR
    for path, image, label in zip(
        data.filenames, data.images, data.target, strict=True
    ):
        np.testing.assert_array_equal(image, arrays[path])
        assert os.path.basename(os.path.dirname(path)) == NAMES[label]


def test_return_x_y(folder):
    root, _ = folder
    images, target = load_image_folder(root, image_size=SIZE, return_X_y=True)
    data = load_image_folder(root, image_size=SIZE)
    np.testing.assert_array_equal(images, data.images)
    np.testing.assert_array_equal(target, data.target)


def test_resizes_to_image_size(folder):
    root, _ = folder
    data = load_image_folder(root, image_size=(5, 12), resize="pad")
    assert data.images.shape == (27, 5, 12, 3)


def test_class_names_choose_and_order_classes(folder):
    root, _ = folder
    data = load_image_folder(
        root, image_size=SIZE, class_names=["Yor Forger", NAMES[0]]
    )
    assert data.class_names == ["Yor Forger", NAMES[0]]
    assert data.target.tolist() == [0] * 10 + [1] * 9


def test_report_split_sizes_on_185_pictures(tmp_path):
    write_folder(
        tmp_path, {"Yor Forger": 62, "Micchon Shikimori": 61, "Marin": 62}, (2, 2)
    )
    train = load_image_folder(tmp_path, image_size=(2, 2), subset="train")
    test = load_image_folder(tmp_path, image_size=(2, 2), subset="test")
    assert (len(train.target), len(test.target)) == (129, 56)


def test_split_is_stratified_disjoint_complete_and_seeded(tmp_path):
    counts = {"a": 30, "b": 20, "c": 12}
    write_folder(tmp_path, counts, (2, 2))
    kwargs = {"image_size": (2, 2), "test_size": 0.25}
    every = load_image_folder(tmp_path, **kwargs)
    train = load_image_folder(tmp_path, subset="train", **kwargs)
    test = load_image_folder(tmp_path, subset="test", **kwargs)
    assert set(train.filenames).isdisjoint(test.filenames)
    assert sorted([*train.filenames, *test.filenames]) == sorted(every.filenames)
    for label, count in enumerate(counts.values()):
        assert abs((test.target == label).sum() - 0.25 * count) <= 1
    again = load_image_folder(tmp_path, subset="test", **kwargs)
    assert again.filenames.tolist() == test.filenames.tolist()
    other = load_image_folder(tmp_path, subset="test", random_state=0, **kwargs)
    assert set(other.filenames) != set(test.filenames)
    for part in (train, test):
        for path, label in zip(part.filenames, part.target, strict=True):
            assert os.path.basename(os.path.dirname(path)) == part.class_names[label]


def test_only_the_requested_subset_is_decoded(folder, monkeypatch):
    root, _ = folder
    decoded = []
    real = datasets.read_image

    def counting(path, **kwargs):
        decoded.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(datasets, "read_image", counting)
    test = load_image_folder(root, image_size=SIZE, subset="test")
    assert sorted(decoded) == sorted(test.filenames) and len(decoded) == 9


def test_every_format_and_mode_in_one_folder(tmp_path):
    cls_a, cls_b = tmp_path / "a", tmp_path / "b"
    cls_a.mkdir(), cls_b.mkdir()
    rgb = Image.new("RGB", (20, 10), (10, 200, 30))
    rgb.save(cls_a / "1.jpg", quality=95)
    rgb.save(cls_a / "2.webp")
    rgb.save(cls_a / "3.gif")
    rgb.save(cls_a / "4.bmp")
    rgb.save(cls_a / "5.tiff")
    Image.new("L", (7, 30), 90).save(cls_b / "grey.png")
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(cls_b / "clear.png")
    Image.new("CMYK", (9, 9), (0, 0, 0, 0)).save(cls_b / "cmyk.jpg")
    Image.fromarray(np.full((4, 4), 65535, np.uint16)).save(cls_b / "deep.png")
    data = load_image_folder(tmp_path, image_size=(6, 6))
    assert data.images.shape == (9, 6, 6, 3) and data.skipped == []
    np.testing.assert_allclose(
        data.images[:5], np.full((5, 6, 6, 3), (10, 200, 30)), atol=8
    )
    assert (data.images[5:] >= 89).all()  # grey 90, white, white, white


# -------------------------------------------------------------- bad input


def test_junk_files_are_skipped_with_one_warning(folder):
    root, _ = folder
    names = junk(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_image_folder(root, image_size=SIZE)
    assert len(caught) == 1 and caught[0].category is SkippedFilesWarning
    message = str(caught[0].message)
    for name in names:
        assert name in message
    assert len(data.target) == 27
    reasons = {os.path.basename(p): r for p, r in data.skipped}
    assert set(reasons) == set(names)
    assert reasons["notes.txt"].startswith("not a picture")
    assert reasons["cut.png"].startswith("corrupt or truncated")
    assert reasons[".DS_Store"] == "hidden file"


@pytest.mark.parametrize("name", ["notes.txt", "desktop.ini", "Thumbs.db", "cut.png"])
def test_warning_names_each_skipped_file(folder, name):
    root, _ = folder
    junk(root)
    with pytest.warns(SkippedFilesWarning, match=name):
        load_image_folder(root, image_size=SIZE)


def test_loose_files_hidden_and_nested_folders_are_listed(folder):
    root, _ = folder
    Image.new("RGB", (8, 8)).save(root / "loose.png")
    (root / ".ipynb_checkpoints").mkdir()
    (root / "Yor Forger" / "more").mkdir()
    with pytest.warns(SkippedFilesWarning, match="loose.png") as record:
        data = load_image_folder(root, image_size=SIZE)
    assert len(record) == 1
    message = str(record[0].message)
    assert "not inside a class folder" in message
    assert ".ipynb_checkpoints: hidden folder; not a class" in message
    assert "not searched" in message
    assert data.class_names == NAMES


def test_bomb_in_a_folder_is_skipped_without_pillows_warning(folder):
    root, _ = folder
    (root / "Yor Forger" / "bomb.png").write_bytes(png_declaring(10_000, 10_000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_image_folder(root, image_size=SIZE)
    assert [w.category for w in caught] == [SkippedFilesWarning]
    assert (
        "bomb.png: too large (10000 x 10000 pixels; possible decompression bomb)"
        in str(caught[0].message)
    )
    assert len(data.target) == 27


def test_max_pixels_is_a_parameter(folder):
    root, _ = folder
    Image.new("RGB", (40, 30)).save(root / "Yor Forger" / "big.png")
    with pytest.warns(SkippedFilesWarning, match=r"big.png: too large \(40 x 30"):
        data = load_image_folder(root, image_size=SIZE, max_pixels=1000)
    assert len(data.target) == 27


def test_loading_never_changes_user_files(folder):
    root, _ = folder
    junk(root)
    before = snapshot(root)
    listing = sorted(root.rglob("*"))
    with pytest.warns(SkippedFilesWarning):
        load_image_folder(root, image_size=(4, 4), resize="crop", subset="train")
    scan_image_folder(root).summary()
    assert snapshot(root) == before and sorted(root.rglob("*")) == listing


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="No folder at .*nowhere"):
        load_image_folder(tmp_path / "nowhere")


def test_file_instead_of_directory(tmp_path):
    path = tmp_path / "picture.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        load_image_folder(path)


@pytest.mark.parametrize("n_classes", [0, 1])
def test_fewer_than_two_classes(tmp_path, n_classes):
    write_folder(tmp_path, {f"c{i}": 3 for i in range(n_classes)})
    with pytest.raises(
        ValueError, match=f"expected one sub-folder per class.*found {n_classes}"
    ):
        load_image_folder(tmp_path)


def test_empty_class_folder(folder):
    root, _ = folder
    (root / "Marin Kitagawa").mkdir()
    with pytest.raises(
        ValueError, match="'Marin Kitagawa' holds no readable picture.*empty"
    ):
        load_image_folder(root, image_size=SIZE)


def test_class_folder_of_junk_only(folder):
    root, _ = folder
    (root / "Marin Kitagawa").mkdir()
    (root / "Marin Kitagawa" / "notes.txt").write_text("todo")
    with pytest.raises(
        ValueError, match="'Marin Kitagawa' holds no readable.*notes.txt"
    ):
        load_image_folder(root, image_size=SIZE)


def test_class_too_small_for_the_split(folder):
    root, _ = folder
    write_folder(root, {"Marin Kitagawa": 1})
    with pytest.raises(
        ValueError, match="'Marin Kitagawa' has 1 picture and is too few"
    ):
        load_image_folder(root, image_size=SIZE, subset="train")
    # "all" needs no split.
    assert len(load_image_folder(root, image_size=SIZE).target) == 28


def test_class_left_without_test_pictures_suggests_a_larger_test_size(tmp_path):
    write_folder(tmp_path, {"a": 20, "b": 20, "c": 2}, (2, 2))
    with pytest.raises(
        ValueError,
        match="'c' has 2 pictures and gets no test picture.*larger test_size",
    ):
        load_image_folder(tmp_path, image_size=(2, 2), subset="test", test_size=0.05)


@pytest.mark.parametrize("test_size, advice", [(0.02, "larger"), (0.98, "smaller")])
def test_test_size_leaving_too_few_pictures(folder, test_size, advice):
    root, _ = folder
    with pytest.raises(
        ValueError, match=f"Use a {advice} test_size.*Received: test_size={test_size}"
    ):
        load_image_folder(root, image_size=SIZE, subset="train", test_size=test_size)


def test_class_name_that_is_not_a_folder(folder):
    root, _ = folder
    with pytest.raises(
        ValueError, match="No class folder named 'Marin'.*Received: class_names"
    ):
        load_image_folder(root, class_names=["Marin", "Yor Forger"])


@pytest.mark.parametrize(
    "kwargs, received",
    [
        ({"image_size": (0, 32)}, "image_size=(0, 32)"),
        ({"image_size": 32.0}, "image_size=32.0"),
        ({"image_size": (32, 32, 3)}, "image_size=(32, 32, 3)"),
        ({"resize": "zoom"}, "resize='zoom'"),
        ({"subset": "validation"}, "subset='validation'"),
        ({"test_size": 1.5}, "test_size=1.5"),
        ({"test_size": 0}, "test_size=0"),
        ({"max_pixels": 0}, "max_pixels=0"),
        ({"class_names": "Yor Forger"}, "class_names='Yor Forger'"),
    ],
)
def test_bad_arguments_say_what_was_received(folder, kwargs, received):
    root, _ = folder
    with pytest.raises(
        ValueError,
        match=f"Received: {received}".replace("(", r"\(").replace(")", r"\)"),
    ):
        load_image_folder(root, **kwargs)


def test_one_int_image_size_means_a_square(folder):
    root, _ = folder
    square = load_image_folder(root, image_size=6, return_X_y=True)[0]
    pair = load_image_folder(root, image_size=(6, 6), return_X_y=True)[0]
    assert square.shape[1:] == (6, 6, 3)
    assert np.array_equal(square, pair)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"image_size": "32"},
            r"image_size must be an int or a \(height, width\) pair of ints\. "
            r"Received: image_size='32'$",
        ),
        (
            {"image_size": (0, 32)},
            r"image_size must be at least 1x1 pixels\. Received: image_size=\(0, 32\)$",
        ),
        (
            {"test_size": 1.0},
            r"test_size must be a float in \(0, 1\) \(a fraction\) or an int >= 1 "
            r"\(a count\)\. Received: test_size=1\.0$",
        ),
        (
            {"max_pixels": 0},
            r"max_pixels must be an integer of at least 1\. Received: max_pixels=0$",
        ),
        (
            {"subset": "validation"},
            r"subset must be one of 'all', 'train', 'test'\. "
            r"Received: subset='validation'$",
        ),
    ],
)
def test_argument_messages(folder, kwargs, message):
    root, _ = folder
    with pytest.raises(ValueError, match=message):
        load_image_folder(root, **kwargs)


def test_test_size_may_be_a_count(folder):
    root, _ = folder
    test = load_image_folder(root, image_size=SIZE, subset="test", test_size=6)
    assert len(test.target) == 6


# ------------------------------------------------------------- split_indices


def test_split_indices_are_the_loaders_split(tmp_path):
    data = make_characters(5, image_size=32)
    save_image_folder(data, tmp_path)
    every = load_image_folder(tmp_path, image_size=(2, 2))
    for kwargs in ({}, {"test_size": 0.4, "random_state": 3}, {"test_size": 4}):
        parts = split_indices(data, **kwargs)
        test = load_image_folder(tmp_path, image_size=(2, 2), subset="test", **kwargs)
        train = load_image_folder(tmp_path, image_size=(2, 2), subset="train", **kwargs)
        assert every.filenames[parts.test].tolist() == test.filenames.tolist()
        fit_then_validate = np.concatenate([parts.train, parts.validation])
        assert every.filenames[fit_then_validate].tolist() == train.filenames.tolist()


def test_split_indices_cut_the_training_part_as_keras_fit_does():
    labels = np.repeat([0, 1, 2], [62, 61, 62])
    parts = split_indices(labels)
    # The report's numbers: 129 training pictures, 103 to fit and 26 to validate.
    assert (len(parts.train), len(parts.validation), len(parts.test)) == (103, 26, 56)
    train_part = np.concatenate([parts.train, parts.validation])
    assert len(np.unique(np.concatenate([train_part, parts.test]))) == len(labels)
    assert parts.test_size == 0.3 and parts.validation_split == 0.2
    assert parts.random_state == 42


def test_split_indices_without_validation():
    labels = np.repeat([0, 1], 10)
    parts = split_indices(labels, validation_split=0)
    assert parts.validation.shape == (0,)
    assert parts.validation.dtype == parts.train.dtype
    assert len(parts.train) + len(parts.test) == 20
    assert parts.train.tolist() == split_indices(labels).train.tolist() + (
        split_indices(labels).validation.tolist()
    )


def test_split_indices_take_any_integer_labels():
    # Labels are stratified as they are, so codes and labels split alike.
    labels = np.repeat([0, 1, 2], 10)
    shifted = split_indices(labels * 7 - 3)
    plain = split_indices(labels)
    assert shifted.test.tolist() == plain.test.tolist()
    bunch = split_indices({"target": labels, "class_names": ["a", "b", "c"]})
    assert bunch.train.tolist() == plain.train.tolist()


@pytest.mark.parametrize(
    "data, kwargs, message",
    [
        (
            np.repeat([0, 1], 5),
            {"test_size": 1.5},
            r"Received: test_size=1\.5$",
        ),
        (
            np.repeat([0, 1], 5),
            {"validation_split": 1},
            r"validation_split must be a number in \[0, 1\), 0 for none\. "
            r"Received: validation_split=1$",
        ),
        (
            np.repeat([0, 1], 5),
            {"validation_split": 0.9},
            r"keeps 0 of the 7 training pictures to fit on.*"
            r"Received: validation_split=0\.9$",
        ),
        (
            np.repeat([0, 1], 5),
            {"random_state": "seed"},
            r"random_state must be an int, a numpy RandomState or None\. "
            r"Received: random_state='seed'$",
        ),
        (
            np.array([0.0, 1.0, 0.0, 1.0]),
            {},
            r"data must be a non-empty 1-D array of integer class labels\. "
            r"Received: data=array",
        ),
        ("0101", {}, r"Received: data='0101'$"),
        ({"images": np.zeros(3)}, {}, r"'target' entry.*Received: data with keys"),
        (
            {"target": np.array([0, 1, 2]), "class_names": ["a", "b"]},
            {},
            r"\[0, 2\) for the 2 class_names\. Received: data\.target=array",
        ),
        (
            {"target": np.array([0, 0, 0, 1, 1, 1, 2]), "class_names": list("abc")},
            {},
            r"Class 'c' has 1 picture and is too few.*leave the class out\. "
            r"Received: test_size=0\.3$",
        ),
        (
            np.repeat([4, 9], [8, 2]),
            {"test_size": 0.1},
            r"test_size=0\.1 leaves 1 of the 10 pictures for the test part",
        ),
    ],
)
def test_split_indices_refuses_bad_inputs(data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_indices(data, **kwargs)


def test_split_indices_name_the_class_of_a_label_array():
    with pytest.raises(ValueError, match=r"Class 9 has 1 picture"):
        split_indices(np.array([4, 4, 4, 9]))


# -------------------------------------------------------------------- scan


def test_scan_counts_sizes_and_summary(folder):
    root, _ = folder
    junk(root)
    Image.new("RGB", (300, 100)).save(root / "Micchon Shikimori" / "wide.png")
    scan = scan_image_folder(root)
    assert scan.class_names == NAMES
    assert scan.counts == {NAMES[0]: 9, "Micchon Shikimori": 9, "Yor Forger": 11}
    # cut.png has a sound header: the scan counts it, the loader skips it.
    assert len(scan.filenames) == len(scan.target) == len(scan.image_sizes) == 29
    assert (300, 100) in scan.image_sizes and (32, 32) in scan.image_sizes
    text = scan.summary()
    for name in NAMES:
        assert name in text
    assert "smallest 8 x 8, median 8 x 8, largest 300 x 100" in text
    assert "Yor Forger/notes.txt: not a picture" in text
    assert "Small classes" in text


def test_scan_reads_headers_only(folder, monkeypatch):
    root, _ = folder

    def refuse(self, *args, **kwargs):
        raise AssertionError("the scan decoded pixels")

    monkeypatch.setattr(Image.Image, "load", refuse)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", refuse)
    assert len(scan_image_folder(root).filenames) == 27


def test_scan_reports_an_empty_class_instead_of_raising(folder):
    root, _ = folder
    (root / "Marin Kitagawa").mkdir()
    scan = scan_image_folder(root)
    assert scan.counts["Marin Kitagawa"] == 0
    assert "'Marin Kitagawa' has no readable pictures" in scan.summary()


def test_scan_hints_at_imbalance_and_a_failing_split(tmp_path):
    write_folder(tmp_path, {"big": 40, "tiny": 1})
    text = scan_image_folder(tmp_path).summary()
    assert "The default 70/30 split fails" in text and "'tiny' has 1 picture" in text
    assert "imbalanced" in text


def test_scan_raises_the_loaders_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No folder at"):
        scan_image_folder(tmp_path / "nowhere")
    write_folder(tmp_path, {"only": 2})
    with pytest.raises(
        ValueError, match="expected one sub-folder per class, .*found 1"
    ):
        scan_image_folder(tmp_path)


# -------------------------------------------------------------------- save


def test_save_then_load_round_trip_is_lossless(tmp_path):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (7, 6, 5, 3), dtype=np.uint8)
    target = np.array([2, 0, 1, 2, 0, 2, 1])
    bunch = {"images": images, "target": target, "class_names": NAMES}
    paths = save_image_folder(bunch, tmp_path / "out")
    assert all(isinstance(p, str) for p in paths)
    assert [os.path.relpath(p, tmp_path / "out") for p in paths[:2]] == [
        os.path.join("Yor Forger", "0000.png"),
        os.path.join(NAMES[0], "0000.png"),
    ]
    data = load_image_folder(tmp_path / "out", image_size=(6, 5))
    assert data.class_names == NAMES
    order = [paths.index(p) for p in data.filenames]
    np.testing.assert_array_equal(data.images, images[order])
    np.testing.assert_array_equal(data.target, target[order])


@pytest.mark.parametrize("image_format, ext", [("jpeg", ".jpg"), ("webp", ".webp")])
def test_save_other_formats(tmp_path, image_format, ext):
    images = np.full((4, 8, 8, 3), 120, np.uint8)
    bunch = {
        "images": images,
        "target": np.array([0, 1, 0, 1]),
        "class_names": ["a", "b"],
    }
    paths = save_image_folder(bunch, tmp_path, image_format=image_format)
    assert all(p.endswith(ext) for p in paths)
    data = load_image_folder(tmp_path, image_size=(8, 8))
    np.testing.assert_allclose(data.images, images, atol=3)


def test_save_refuses_to_overwrite(tmp_path):
    bunch = {
        "images": np.zeros((2, 4, 4, 3), np.uint8),
        "target": np.array([0, 1]),
        "class_names": ["a", "b"],
    }
    paths = save_image_folder(bunch, tmp_path)
    before = snapshot(tmp_path)
    bunch["images"] = np.full((2, 4, 4, 3), 255, np.uint8)
    with pytest.raises(
        FileExistsError, match="2 of the files to write already exist.*overwrite=True"
    ):
        save_image_folder(bunch, tmp_path)
    assert snapshot(tmp_path) == before
    (tmp_path / "a" / "keep.txt").write_text("mine")
    assert save_image_folder(bunch, tmp_path, overwrite=True) == paths
    with Image.open(paths[0]) as image:
        assert np.asarray(image).min() == 255
    assert (tmp_path / "a" / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("name", ["a/b", "..", "", "  ", ".hidden", "back\\slash"])
def test_save_rejects_names_that_are_not_folder_names(tmp_path, name):
    bunch = {
        "images": np.zeros((2, 4, 4, 3), np.uint8),
        "target": np.array([0, 1]),
        "class_names": ["ok", name],
    }
    with pytest.raises(ValueError, match="becomes a folder name.*Received"):
        save_image_folder(bunch, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "change, match",
    [
        ({"images": np.zeros((2, 4, 4), np.uint8)}, "images must be a uint8 array"),
        (
            {"images": np.zeros((2, 4, 4, 3), np.float32)},
            "images must be a uint8 array",
        ),
        ({"target": np.array([0, 5])}, "target must hold one class number"),
        ({"class_names": ["a", "a"]}, "unique folder names"),
        ({"image_format": "gif"}, "image_format must be one of"),
    ],
)
def test_save_rejects_malformed_bunches(tmp_path, change, match):
    bunch = {
        "images": np.zeros((2, 4, 4, 3), np.uint8),
        "target": np.array([0, 1]),
        "class_names": ["a", "b"],
    }
    image_format = change.pop("image_format", "png")
    bunch.update(change)
    with pytest.raises(ValueError, match=match):
        save_image_folder(bunch, tmp_path, image_format=image_format)


def test_save_needs_the_keys(tmp_path):
    with pytest.raises(ValueError, match="'images', 'target' and 'class_names'"):
        save_image_folder({"images": np.zeros((1, 2, 2, 3), np.uint8)}, tmp_path)


# -------------------------------------------------------- validation split


def test_stratified_validation_split_keeps_class_proportions():
    target = np.repeat([0, 1, 2], [43, 43, 43])
    images = np.arange(len(target))
    x_fit, x_val, y_fit, y_val = train_validation_split(
        images, target, validation_size=0.2
    )
    assert len(y_val) == 26 and len(y_fit) == 103
    assert set(x_fit).isdisjoint(x_val)
    np.testing.assert_array_equal(target[x_val], y_val)
    for label in range(3):
        assert abs((y_val == label).sum() - 26 / 3) <= 1
    again = train_validation_split(images, target, validation_size=0.2)
    np.testing.assert_array_equal(again[1], x_val)


def test_stratified_split_accepts_one_hot_targets():
    target = np.eye(3)[np.repeat([0, 1, 2], 10)]
    _, _, _, y_val = train_validation_split(np.arange(30), target, validation_size=0.3)
    assert y_val.shape == (9, 3) and (y_val.sum(axis=0) == 3).all()


@pytest.mark.parametrize(
    "n, validation_size", [(129, 0.2), (185, 0.2), (10, 0.3), (7, 0.15), (50, 0.35)]
)
def test_keras_mode_equals_keras_own_split(n, validation_size):
    pytest.importorskip("keras")
    try:
        from keras.src.trainers.data_adapters.array_slicing import (
            train_validation_split as keras_split,
        )
    except ImportError:  # Keras < 3.10 kept it here
        from keras.src.trainers.data_adapters.data_adapter_utils import (
            train_validation_split as keras_split,
        )
    images = np.arange(n * 2).reshape(n, 2)
    target = np.arange(n) % 3
    (k_x, k_y), (k_xv, k_yv) = keras_split(
        (images, target), validation_split=validation_size
    )
    x_fit, x_val, y_fit, y_val = train_validation_split(
        images, target, validation_size=validation_size, mode="keras"
    )
    for ours, theirs in [(x_fit, k_x), (x_val, k_xv), (y_fit, k_y), (y_val, k_yv)]:
        np.testing.assert_array_equal(ours, np.asarray(theirs))


def test_keras_mode_on_sorted_arrays_validates_on_one_class():
    # Why the default stratifies: the report's mistake made visible.
    target = np.repeat([0, 1, 2], 10)
    _, _, _, y_val = train_validation_split(np.arange(30), target, mode="keras")
    assert set(y_val.tolist()) == {2}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"mode": "random"}, "Received: mode='random'"),
        ({"validation_size": 1.0}, "Received: validation_size=1.0"),
        (
            {"validation_size": 0.99, "mode": "keras"},
            "cannot be split.*validation_size=0.99",
        ),
        ({"validation_size": 0.02}, "needs between 3 and 27"),
    ],
)
def test_validation_split_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_validation_split(np.arange(30), np.arange(30) % 3, **kwargs)


def test_validation_split_class_with_one_picture():
    with pytest.raises(ValueError, match="Class 2 has 1 picture.*mode='keras'"):
        train_validation_split(
            np.arange(21), np.r_[np.zeros(10), np.ones(10), 2].astype(int)
        )


def test_validation_split_length_mismatch():
    with pytest.raises(ValueError, match="one entry per picture"):
        train_validation_split(np.arange(10), np.arange(9))


# --------------------------------------------------------------- streaming


def _collect(dataset):
    images, labels = [], []
    for batch_images, batch_labels in dataset:
        images.append(batch_images.numpy())
        labels.append(batch_labels.numpy())
    return np.concatenate(images), np.concatenate(labels)


@pytest.mark.parametrize("subset", ["train", "test"])
def test_streaming_equals_eager_loading(folder, subset):
    pytest.importorskip("tensorflow")
    root, _ = folder
    kwargs = {"image_size": (6, 7), "subset": subset, "resize": "crop"}
    eager = load_image_folder(root, **kwargs)
    stream = image_dataset_from_folder(root, batch_size=4, shuffle=False, **kwargs)
    images, labels = _collect(stream)
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(images, eager.images)
    np.testing.assert_array_equal(labels, eager.target)
    assert stream.class_names == eager.class_names
    assert stream.file_paths == eager.filenames.tolist()


def test_streaming_shuffles_the_same_pictures(folder):
    pytest.importorskip("tensorflow")
    root, _ = folder
    stream = image_dataset_from_folder(root, image_size=SIZE, batch_size=5)
    first, labels = _collect(stream)
    second, _ = _collect(stream)
    eager = load_image_folder(root, image_size=SIZE)
    assert not np.array_equal(first, eager.images)
    key = lambda a: sorted(map(bytes, a))  # noqa: E731
    assert key(first) == key(second) == key(eager.images)
    assert sorted(labels) == sorted(eager.target)


def test_streaming_skips_bad_files_like_the_loader(folder):
    pytest.importorskip("tensorflow")
    root, _ = folder
    junk(root)
    with pytest.warns(SkippedFilesWarning, match="notes.txt"):
        eager = load_image_folder(root, image_size=SIZE)
    with pytest.warns(SkippedFilesWarning, match="notes.txt"):
        stream = image_dataset_from_folder(root, image_size=SIZE, shuffle=False)
    # cut.png passes the header scan and fails while streaming.
    with pytest.warns(SkippedFilesWarning, match="cut.png"):
        images, labels = _collect(stream)
    np.testing.assert_array_equal(images, eager.images)
    np.testing.assert_array_equal(labels, eager.target)
    assert sorted(stream.skipped) == sorted(eager.skipped)


def test_streaming_validates_like_the_loader(tmp_path):
    with pytest.raises(FileNotFoundError, match="No folder at"):
        image_dataset_from_folder(tmp_path / "nowhere")
    write_folder(tmp_path, {"a": 3, "b": 3})
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        image_dataset_from_folder(tmp_path, batch_size=0)
