"""Image classification on tiny data sets, taught through anime characters.

``import animecls`` is light on purpose: it does not import TensorFlow. The
modules that need Keras ([`animecls.models`][], [`animecls.embeddings`][])
import it themselves when you import them.

Modules
-------
datasets
    Load a folder of pictures (one sub-folder per character) and generate the
    embedded default data set of drawn characters.
models
    Keras builders for the report's networks, saving, loading and predicting
    (imports TensorFlow).
training
    The report's training recipes, seeded, and fast training of a frozen
    base's head on features computed once (imports TensorFlow).
pretraining
    Pretrain the drawn backbone animecls ships on identities it draws
    itself: transfer learning with no download (imports TensorFlow).
registry
    Every model animecls can train and compare, in one place.
embeddings
    VGG16 embeddings and classical features as scikit-learn transformers,
    and SVM pipelines on them (imports TensorFlow).
evaluation
    Accuracy with confidence intervals, McNemar's test, the generalization
    gap.
plotting
    Training curves, confusion matrices, prediction grids, comparisons and
    the experiments' figures, each with its chance line.
comparison
    Every model on one split, compared honestly (``animecls compare``).
experiments
    Learning curves over data size, repeated splits, remedies and the
    shortcut-learning demo, each over several seeds.
checks
    ``check_model``, a lint for the report's kinds of mistakes before
    training, and the shuffled-labels memorising test.
leakage
    Exact and near-duplicate pictures across a split (perceptual hashes), and
    a split that keeps duplicates together.
interpretation
    Grad-CAM heat maps of what a network looks at (imports TensorFlow).
cli
    The ``animecls`` command.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
