import io
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from animecls.datasets import make_characters  # noqa: E402
from animecls.leakage import (  # noqa: E402
    DEFAULT_THRESHOLD,
    duplicate_groups,
    find_duplicates,
    find_leaks,
    hamming_distances,
    leak_free_split,
    perceptual_hash,
    plot_duplicate_pairs,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def drawn():
    # The report's default: 185 drawings of 3 characters, all different.
    return make_characters(None, image_size=(64, 64), random_state=0)


def _jpeg(picture, quality=60):
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def _resize(picture, factor=0.9):
    h, w = picture.shape[:2]
    size = (round(w * factor), round(h * factor))
    return np.asarray(Image.fromarray(picture).resize(size, Image.Resampling.BILINEAR))


@pytest.fixture(scope="module")
def planted(drawn):
    """A 70/30 split whose test part holds edited copies of training pictures."""
    images = drawn.images
    train, test = list(images[:120]), list(images[120:])
    copies = {
        "exact": images[0].copy(),
        "jpeg": _jpeg(images[40]),
        "resize": _resize(images[80]),  # 58x58: a different size
        "flip": images[100][:, ::-1].copy(),
    }
    sources = {"exact": 0, "jpeg": 40, "resize": 80, "flip": 100}
    positions = {name: len(test) + k for k, name in enumerate(copies)}
    test += list(copies.values())
    return train, test, sources, positions


# --- perceptual_hash and hamming_distances ---------------------------------


@pytest.mark.parametrize("method", ["phash", "dhash", "ahash"])
@pytest.mark.parametrize("hash_size", [8, 6])
def test_hash_shape_and_robustness(drawn, method, hash_size):
    images = drawn.images[:10]
    hashes = perceptual_hash(images, method=method, hash_size=hash_size)
    assert hashes.shape == (10, hash_size**2) and hashes.dtype == bool
    edited = perceptual_hash(
        [_jpeg(p) for p in images], method=method, hash_size=hash_size
    )
    # A JPEG re-encode moves a few bits, far fewer than half the hash.
    assert (edited != hashes).sum(axis=1).max() <= hash_size**2 // 8


def test_phash_splits_at_the_median_without_dc(drawn):
    hashes = perceptual_hash(drawn.images[:20])
    assert not hashes[:, 0].any()
    # 63 AC coefficients split at their median: 31 above, every time.
    assert (hashes.sum(axis=1) == 31).all()


# imagehash 4.3.2's dhash and average_hash of make_characters(2,
# image_size=(64, 64), random_state=0).images[::2], as str(ImageHash), from
# `pip install --target /tmp/ih imagehash==4.3.2` and
# `str(imagehash.dhash(PIL.Image.fromarray(picture)))`: leakage's own hashes
# (kept, see its module docstring) must give the same bits.
_IMAGEHASH_4_3_2 = {
    "dhash": ["4c929b1733b48fab", "18c486c6abb34737", "0c3742636333120e"],
    "ahash": ["ffffffffff070301", "80777373037b33c0", "ffc7a3b9bd99c080"],
}


@pytest.mark.parametrize("method", sorted(_IMAGEHASH_4_3_2))
def test_dhash_and_ahash_give_imagehash_bits(method):
    pictures = make_characters(2, image_size=(64, 64), random_state=0).images[::2]
    expected = [
        np.unpackbits(np.frombuffer(bytes.fromhex(h), np.uint8)).astype(bool)
        for h in _IMAGEHASH_4_3_2[method]
    ]
    np.testing.assert_array_equal(perceptual_hash(pictures, method=method), expected)


def test_hash_accepts_floats_grayscale_and_mixed_sizes(drawn):
    images = drawn.images[:4]
    expected = perceptual_hash(images)
    np.testing.assert_array_equal(perceptual_hash(images / 255.0), expected)
    gray = np.asarray([np.asarray(Image.fromarray(p).convert("L")) for p in images])
    np.testing.assert_array_equal(perceptual_hash(gray), expected)
    np.testing.assert_array_equal(perceptual_hash(gray[..., None]), expected)
    mixed = perceptual_hash([images[0], _resize(images[1], 1.5)])
    assert mixed.shape == (2, 64)


def test_hamming_distances_match_a_bit_count():
    rng = np.random.default_rng(0)
    a = rng.random((7, 64)) < 0.5
    b = rng.random((5, 64)) < 0.5
    expected = (a[:, None, :] != b[None, :, :]).sum(axis=2)
    np.testing.assert_array_equal(hamming_distances(a, b), expected)
    square = hamming_distances(a)
    assert square.shape == (7, 7) and (np.diag(square) == 0).all()
    np.testing.assert_array_equal(square, square.T)


# --- find_duplicates and find_leaks ----------------------------------------


def test_different_drawings_of_one_character_are_not_flagged(drawn):
    result = find_duplicates(drawn.images)
    assert len(result.pairs) == 0
    # ... although some are close: the default leaves a margin of one step.
    distances = hamming_distances(result.hashes)
    same = drawn.target[:, None] == drawn.target[None, :]
    off_diagonal = ~np.eye(len(drawn.target), dtype=bool)
    assert distances[same & off_diagonal].min() > DEFAULT_THRESHOLD


def test_find_duplicates_kinds_and_filenames(drawn):
    images = list(drawn.images[:10])
    images += [images[2].copy(), _jpeg(images[5]), _resize(images[7])]
    names = [f"{k}.png" for k in range(len(images))]
    result = find_duplicates(images, filenames=names)
    found = {(int(p["i"]), int(p["j"])): str(p["kind"]) for p in result.pairs}
    assert found == {(2, 10): "exact", (5, 11): "near", (7, 12): "near"}
    assert result.pairs["kind"][0] == "exact"
    assert (np.diff(result.pairs["distance"][1:]) >= 0).all()
    assert result.filenames[10] == "10.png"
    assert result.threshold == DEFAULT_THRESHOLD and result.method == "phash"


def test_find_leaks_finds_the_planted_copies(planted):
    train, test, sources, positions = planted
    result = find_leaks(train, test)
    found = {int(p["test"]): (int(p["train"]), str(p["kind"])) for p in result.pairs}
    assert found == {
        positions["exact"]: (sources["exact"], "exact"),
        positions["jpeg"]: (sources["jpeg"], "near"),
        positions["resize"]: (sources["resize"], "near"),
    }
    np.testing.assert_array_equal(
        result.leaked, sorted(positions[k] for k in ("exact", "jpeg", "resize"))
    )
    assert result.leaked_fraction == pytest.approx(3 / len(test))


def test_find_leaks_with_flips_finds_the_mirror(planted):
    train, test, sources, positions = planted
    result = find_leaks(train, test, flips=True)
    found = {int(p["test"]): int(p["train"]) for p in result.pairs}
    assert found[positions["flip"]] == sources["flip"]
    assert len(found) == 4


def test_find_leaks_ignores_copies_within_one_side(drawn):
    train = np.concatenate([drawn.images[:5], drawn.images[:1]])
    assert len(find_leaks(train, drawn.images[5:10]).pairs) == 0


# --- duplicate_groups and leak_free_split ----------------------------------


@pytest.fixture(scope="module")
def with_copies(drawn):
    """Every fifth drawing with a JPEG copy and a resized copy of the JPEG."""
    images, target = list(drawn.images), list(drawn.target)
    for k in range(0, len(drawn.images), 5):
        jpeg = _jpeg(drawn.images[k])
        images += [jpeg, _resize(jpeg, 0.95)]
        target += [drawn.target[k]] * 2
    return images, np.asarray(target)


def test_duplicate_groups_chain_the_copies(drawn, with_copies):
    images, _ = with_copies
    groups = duplicate_groups(images)
    n = len(drawn.images)
    assert len(np.unique(groups[:n])) == n
    copies = np.asarray(groups[n:]).reshape(-1, 2)
    originals = groups[np.arange(0, n, 5)]
    np.testing.assert_array_equal(copies[:, 0], originals)
    np.testing.assert_array_equal(copies[:, 1], originals)


@pytest.mark.parametrize("random_state", [0, 1, 42])
def test_leak_free_split_keeps_groups_whole_and_stratified(with_copies, random_state):
    images, target = with_copies
    groups = duplicate_groups(images)
    train, test = leak_free_split(target, groups, random_state=random_state)
    assert not set(groups[train]) & set(groups[test])
    np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(len(target)))
    assert abs(len(test) / len(target) - 0.3) < 0.05
    overall = np.bincount(target) / len(target)
    in_test = np.bincount(target[test], minlength=len(overall)) / len(test)
    assert np.abs(in_test - overall).max() < 0.05
    assert (
        len(find_leaks([images[k] for k in train], [images[k] for k in test]).pairs)
        == 0
    )


def test_leak_free_split_is_reproducible_and_moves_with_the_seed(with_copies):
    images, target = with_copies
    groups = duplicate_groups(images)
    first = leak_free_split(target, groups, random_state=3)
    again = leak_free_split(target, groups, random_state=3)
    other = leak_free_split(target, groups, random_state=4)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize(
    ("test_size", "expected"), [(0.5, 0.5), (0.25, 0.25), (0.2, 0.2), (0.1, 0.1)]
)
def test_leak_free_split_test_size(test_size, expected):
    target = np.repeat([0, 1], 40)
    train, test = leak_free_split(target, np.arange(80), test_size=test_size)
    assert len(test) == round(expected * 80) and len(train) + len(test) == 80


def test_leak_free_split_test_size_may_be_a_count():
    target = np.repeat([0, 1], 40)
    as_count = leak_free_split(target, np.arange(80), test_size=20)
    as_fraction = leak_free_split(target, np.arange(80), test_size=0.25)
    assert len(as_count[1]) == 20
    np.testing.assert_array_equal(as_count[1], as_fraction[1])


# --- plot_duplicate_pairs ----------------------------------------------------


def _visible(figure):
    return sum(ax.has_data() for ax in figure.axes)


def test_plot_duplicate_pairs_draws_two_panels_per_pair(drawn):
    images = np.concatenate([drawn.images[:6], drawn.images[:5]])
    result = find_duplicates(images)
    figure = plot_duplicate_pairs(
        images,
        result,
        max_pairs=3,
        target=np.r_[drawn.target[:6], drawn.target[:5]],
        class_names=drawn.class_names,
    )
    assert _visible(figure) == 6
    axes = figure.axes
    assert "exact, d=0" in axes[1].get_title()
    assert drawn.class_names[drawn.target[0]] in axes[0].get_title()
    assert _visible(plot_duplicate_pairs(images, result.pairs)) == 10


def test_plot_duplicate_pairs_of_leaks(planted):
    train, test, _, positions = planted
    result = find_leaks(train, test)
    given, grid = plt.subplots(2, 3)
    assert plot_duplicate_pairs((train, test), result, axes=grid) is given
    assert _visible(given) == 6
    assert grid.flat[1].get_title().startswith(f"test {positions['exact']}")


def test_plot_duplicate_pairs_without_pairs(drawn):
    from matplotlib.figure import Figure

    # Nothing to show is still a figure (saved like any other), which says so.
    figure = plot_duplicate_pairs(drawn.images[:4], find_duplicates(drawn.images[:4]))
    assert type(figure) is Figure
    assert figure.axes[0].texts[0].get_text() == "no duplicates"


# --- bad arguments -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "md5"}, "Received: method='md5'"),
        ({"hash_size": 1}, "Received: hash_size=1"),
        ({"hash_size": 8.0}, "Received: hash_size=8.0"),
        (
            {"hash_size": 1},
            r"hash_size must be an integer of at least 2\. Received: hash_size=1$",
        ),
        (
            {"method": "md5"},
            r"method must be one of 'phash', 'dhash', 'ahash'\. "
            r"Received: method='md5'$",
        ),
    ],
)
def test_perceptual_hash_refuses_bad_options(drawn, kwargs, message):
    with pytest.raises(ValueError, match=message):
        perceptual_hash(drawn.images[:2], **kwargs)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((0, 8, 8, 3), np.uint8), "at least one picture. Received: 0"),
        (np.zeros((8, 8), np.uint8), r"Received: images of shape \(8, 8\)"),
        ([np.zeros((8, 8, 2), np.uint8)], r"Received shape: \(8, 8, 2\)"),
        ("pictures", r"Received: images of shape \(\)"),
    ],
)
def test_perceptual_hash_refuses_non_pictures(images, message):
    with pytest.raises(ValueError, match=message):
        perceptual_hash(images)


@pytest.mark.parametrize("threshold", [-1, 64, 2.5, True])
def test_find_duplicates_refuses_bad_threshold(drawn, threshold):
    with pytest.raises(ValueError, match=f"Received: threshold={threshold!r}"):
        find_duplicates(drawn.images[:2], threshold=threshold)


def test_bad_filenames_and_hashes_are_refused(drawn):
    with pytest.raises(ValueError, match="one name per picture .3.. Received: 2"):
        find_duplicates(drawn.images[:3], filenames=["a", "b"])
    with pytest.raises(ValueError, match="test_filenames.*Received: 1 names"):
        find_leaks(drawn.images[:2], drawn.images[2:4], test_filenames=["a"])
    with pytest.raises(ValueError, match="Received: 64 and 16"):
        hamming_distances(np.zeros((2, 64)), np.zeros((2, 16)))
    with pytest.raises(ValueError, match=r"Received shape: \(64,\)"):
        hamming_distances(np.zeros(64))


@pytest.mark.parametrize(
    ("target", "groups", "kwargs", "message"),
    [
        ([0, 1] * 10, np.arange(19), {}, r"Received shapes: target \(20,\)"),
        ([0, 1] * 10, np.arange(20), {"test_size": 1.0}, "Received: test_size=1.0"),
        ([0, 1] * 10, np.arange(20), {"test_size": 0}, "Received: test_size=0"),
        (
            [0, 1] * 10,
            np.arange(20),
            {"test_size": 20},
            r"leaves none of the 20 pictures for training\. Received: test_size=20$",
        ),
        (
            [0, 1] * 10,
            np.arange(20),
            {"test_size": -0.3},
            r"test_size must be a float in \(0, 1\) \(a fraction\) or an int >= 1 "
            r"\(a count\)\. Received: test_size=-0\.3$",
        ),
        ([0, 1] * 10, np.arange(20) // 4, {}, "only 5 groups. Received: 5 groups"),
        (
            [0] * 18 + [1] * 2,
            np.r_[np.arange(18), 18, 18],
            {},
            "class 1 gets no (training|test) picture",
        ),
    ],
)
def test_leak_free_split_refuses_bad_arguments(target, groups, kwargs, message):
    with pytest.raises(ValueError, match=message):
        leak_free_split(np.asarray(target), groups, **kwargs)


def test_plot_duplicate_pairs_refuses_bad_arguments(drawn):
    images = drawn.images[:4]
    result = find_duplicates(np.concatenate([images, images[:2]]))
    leaks = find_leaks(images, images[:2])
    with pytest.raises(ValueError, match="Received: max_pairs=0"):
        plot_duplicate_pairs(images, result, max_pairs=0)
    with pytest.raises(ValueError, match=r"Received fields: \('a', 'b'\)"):
        plot_duplicate_pairs(images, np.zeros(2, dtype=[("a", int), ("b", int)]))
    with pytest.raises(ValueError, match="tuple for the pairs of find_leaks"):
        plot_duplicate_pairs(images, leaks)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="axes has 1 cells for 2 pairs"):
        plot_duplicate_pairs(np.concatenate([images, images[:2]]), result, axes=[ax])


def test_import_does_not_pull_tensorflow():
    code = (
        "import sys, animecls.leakage; "
        "print(','.join(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
