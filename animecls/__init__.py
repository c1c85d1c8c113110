"""Image classification on tiny data sets, taught through anime characters.

``import animecls`` is light on purpose: it does not import TensorFlow. The
modules that need Keras (:mod:`animecls.models`, :mod:`animecls.embeddings`)
import it themselves when you import them.

Modules
-------
datasets
    Load a folder of pictures (one sub-folder per character) and generate the
    embedded default data set of drawn characters.
models
    Keras builders for the report's networks.
cli
    The ``animecls`` command.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
