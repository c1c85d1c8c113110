"""The code, outputs and figures of the evaluation guide.

docs/user-guide/evaluation.md includes the marked sections of this file, what
they printed (``docs/_generated/evaluation-<section>.txt``) and the figures
they drew (``docs/images/evaluation-*.png``). The test suite runs it. The
figures come from a short real training run of the report's CNN on the drawn
characters at 64x64 (about 15 seconds on two CPU cores)::

    python docs/_scripts/evaluation_guide.py [--out DIR] [--images DIR]

``--out`` and ``--images`` redirect the text outputs and the figures (the
test writes them to a temporary folder). ``--checked-only`` stops before the
training run, after the sections whose output never changes.
"""

import argparse
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from guide_outputs import DOCS, Recorder  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=str(DOCS / "_generated"))
parser.add_argument("--images", default=str(DOCS / "images"))
parser.add_argument("--checked-only", action="store_true")
args = parser.parse_args(sys.argv[1:])
record = Recorder("evaluation")
images = pathlib.Path(args.images)


def save(figure, name, dpi=90):
    """Save a figure for the page and close it.

    Grids of pictures get a lower resolution: at 90 dpi their PNGs pass
    300 kB, and the drawn pictures are only 64 pixels wide anyway.
    """
    images.mkdir(parents=True, exist_ok=True)
    figure.savefig(images / f"evaluation-{name}.png", dpi=dpi)
    plt.close(figure)


record.start("interval", checked=True)
# --8<-- [start:interval]
from animecls.evaluation import accuracy_interval

# The report: 54 of its 56 test pictures named right.
for method in ("wilson", "exact"):
    low, high = accuracy_interval(54, 56, method=method)
    print(f"{method:<6} 54/56 = {54 / 56:.3f}, 95% interval {low:.3f} to {high:.3f}")
# --8<-- [end:interval]
record.stop()

record.start("interval-sizes", checked=True)
# --8<-- [start:interval-sizes]
for n_test in (56, 560, 5600):
    low, high = accuracy_interval(54 * n_test // 56, n_test)
    print(f"{n_test:>5} test pictures: {low:.3f} to {high:.3f}, width {high - low:.3f}")
# --8<-- [end:interval-sizes]
record.stop()

record.start("mcnemar", checked=True)
# --8<-- [start:mcnemar]
import numpy as np

from animecls.evaluation import mcnemar_test

y_true = np.arange(56) % 3  # 56 test pictures of 3 characters


def wrong_on(pictures):
    """Predictions that are right except on the given pictures."""
    y_pred = y_true.copy()
    y_pred[pictures] = (y_pred[pictures] + 1) % 3
    return y_pred


model_a = wrong_on([0, 1])  # 54/56, like both of the report's models
pairs = {
    "B misses the same 2 pictures": wrong_on([0, 1]),
    "B misses 2 other pictures": wrong_on([2, 3]),
    "B misses 9 pictures (47/56)": wrong_on(list(range(2, 11))),
}
for name, model_b in pairs.items():
    test = mcnemar_test(y_true, model_a, model_b)
    print(
        f"{name:<30} only A right: {test.only_a_correct}, "
        f"only B right: {test.only_b_correct}, p = {test.pvalue:.3f}"
    )
# --8<-- [end:mcnemar]
record.stop()

record.start("gap-rule", checked=True)
# --8<-- [start:gap-rule]
import textwrap

from animecls.evaluation import generalization_gap

# Two made-up runs of 6 epochs, as model.fit records them, validated on the
# report's 26 pictures. Both end at training accuracy 1.0.
still_learning = {
    "accuracy": [0.55, 0.80, 0.90, 0.97, 1.00, 1.00],
    "val_accuracy": [n / 26 for n in (12, 17, 20, 21, 22, 23)],
    "loss": [1.00, 0.55, 0.30, 0.12, 0.06, 0.04],
    "val_loss": [1.05, 0.75, 0.58, 0.49, 0.44, 0.41],
}
memorising = {
    "accuracy": [0.55, 0.80, 0.95, 1.00, 1.00, 1.00],
    "val_accuracy": [n / 26 for n in (10, 13, 14, 13, 13, 13)],
    "loss": [1.00, 0.50, 0.15, 0.05, 0.02, 0.01],
    "val_loss": [1.05, 0.95, 0.90, 1.00, 1.15, 1.35],
}
for name, curves in [("still learning", still_learning), ("memorising", memorising)]:
    summary = generalization_gap(curves, n_val=26)
    low, high = summary.gap_interval
    print(f"{name}: gap {summary.gap:.3f}, 95% interval {low:.2f} to {high:.2f}")
    print(f"verdict: {summary.verdict}")
    print(textwrap.fill(summary.explanation, width=72))
    print()
# --8<-- [end:gap-rule]
record.stop()

record.start("gap-sizes", checked=True)
# --8<-- [start:gap-sizes]
# The same accuracies measured on ten and a hundred times the pictures
# (23 of 26 is also 230 of 260 and 2,300 of 2,600), and without saying how
# many there were:
for n_val in (26, 260, 2600, None):
    summary = generalization_gap(still_learning, n_val=n_val)
    if n_val is None:
        print(f"n_val=None: {summary.verdict} (the gap is not weighed)")
        continue
    low, high = summary.gap_interval
    print(f"n_val={n_val}: gap between {low:.3f} and {high:.3f}: {summary.verdict}")
# --8<-- [end:gap-sizes]
record.stop()

if args.checked_only:  # the test's quick run; what follows trains a network
    record.write(args.out)
    sys.exit()

record.start("train")
# --8<-- [start:train]
import keras
from sklearn.model_selection import train_test_split

from animecls.datasets import make_characters
from animecls.models import build_two_layer_cnn
from animecls.training import fit_model

# The report's CNN and split, on the drawn characters at 64x64 for speed.
data = make_characters(image_size=(64, 64), random_state=0)
names = data.class_names
X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=0.3, random_state=42, stratify=data.target
)
keras.utils.set_random_seed(0)
model = build_two_layer_cnn((64, 64, 3), num_classes=len(names))
history = fit_model(model, X_train, y_train, epochs=15, verbose=0)
print(f"trained for 15 epochs in {history.fit_time:.1f} s")
# --8<-- [end:train]
record.stop()

record.start("evaluate")
# --8<-- [start:evaluate]
from animecls.evaluation import evaluate

result = evaluate(model, X_test, y_test, class_names=names)
low, high = result.accuracy_interval
print(
    f"test accuracy {result.accuracy:.3f} ({result.n_correct} of "
    f"{result.n_samples}), 95% interval {low:.2f} to {high:.2f}"
)
print(f"test loss {result.loss:.3f}")
print(result.report_text)
# --8<-- [end:evaluate]
record.stop()

record.start("gap")
# --8<-- [start:gap]
# fit_model records how many pictures it validated on (the last 20%).
summary = generalization_gap(history, n_val=history.n_val)
print(summary.verdict)
print(textwrap.fill(summary.explanation, width=72))
print(f"lowest validation loss at epoch {summary.best_epoch}")
# --8<-- [end:gap]
record.stop()

# --8<-- [start:plot-history]
from animecls.plotting import plot_history

figure = plot_history(history, chance=1 / len(names))
# --8<-- [end:plot-history]
save(figure, "history")

# --8<-- [start:plot-confusion]
from animecls.plotting import plot_confusion_matrix

figure = plot_confusion_matrix(y_test, result.y_pred, class_names=names)
# --8<-- [end:plot-confusion]
figure.set_size_inches(5, 4.5)
save(figure, "confusion")

# --8<-- [start:plot-predictions]
from animecls.plotting import plot_predictions

figure = plot_predictions(X_test[:12], result.y_pred[:12], names, y_true=y_test[:12])
# --8<-- [end:plot-predictions]
save(figure, "predictions", dpi=70)

# --8<-- [start:plot-mistakes]
from animecls.plotting import plot_confident_mistakes

figure = plot_confident_mistakes(X_test, y_test, result.probabilities, names, n=6)
# --8<-- [end:plot-mistakes]
save(figure, "mistakes", dpi=70)

record.start("paired")
# --8<-- [start:paired]
from animecls.embeddings import make_baseline

pixels = make_baseline("pixels").fit(X_train, y_train)
baseline = evaluate(pixels, X_test, y_test, class_names=names)
test = mcnemar_test(y_test, result.y_pred, baseline.y_pred)
print(f"CNN {result.accuracy:.3f}, raw-pixel SVM {baseline.accuracy:.3f}")
print(
    f"only the CNN right: {test.only_a_correct}, only the SVM right: "
    f"{test.only_b_correct}, McNemar p = {test.pvalue:.3f}"
)
# --8<-- [end:paired]
record.stop()

# --8<-- [start:plot-comparison]
from animecls.plotting import plot_comparison

rows = [
    {
        "model": name,
        "test_accuracy": run.accuracy,
        "accuracy_low": run.accuracy_interval[0],
        "accuracy_high": run.accuracy_interval[1],
    }
    for name, run in [("two_layer_cnn", result), ("pixels_svm", baseline)]
]
# One panel: accuracy only (these rows have no training time).
_, ax = plt.subplots(figsize=(6, 2.2), layout="constrained")
figure = plot_comparison(rows, chance=1 / len(names), axes=[ax])
# --8<-- [end:plot-comparison]
save(figure, "comparison")

record.write(args.out)
