"""
Title: Explore a data set before training anything
Description: Count the pictures, look at them, and see what the loader skipped.
"""

# %%
# ## Setup
# Every setting is read from an environment variable, so the same script runs
# on the embedded default set or on your own folder of class folders:
#
#     python examples/plot_explore_dataset.py "Anime Girls/"
#
# `ANIMECLS_DATA` (or the first argument) is the folder; empty means the drawn
# default characters. `ANIMECLS_IMAGE_SIZE` is the size pictures are loaded at
# and `ANIMECLS_OUT` the folder the figures go to.
import os
import sys
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np

from animecls.datasets import (
    SkippedFilesWarning,
    load_image_folder,
    make_characters,
    save_image_folder,
    scan_image_folder,
)
from animecls.plotting import plot_image_grid, plot_samples

# The first argument is the folder when this file runs as a script. In a
# Jupyter kernel (a notebook, Colab, an editor's cells) sys.argv holds the
# kernel's own arguments (-f CONNECTION_FILE) instead, so there only
# ANIMECLS_DATA counts.
ARGS = [] if "ipykernel" in sys.modules else sys.argv[1:]
DATA = ARGS[0] if ARGS else os.environ.get("ANIMECLS_DATA", "")
IMAGE_SIZE = int(os.environ.get("ANIMECLS_IMAGE_SIZE") or 250)
OUT = os.environ.get("ANIMECLS_OUT") or os.path.join(
    "example-output", "plot_explore_dataset"
)
os.makedirs(OUT, exist_ok=True)

# %%
# ## Data
# A real download folder holds more than pictures. When no folder is given we
# write the drawn default set to a temporary folder (deleted at exit) and add
# two typical strays, a text file and a truncated picture, to see them skipped.
if DATA:
    folder = DATA
else:
    workdir = tempfile.TemporaryDirectory()
    folder = os.path.join(workdir.name, "Anime Girls")
    drawn = make_characters(image_size=(IMAGE_SIZE, IMAGE_SIZE))
    files = save_image_folder(drawn, folder)
    with open(os.path.join(folder, drawn.class_names[0], "notes.txt"), "w") as f:
        f.write("where I found these pictures")
    with open(files[-1], "rb") as f:
        head = f.read(200)
    with open(os.path.join(folder, drawn.class_names[-1], "broken.png"), "wb") as f:
        f.write(head)

# %%
# `scan_image_folder` reads only file headers, so it is fast even on large
# folders: classes, counts, picture sizes, and every file that will not count.
scan = scan_image_folder(folder)
print(scan.summary())

# %%
# The loader decodes the pictures and resizes them all to one size. It can
# find more to skip than the scan: a truncated file has a valid header. What it
# skipped is in `data.skipped` and in a `SkippedFilesWarning` (silenced here,
# since we print the list ourselves).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SkippedFilesWarning)
    data = load_image_folder(folder, image_size=(IMAGE_SIZE, IMAGE_SIZE))
print(f"Loaded {data.images.shape}; skipped {len(data.skipped)} files:")
for path, reason in data.skipped:
    print(f"  {os.path.relpath(path, folder)}: {reason}")

# %%
# ## Look at the data
# Class balance first: with a 70/30 split, a class of 60 pictures is tested on
# only 18, so one mistake moves its recall by more than five points.
counts = np.bincount(data.target, minlength=len(data.class_names))
fig, ax = plt.subplots(figsize=(6, 2.5), layout="constrained")
ax.barh(data.class_names, counts, color="C0")
ax.bar_label(ax.containers[0])
ax.invert_yaxis()  # first class on top, as in the folder
ax.set_xlabel("pictures")
ax.set_title("Pictures per class")
fig.savefig(os.path.join(OUT, "class_counts.png"), dpi=100)

# %%
# Then the pictures themselves, one row per class: what does a model have to
# tell apart, and what do the classes share?
fig = plot_samples(data.images, data.target, data.class_names, n_per_class=6)
fig.savefig(os.path.join(OUT, "samples.png"), dpi=100)

# %%
# The sizes the pictures had on disk. Loading stretches them all to
# `IMAGE_SIZE`, so very elongated pictures get distorted (try
# `resize="crop"` or `"pad"` in `load_image_folder` for those).
sizes = np.array(scan.image_sizes)
fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
ax.scatter(sizes[:, 0], sizes[:, 1], s=12, alpha=0.5)
ax.set_xlabel("width (pixels)")
ax.set_ylabel("height (pixels)")
ax.set_title("Picture sizes on disk")
fig.savefig(os.path.join(OUT, "image_sizes.png"), dpi=100)

# %%
# Finally, how hard the drawn characters are. `make_characters` has difficulty
# levels; "default" is calibrated so that the report's CNN overfits as it did
# on the real pictures. Each row shows two pictures per character at one
# level: look at how much varies between pictures of the same character.
levels = ["easy", "default", "hard"]
fig, axes = plt.subplots(
    len(levels), 6, figsize=(10, 5.6), squeeze=False, layout="constrained"
)
for row, level in enumerate(levels):
    drawn = make_characters(2, image_size=(IMAGE_SIZE, IMAGE_SIZE), difficulty=level)
    titles = [drawn.class_names[t].split()[0] for t in drawn.target]
    plot_image_grid(drawn.images, titles=titles, axes=axes[row])
    axes[row, 0].text(
        -0.15,
        0.5,
        level,
        transform=axes[row, 0].transAxes,
        rotation=90,
        va="center",
        ha="right",
        fontsize="large",
    )
fig.savefig(os.path.join(OUT, "difficulty_levels.png"), dpi=100)

# %%
# ## What to expect
# With the defaults (the drawn default characters at 250 x 250; under a
# minute on two CPU cores): the scan finds 3 classes and 186 pictures, 62 per
# character, all 250 x 250, and skips `notes.txt` (not a picture). It counts
# `broken.png`, whose header is fine; the loader then skips it as truncated,
# so 185 pictures load. "easy" pictures are clean portraits; at "hard" the
# characters borrow each other's colours and clothes and are partly covered,
# which is where a small network's mistakes come from.
print(f"Figures written to {OUT}")
if plt.get_backend().lower() != "agg":
    plt.show()
