"""Training histories as plain dicts, shared by evaluation and plotting.

A private helper module: its names have no leading underscore because other
modules import them. Imports nothing from Keras, so the light layer can read
a history without loading TensorFlow.
"""

__all__ = ["history_dict"]


def history_dict(history):
    """Return the per-epoch metrics of ``history`` as a dict of float lists.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        The object ``model.fit`` returns, or its ``.history`` dict.

    Returns
    -------
    metrics : dict
        Each metric name mapped to its per-epoch values, as Python floats.

    Examples
    --------
    >>> history_dict({"loss": [1, 0.5]})
    {'loss': [1.0, 0.5]}
    """
    metrics = getattr(history, "history", history)
    if not isinstance(metrics, dict):
        raise TypeError(
            "history must be a keras History or a dict of per-epoch lists. "
            f"Received: {type(history).__name__}"
        )
    return {key: [float(v) for v in values] for key, values in metrics.items()}
