"""What animecls records about a model, kept in one place for every kind of model.

A Keras network and a scikit-learn pipeline carry the same record, under the
same attribute, read and written only through ``set_info`` and
[`get_info`][animecls.models.get_info]: the builders, the training recipes,
[`save_model`][animecls.models.save_model] and
[`load_model`][animecls.models.load_model] all go through here, so the record
has one layout whatever made the model.
"""

import json

__all__ = ["INFO_ATTRIBUTE", "get_info", "set_info"]

#: The attribute that holds the record. Private on the model, so that
#: scikit-learn does not take it for a fitted attribute (those end in ``_``)
#: and Keras does not serialise it (``save_model`` writes it instead).
INFO_ATTRIBUTE = "_animecls_info"


def set_info(model, **info):
    """Add entries to what animecls records about ``model``.

    Parameters
    ----------
    model : keras.Model or sklearn.pipeline.Pipeline
        The model to annotate, in place.
    **info
        JSON-ready entries; each replaces an entry of the same name.
    """
    current = dict(getattr(model, INFO_ATTRIBUTE, None) or {})
    current.update(info)
    setattr(model, INFO_ATTRIBUTE, current)


def get_info(model):
    """Return what animecls recorded about a model, as a plain dict.

    Parameters
    ----------
    model : keras.Model or sklearn.pipeline.Pipeline
        A model from
        [`build_two_layer_cnn`][animecls.models.build_two_layer_cnn],
        [`build_vgg16_transfer`][animecls.models.build_vgg16_transfer] or
        [`load_model`][animecls.models.load_model].

    Returns
    -------
    info : dict
        A copy, with the same layout for a network and a pipeline. A built
        network holds its builder, weights (``"imagenet"``, ``"none"`` or a
        path with its sha256), preprocessing and, after training, the recipe
        and fit time. A loaded model adds ``"saved"``: the metadata of its
        file (kind, class names, input shape, versions). A pipeline with a
        [`VGG16Embedder`][animecls.embeddings.VGG16Embedder] records its
        weights when saved. Empty for a model animecls did not build or load.

    Examples
    --------
    >>> from animecls.models import build_two_layer_cnn, get_info
    >>> get_info(build_two_layer_cnn((32, 32, 3)))["builder"]
    'build_two_layer_cnn'
    """
    return json.loads(json.dumps(getattr(model, INFO_ATTRIBUTE, None) or {}))
