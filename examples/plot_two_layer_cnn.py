"""
Title: Train the report's two-layer CNN
Description: Reproduce Model 1 of the report and watch it overfit.
"""

# %%
# ## Setup
# Settings come from environment variables (or the data folder as the first
# argument): `ANIMECLS_DATA` (a folder of class folders; empty = the drawn
# default characters), `ANIMECLS_EPOCHS` (empty = the report's 15),
# `ANIMECLS_IMAGE_SIZE` (the report's 250) and `ANIMECLS_OUT` for the figures.
import os
import sys

import keras
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from animecls.datasets import load_image_folder, make_characters
from animecls.evaluation import evaluate, generalization_gap
from animecls.models import build_two_layer_cnn
from animecls.plotting import (
    plot_confusion_matrix,
    plot_history,
    plot_predictions,
    plot_samples,
)
from animecls.training import fit_model

# The first argument is the folder when this file runs as a script. In a
# Jupyter kernel (a notebook, Colab, an editor's cells) sys.argv holds the
# kernel's own arguments (-f CONNECTION_FILE) instead, so there only
# ANIMECLS_DATA counts.
ARGS = [] if "ipykernel" in sys.modules else sys.argv[1:]
DATA = ARGS[0] if ARGS else os.environ.get("ANIMECLS_DATA", "")
EPOCHS = int(os.environ.get("ANIMECLS_EPOCHS") or 15)
IMAGE_SIZE = int(os.environ.get("ANIMECLS_IMAGE_SIZE") or 250)
OUT = os.environ.get("ANIMECLS_OUT") or os.path.join(
    "example-output", "plot_two_layer_cnn"
)
os.makedirs(OUT, exist_ok=True)

# %%
# ## Data
# The report's protocol: 70% of the pictures to train on, 30% to test on,
# split with seed 42. We also stratify, so every character has the same share
# in both parts; `load_image_folder(..., subset="train")` makes the same split.
if DATA:
    data = load_image_folder(DATA, image_size=(IMAGE_SIZE, IMAGE_SIZE))
else:
    data = make_characters(image_size=(IMAGE_SIZE, IMAGE_SIZE))
names = data.class_names
X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=0.3, random_state=42, stratify=data.target
)
print(f"{len(X_train)} training and {len(X_test)} test pictures of {names}")

# %%
# ## Look at the data
# Six training pictures per character. The characters share one drawing style,
# which is what makes them hard to tell apart from so few examples.
fig = plot_samples(X_train, y_train, names, n_per_class=6)
fig.savefig(os.path.join(OUT, "samples.png"), dpi=100)

# %%
# ## Model
# Exactly the report's network: two convolution + pooling blocks, then
# `Flatten` into `Dense(256)`. At 250 x 250 the flattened maps hold 246,016
# numbers, so that one dense layer carries almost all of the 63 million
# weights, about half a million per training picture: room to memorise.
keras.utils.set_random_seed(0)  # the same initial weights on every run
model = build_two_layer_cnn((IMAGE_SIZE, IMAGE_SIZE, 3), num_classes=len(names))
print(f"{model.count_params():,} parameters")

# %%
# ## Train
# `fit_model` applies the report's recipe (Adam, learning rate 5e-4, the last
# 20% of the training pictures kept for validation) and seeds everything, so
# two runs give the same numbers.
history = fit_model(model, X_train, y_train, epochs=EPOCHS, verbose=2)

# %%
# The report's "Train vs Val" curves, with the epoch of lowest validation loss
# marked. `generalization_gap` puts what they show into words, weighing the
# gap by the number of validation pictures (`history.n_val`, the last 20% of
# the training pictures): on a few dozen, one picture is several points.
fig = plot_history(history, chance=1 / len(names))
fig.savefig(os.path.join(OUT, "curves.png"), dpi=100)
gap = generalization_gap(history, n_val=history.n_val)
print(f"{gap.verdict}: {gap.explanation} Best epoch: {gap.best_epoch}.")

# %%
# ## Evaluate
# On the test pictures, with a 95% interval: on a few dozen pictures one
# mistake moves accuracy by two points or more, so the interval is wide.
result = evaluate(model, X_test, y_test, class_names=names)
low, high = result.accuracy_interval
print(
    f"Test accuracy {result.accuracy:.3f} ({result.n_correct}/{result.n_samples}, "
    f"95% CI {low:.2f}-{high:.2f}), loss {result.loss:.3f}"
)
print(result.report_text)

# %%
# Which characters get confused with which, and the report's prediction grid:
# each picture titled "Name: <predicted character>", wrong ones in magenta
# with the true name below.
fig = plot_confusion_matrix(y_test, result.y_pred, class_names=names)
fig.savefig(os.path.join(OUT, "confusion_matrix.png"), dpi=100)
fig = plot_predictions(X_test[:12], result.y_pred[:12], names, y_true=y_test[:12])
fig.savefig(os.path.join(OUT, "predictions.png"), dpi=100)

# %%
# ## What to expect
# With the defaults (the drawn characters at 250 x 250, the report's 15
# epochs; about 3 minutes on two CPU cores) the CNN has 62,990,275
# parameters. Training accuracy ends at 0.981 while validation accuracy
# stalls at 18 of 26 (0.692): a gap of 0.288 and the verdict "overfitting".
# Test accuracy is 0.732 (41 of 56) with a 95% interval of 0.60-0.83. The
# report's 0.964 on its 56 real pictures has an interval of 0.88-0.99:
# neither number is as precise as three decimals suggest.
print(f"Figures written to {OUT}")
if plt.get_backend().lower() != "agg":
    plt.show()
