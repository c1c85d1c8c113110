"""The code and outputs shown in the models guide (docs/user-guide/models.md).

The page includes the marked sections of this file and, below each, what it
printed (``docs/_generated/models-<section>.txt``). The test suite runs it.
It works in a temporary folder and leaves nothing behind; about 20 seconds on
two CPU cores::

    python docs/_scripts/models_guide.py [--out DIR]

``--out DIR`` writes the printed outputs to ``DIR`` instead of
``docs/_generated`` (the test uses it to compare them with the committed
files). Everything runs offline: the VGG16 models use random weights
(``weights=None``), which changes their accuracy but not their structure.
"""

import argparse
import contextlib
import os
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from guide_outputs import DOCS, Recorder  # noqa: E402

from animecls.cli import main as animecls_main  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=str(DOCS / "_generated"))
parser.add_argument("--checked-only", action="store_true")
args = parser.parse_args(sys.argv[1:])
record = Recorder("models")
home = os.getcwd()
workdir = tempfile.TemporaryDirectory()
os.chdir(workdir.name)


def finish():
    """Leave the temporary folder, delete it and write the outputs."""
    os.chdir(home)
    workdir.cleanup()
    record.write(args.out)


record.start("cnn-parameters", checked=True)
# --8<-- [start:cnn-parameters]
from animecls.models import build_two_layer_cnn


def show_parameters(model):
    """Print each layer's number of parameters and output shape."""
    print(f"{'layer':<12} {'parameters':>11}  output shape")
    for layer in model.layers:
        print(f"{layer.name:<12} {layer.count_params():>11,}  {layer.output.shape}")
    print(f"{'total':<12} {model.count_params():>11,}")


report_cnn = build_two_layer_cnn()  # the report's network, for 250x250 pictures
show_parameters(report_cnn)
# --8<-- [end:cnn-parameters]
record.stop()

record.start("cnn-share", checked=True)
# --8<-- [start:cnn-share]
from animecls.datasets import make_characters, split_indices

# The report's split: 70/30, then the last 20% of the training part validates.
n_fit = len(split_indices(make_characters()).train)
dense = report_cnn.get_layer("dense").count_params()
print(f"Dense(256) holds {dense / report_cnn.count_params():.2%} of the parameters")
print(f"{report_cnn.count_params() / n_fit:,.0f} parameters per training picture")
print(f"({n_fit} training pictures)")
# --8<-- [end:cnn-share]
record.stop()
assert report_cnn.count_params() == 62_990_275

record.start("cnn-avg", checked=True)
# --8<-- [start:cnn-avg]
small_cnn = build_two_layer_cnn(pooling="avg")
show_parameters(small_cnn)
# --8<-- [end:cnn-avg]
record.stop()
del report_cnn  # 63 million weights: free them before building VGG16

record.start("vgg16-parameters", checked=True)
# --8<-- [start:vgg16-parameters]
from animecls.models import build_vgg16_transfer

# weights=None starts from random weights, so this runs offline; for real work
# keep the default, weights="imagenet".
vgg = build_vgg16_transfer((256, 256, 3), weights=None)
show_parameters(vgg)
trainable = sum(int(w.numpy().size) for w in vgg.trainable_weights)
print(f"trainable: {trainable:,} (the head); frozen: the 'vgg16' base")
# --8<-- [end:vgg16-parameters]
record.stop()
record.start("weights-info", checked=True)
# --8<-- [start:weights-info]
from animecls.models import get_info

print(get_info(vgg)["builder"], get_info(vgg)["weights"])
# --8<-- [end:weights-info]
record.stop()

record.start("weights-install-help", checked=True)
# argparse wraps help text to the terminal width; pin it for a stable file.
os.environ["COLUMNS"] = "88"
print("$ animecls weights install --help")
with contextlib.suppress(SystemExit):
    animecls_main(["weights", "install", "--help"])
record.stop()

if args.checked_only:  # the test's quick run; what follows trains networks
    finish()
    sys.exit()
del vgg

# --8<-- [start:data]
from sklearn.model_selection import train_test_split

from animecls.datasets import make_characters

# 64x64 pictures keep every example on this page to a few seconds on a CPU.
data = make_characters(image_size=(64, 64), random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.images, data.target, test_size=0.3, random_state=42, stratify=data.target
)
# --8<-- [end:data]

record.start("transfer-head")
# --8<-- [start:transfer-head]
import keras

from animecls.training import fit_transfer_head

keras.utils.set_random_seed(0)  # the same initial head on every run
model = build_vgg16_transfer((64, 64, 3), weights=None)
history = fit_transfer_head(model, X_train, y_train, epochs=10, verbose=0)
print(f"VGG16 features: {history.extraction_time:.1f} s, computed once")
print(f"extraction and 10 epochs: {history.fit_time:.1f} s")
train, val = history.history["accuracy"][-1], history.history["val_accuracy"][-1]
print(f"final accuracy: train {train:.2f}, validation {val:.2f}")
# --8<-- [end:transfer-head]
record.stop()

record.start("finetune")
# --8<-- [start:finetune]
from animecls.models import unfreeze_top
from animecls.training import fit_model

unfreeze_top(model, from_layer="block5_conv1")
base = model.get_layer("vgg16")
print("training:", [layer.name for layer in base.layers if layer.trainable])
history = fit_model(
    model, X_train, y_train, recipe="vgg16_finetune", epochs=2, verbose=0
)
print(f"fine-tuning: {history.fit_time:.1f} s for 2 epochs")
# --8<-- [end:finetune]
record.stop()

record.start("fit-options")
# --8<-- [start:fit-options]
import tensorflow as tf

from animecls.datasets import train_validation_split
from animecls.models import build_two_layer_cnn

# An unbalanced class project: 40, 20 and 10 pictures of the three characters.
small = make_characters([40, 20, 10], image_size=(64, 64), random_state=1)
x_fit, x_val, y_fit, y_val = train_validation_split(small.images, small.target)
# Batches of (pictures, class numbers), as image_dataset_from_folder streams.
batches = tf.data.Dataset.from_tensor_slices((x_fit, y_fit))
keras.utils.set_random_seed(0)
cnn = build_two_layer_cnn((64, 64, 3), pooling="avg")
history = fit_model(
    cnn,
    batches.shuffle(len(x_fit), seed=0).batch(16),
    validation_data=(x_val, y_val),
    epochs=5,
    class_weight="balanced",  # each class weighs as much in the loss
    callbacks=[keras.callbacks.CSVLogger("epochs.csv")],
    early_stopping=2,
    verbose=0,
)
print("class weights:", [round(w, 2) for w in history.settings["class_weights"]])
print("callbacks:", history.settings["callbacks"], "and early stopping")
print(f"trained {history.epochs_trained} epochs, validated on {history.n_val}")
# --8<-- [end:fit-options]
record.stop()

record.start("embedding-svm")
# --8<-- [start:embedding-svm]
from animecls.embeddings import VGG16Embedder, make_baseline, make_embedding_svm

embedder = VGG16Embedder(weights=None, image_size=(64, 64), verbose=0)
vgg_svm = make_embedding_svm(embedder).fit(X_train, y_train)
pixels_svm = make_baseline("pixels").fit(X_train, y_train)
print(f"VGG16 embeddings + SVM: test accuracy {vgg_svm.score(X_test, y_test):.3f}")
print(f"raw pixels + SVM:       test accuracy {pixels_svm.score(X_test, y_test):.3f}")
# --8<-- [end:embedding-svm]
record.stop()

record.start("grid-search")
# --8<-- [start:grid-search]
import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

E_train = embedder.transform(X_train)  # VGG16 runs once, not once per fold
search = GridSearchCV(
    make_pipeline(StandardScaler(), SVC(kernel="linear")),
    {"svc__C": np.logspace(-4, 1, 6)},
    cv=5,
).fit(E_train, y_train)
print(f"best C: {search.best_params_['svc__C']:g}")
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy: {search.score(embedder.transform(X_test), y_test):.3f}")
# --8<-- [end:grid-search]
record.stop()

record.start("save-predict")
# --8<-- [start:save-predict]
from animecls.models import load_model, predict, save_model

keras.utils.set_random_seed(0)
cnn = build_two_layer_cnn((64, 64, 3))
fit_model(cnn, X_train, y_train, epochs=10, verbose=0)
save_model(cnn, "cnn.keras", class_names=data.class_names)

again = load_model("cnn.keras")
result = predict(again, X_test[:4])
for label, row in zip(result.labels, result.probabilities, strict=True):
    print(f"{label:<18} {row.round(2)}")
print("true:", [data.class_names[k] for k in y_test[:4]])
# --8<-- [end:save-predict]
record.stop()

# Pictures on disk for the command-line prediction below.
from PIL import Image  # noqa: E402

os.makedirs("new pictures")
for index, picture in enumerate(X_test[:3]):
    Image.fromarray(picture).save(os.path.join("new pictures", f"{index:03d}.png"))

record.start("predict-cli")
print('$ animecls predict cnn.keras "new pictures"')
animecls_main(["predict", "cnn.keras", "new pictures"])
record.stop()

record.start("save-pipeline")
# --8<-- [start:save-pipeline]
save_model(
    pixels_svm, "pixels-svm.skops", class_names=data.class_names, image_size=(64, 64)
)
loaded = load_model("pixels-svm.skops")  # only animecls' known classes: no pickle
print(predict(loaded, X_test[:4]).labels)
# --8<-- [end:save-pipeline]
record.stop()

finish()
