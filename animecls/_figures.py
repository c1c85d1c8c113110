"""The one rule of what a plot returns: the Figure its Axes belong to.

Shared by [`animecls.plotting`][] and the plots of [`animecls.leakage`][]
and [`animecls.interpretation`][], so every ``plot_*`` function of the
package returns the same kind of object.
"""

import numpy as np

__all__ = ["figure_of"]


def figure_of(axes):
    """Return the one Figure that ``axes`` (one Axes or several) belong to.

    The root figure, not a subfigure: only a Figure can be saved.
    """
    figures = []
    for ax in np.ravel(np.asarray(axes, dtype=object)):
        figure = ax.get_figure(root=True)
        if not any(figure is known for known in figures):
            figures.append(figure)
    if len(figures) != 1:
        # With Axes of two figures, which one to return would be a guess.
        raise ValueError(
            "axes must all belong to one figure. Received: Axes of "
            f"{len(figures)} figures"
        )
    return figures[0]
