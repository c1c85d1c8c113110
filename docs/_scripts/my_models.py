r"""Two models of a student's own, to put beside the built-in ones.

The comparison guide shows this file and runs it (``own_model_results.py``);
from the shell, in this folder::

    animecls compare --image-size 96 --epochs 30 --models two_layer_cnn,pixels_svm \
        --model my_models:small_cnn --model my_models:thumbnail_logistic
"""

# --8<-- [start:models]
import keras
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from animecls.embeddings import RawPixels


def small_cnn(input_shape, num_classes):
    """A CNN with global pooling: a few thousand weights instead of millions."""
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Rescaling(1 / 255)(inputs)
    for filters in (16, 32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def thumbnail_logistic():
    """Logistic regression on 16x16 thumbnails: a scikit-learn estimator."""
    return make_pipeline(
        RawPixels(image_size=(16, 16)),
        StandardScaler(),
        LogisticRegression(C=0.1, max_iter=1000),
    )


# --8<-- [end:models]
