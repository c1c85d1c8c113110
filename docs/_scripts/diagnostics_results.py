"""The code, outputs and figures of the sanity checks and diagnostics guide.

docs/user-guide/diagnostics.md includes the marked sections of this file, what
they printed or measured (``docs/_generated/diagnostics-*``) and the figures
they drew (``docs/images/diagnostics-*.png``)::

    python docs/_scripts/diagnostics_results.py [--out DIR] [--images DIR]
        [--weights auto|imagenet|none] [--checked-only]

The four parts: ``check_model`` on the report's two models as the report built
them (no training; the test suite compares this output with the committed
file, ``--checked-only`` stops after it); the label-shuffle test on the
report's CNN; near duplicates across a split of the real anime faces
(``../shared/datasets/anime-faces-6`` or ``$ANIMECLS_FACES_DIR``, only read;
skipped when absent; its pictures are never drawn into a figure, which shows
planted copies in the drawn set instead); Grad-CAM heat maps against the
drawn characters' trait masks. About four minutes on two cores.
"""

import argparse
import os
import pathlib
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from guide_outputs import DOCS, Recorder  # noqa: E402

ROOT = DOCS.parent
FACES = pathlib.Path(
    os.environ.get(
        "ANIMECLS_FACES_DIR", ROOT.parent / "shared" / "datasets" / "anime-faces-6"
    )
)

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=str(DOCS / "_generated"))
parser.add_argument("--images", default=str(DOCS / "images"))
parser.add_argument("--weights", default="auto", choices=["auto", "imagenet", "none"])
parser.add_argument("--checked-only", action="store_true")
args = parser.parse_args(sys.argv[1:])
record = Recorder("diagnostics")
out = pathlib.Path(args.out)
images_dir = pathlib.Path(args.images)
started = time.perf_counter()


def save(figure, name, dpi=90):
    """Save a figure for the page and close it."""
    images_dir.mkdir(parents=True, exist_ok=True)
    figure.savefig(images_dir / f"diagnostics-{name}.png", dpi=dpi)
    plt.close(figure)


def write(name, text):
    """Write a markdown snippet for the page."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"diagnostics-{name}").write_text(text, encoding="utf-8")
    print("wrote", out / f"diagnostics-{name}", file=sys.stderr)


def interval(low, high):
    return f"{low:.2f} to {high:.2f}"


record.start("check-report-models", checked=True)
# --8<-- [start:check-report-models]
import textwrap

import keras
from keras import layers
from PIL import Image
from sklearn.model_selection import train_test_split

from animecls.checks import check_model
from animecls.datasets import make_characters

# The report's data and split: 185 pictures, 70/30, then 20% of the 129
# training pictures for validation (Keras takes the last 26).
data = make_characters(image_size=(250, 250))
X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=0.30, random_state=42
)


def show(report):
    """Print a check_model report with its long lines wrapped."""
    for line in str(report).splitlines():
        print(textwrap.fill(line, width=80, subsequent_indent="  "))


# Model 1, as the report built it (layer names fixed for a stable output).
model_1 = keras.Sequential(
    [
        keras.Input((250, 250, 3)),
        layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (2, 2), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(name="flatten"),
        layers.Dense(256, activation="relu", name="dense"),
        layers.Dropout(0.5),
        layers.Dense(3, activation="softmax", name="output"),
    ],
    name="model_1",
)
model_1.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.0005),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
show(check_model(model_1, (X_train, y_train), validation=0.2))

# Model 2, as the report built it: VGG16 on 256x256 pictures without
# preprocess_input, a sigmoid output with categorical cross-entropy.
# (weights=None only because this page is built offline: the checks read
# the architecture, not the weights.)
X_train_256 = np.stack(
    [np.asarray(Image.fromarray(x).resize((256, 256))) for x in X_train]
)
base = keras.applications.VGG16(
    weights=None, include_top=False, input_shape=(256, 256, 3)
)
base.trainable = False
model_2 = keras.Sequential(
    [
        keras.Input((256, 256, 3)),
        base,
        layers.Flatten(name="flatten"),
        layers.Dense(256, activation="relu", name="dense"),
        layers.Dense(3, activation="sigmoid", name="output"),
    ],
    name="model_2",
)
model_2.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=2e-5),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
print()
show(check_model(model_2, (X_train_256, y_train), validation=0.2))
# --8<-- [end:check-report-models]
record.stop()
del model_1, model_2, base, X_train_256

if args.checked_only:  # the test's quick run; what follows trains networks
    record.write(out)
    sys.exit()

# ------------------------------------------------------------ label shuffle

tic = time.perf_counter()
# --8<-- [start:shuffled-labels]
import functools

from animecls.checks import shuffled_labels_test
from animecls.models import build_two_layer_cnn

# The report's CNN at 128x128, so that it runs in a minute or two.
data = make_characters(image_size=(128, 128))
build = functools.partial(build_two_layer_cnn, (128, 128, 3))
result = shuffled_labels_test(build, data.images, data.target, epochs=30)
print(result.verdict)
print(result.message)
# --8<-- [end:shuffled-labels]
shuffle_seconds = time.perf_counter() - tic
low, high = result.held_out_interval
height, width = data.images.shape[1:3]
write(
    "shuffled-labels.md",
    "| | |\n| --- | --- |\n"
    f"| network | the report's two-layer CNN (`build_two_layer_cnn`), "
    f"{height}x{width}, {len(result.history.epoch)} epochs |\n"
    f"| pictures | {result.n_train} training (labels permuted), "
    f"{result.n_held_out} held out (true labels) |\n"
    f"| training accuracy on the permuted labels | "
    f"**{result.train_accuracy:.2f}** |\n"
    f"| held-out accuracy on the true labels | **{result.held_out_accuracy:.2f}** "
    f"(95% interval {interval(low, high)}) |\n"
    f"| chance (always the most frequent class) | {result.chance_level:.2f} |\n"
    f"| verdict | {result.verdict} |\n"
    f"| run time | {shuffle_seconds:.0f} s on two CPU cores |\n",
)

# --8<-- [start:shuffled-labels-plot]
from animecls.plotting import plot_history

curves = result.history.history
figure = plot_history(
    {"accuracy": curves["accuracy"], "val_accuracy": curves["val_accuracy"]},
    metrics=("accuracy",),
    chance=result.chance_level,
)
(ax,) = figure.axes
ax.legend(
    ax.get_lines(),
    ["training, permuted labels", "held out, true labels", "chance"],
    fontsize="small",
)
ax.set_title("The report's CNN learns random labels by heart")
# --8<-- [end:shuffled-labels-plot]
figure.set_size_inches(6, 3.2)
save(figure, "shuffled-labels")

# ------------------------------------------------------------------ leakage

# The real faces are not ours to publish, so the page shows the pairs on
# drawn pictures instead: four test pictures copied into training, brightened.
# --8<-- [start:leakage-plot]
from animecls.datasets import make_characters
from animecls.leakage import find_leaks, plot_duplicate_pairs

drawn = make_characters(image_size=(128, 128))
train, test = train_test_split(
    np.arange(len(drawn.target)),
    test_size=0.3,
    random_state=42,
    stratify=drawn.target,
)
copies = np.clip(drawn.images[test[:4]].astype(int) + 30, 0, 255).astype(np.uint8)
leaky_train = np.concatenate([drawn.images[train], copies])
leaky_target = np.concatenate([drawn.target[train], drawn.target[test[:4]]])
leaks = find_leaks(leaky_train, drawn.images[test])
figure = plot_duplicate_pairs(
    (leaky_train, drawn.images[test]),
    leaks,
    max_pairs=4,
    target=(leaky_target, drawn.target[test]),
    class_names=drawn.class_names,
)
# --8<-- [end:leakage-plot]
save(figure, "leakage-drawn", dpi=70)

if FACES.is_dir():
    # --8<-- [start:leakage]
    from animecls.datasets import load_image_folder
    from animecls.leakage import (
        duplicate_groups,
        find_duplicates,
        find_leaks,
        leak_free_split,
    )

    faces = load_image_folder(FACES, image_size=(128, 128))
    X, y = faces.images, faces.target
    # The report's 70/30 split.
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.3, random_state=42, stratify=y
    )
    duplicates = find_duplicates(X)
    leaks = find_leaks(X[train], X[test])
    # Copies grouped, and every group kept on one side of the split.
    groups = duplicate_groups(X)
    free_train, free_test = leak_free_split(y, groups, test_size=0.3)
    free_leaks = find_leaks(X[free_train], X[free_test])
    print(f"{len(y)} pictures, {len(duplicates.pairs)} near-duplicate pairs")
    print(f"random 70/30 split: {len(leaks.pairs)} pairs cross it")
    print(f"leak-free split: {len(free_leaks.pairs)} pairs cross it")
    # --8<-- [end:leakage]

    # What the leaks are worth: a raw-pixel SVM (fast, and it memorises
    # copies as well as a network) scored on the pictures with a copy on the
    # other side and on the others, then on the leak-free split.
    from animecls.embeddings import make_baseline
    from animecls.evaluation import accuracy_interval

    def score(fit_on, test_on):
        model = make_baseline("pixels").fit(X[fit_on], y[fit_on])
        return model.predict(X[test_on]) == y[test_on]

    right = score(train, test)
    leaked = np.zeros(len(test), dtype=bool)
    leaked[leaks.pairs["test"]] = True
    free_right = score(free_train, free_test)

    def row(name, hits):
        if len(hits) == 0:
            return f"| {name} | 0 | - |\n"
        low, high = accuracy_interval(int(hits.sum()), len(hits))
        return f"| {name} | {len(hits)} | {hits.mean():.2f} ({interval(low, high)}) |\n"

    n_grouped = int(sum(np.bincount(groups) > 1))
    write(
        "leakage-faces.md",
        f"{len(y)} pictures of {len(faces.class_names)} characters "
        f"(`{FACES.name}`, read at 128x128): {len(duplicates.pairs)} near-duplicate "
        f"pairs (pHash, threshold {duplicates.threshold} of 64 bits) in "
        f"{n_grouped} groups of copies.\n\n"
        "| split | pairs across it | test pictures with a copy in training |\n"
        "| --- | --- | --- |\n"
        f"| random 70/30 (`train_test_split`, seed 42) | {len(leaks.pairs)} "
        f"| {int(leaked.sum())} of {len(test)} |\n"
        f"| `leak_free_split` (groups kept whole) | {len(free_leaks.pairs)} "
        f"| {len(np.unique(free_leaks.pairs['test']))} of {len(free_test)} |\n\n"
        'Raw-pixel SVM (`make_baseline("pixels")`) test accuracy, 95% '
        "intervals:\n\n"
        "| test pictures | n | accuracy |\n| --- | --- | --- |\n"
        + row("random split: with a copy in training", right[leaked])
        + row("random split: without", right[~leaked])
        + row("random split: all", right)
        + row("leak-free split: all", free_right),
    )
else:
    print(f"{FACES} not found: the leakage results are left as they were.")

# ------------------------------------------------------------------ Grad-CAM


def vgg16_weights(choice):
    """Return (weights for the builder, what to say about them)."""
    from animecls._weights import WeightsUnavailableError, imagenet_weights_path

    if choice == "none":
        return None, "random weights (`--weights none`)"
    try:
        imagenet_weights_path()
    except WeightsUnavailableError:
        if choice == "imagenet":
            raise
        return None, (
            "**random weights**: the ImageNet weights cannot be downloaded where "
            "this page is built, so its maps show what an untrained base "
            "responds to, not what transfer learning looks at"
        )
    return "imagenet", "ImageNet weights"


weights, weights_note = vgg16_weights(args.weights)
tic = time.perf_counter()
# --8<-- [start:gradcam]
from animecls.interpretation import heatmap_overlap, trait_attention
from animecls.models import build_vgg16_transfer
from animecls.training import fit_model, fit_transfer_head

# The drawn characters with masks of their traits (hair, eyes, accessories,
# clothes) and of the whole figure; the report's split.
data = make_characters(image_size=(128, 128), return_masks=True)
train, test = train_test_split(
    np.arange(len(data.target)), test_size=0.3, random_state=42, stratify=data.target
)
X_train, y_train = data.images[train], data.target[train]
X_test, y_test = data.images[test], data.target[test]

keras.utils.set_random_seed(0)
cnn = build_two_layer_cnn((128, 128, 3))
cnn_history = fit_model(cnn, X_train, y_train, verbose=0)
keras.utils.set_random_seed(0)
vgg = build_vgg16_transfer((128, 128, 3), weights=weights)
vgg_history = fit_transfer_head(vgg, X_train, y_train, verbose=0)

models = {"CNN": cnn, "VGG16": vgg}
attention = {}
for name, model in models.items():
    attention[name] = trait_attention(model, X_test, data.masks[test])
    on_figure = heatmap_overlap(attention[name].heatmaps, data.silhouettes[test])
    print(
        f"{name}: heat on the traits {np.nanmean(attention[name].overlap):.2f} "
        f"(their area {attention[name].area_share.mean():.2f}), on the figure "
        f"{np.nanmean(on_figure):.2f} "
        f"(its area {data.silhouettes[test].mean():.2f})"
    )
# --8<-- [end:gradcam]
gradcam_seconds = time.perf_counter() - tic

rows = []
for name, model in models.items():
    found = attention[name]
    accuracy = np.mean(model.predict(X_test, verbose=0).argmax(axis=1) == y_test)
    on_figure = heatmap_overlap(found.heatmaps, data.silhouettes[test])
    beats = np.mean(found.overlap > found.area_share)
    rows.append(
        f"| {name} | {accuracy:.2f} | {np.nanmean(found.overlap):.2f} | "
        f"{found.area_share.mean():.2f} | {beats:.0%} | {np.nanmean(on_figure):.2f} | "
        f"{data.silhouettes[test].mean():.2f} |\n"
    )
write(
    "gradcam-traits.md",
    f"{len(test)} test pictures of the drawn characters at 128x128, the "
    f"report's CNN trained for {len(cnn_history.epoch)} epochs and the VGG16 head "
    f"(frozen base with {weights_note}) for {len(vgg_history.epoch)}, both with "
    f"the report's settings; means over the test pictures. "
    f"{gradcam_seconds:.0f} s.\n\n"
    "| model | test accuracy | heat on the traits | traits' area | pictures "
    "above the area | heat on the figure | figure's area |\n"
    "| --- | --- | --- | --- | --- | --- | --- |\n" + "".join(rows),
)

# --8<-- [start:gradcam-plot]
from animecls.interpretation import plot_grad_cam

shown = np.arange(6)
names = [n.split()[0] for n in data.class_names]
figure, axes = plt.subplots(2, 6, figsize=(10, 4), layout="constrained")
for ax_row, (name, model) in zip(axes, models.items(), strict=True):
    predicted = model.predict(X_test[shown], verbose=0).argmax(axis=1)
    plot_grad_cam(
        X_test[shown],
        attention[name].heatmaps[shown],
        masks=data.masks[test][shown],
        titles=[f"{name}: {names[p]}" for p in predicted],
        axes=ax_row,
    )
# --8<-- [end:gradcam-plot]
save(figure, "gradcam", dpi=70)

record.write(out)
print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
