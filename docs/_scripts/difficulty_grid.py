"""Draw ``docs/images/difficulty-levels.png``: one character at each level.

The data guide shows it beside the calibration table. Regenerate it after
changing the drawing code::

    python docs/_scripts/difficulty_grid.py
"""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from animecls.datasets import make_characters
from animecls.plotting import plot_image_grid

OUTPUT = (
    pathlib.Path(__file__).resolve().parents[1] / "images" / "difficulty-levels.png"
)
LEVELS = ("easy", "default", "hard")
N_COLUMNS = 6


def main(output=OUTPUT):
    fig, axes = plt.subplots(
        len(LEVELS), N_COLUMNS, figsize=(9, 4.9), layout="constrained"
    )
    for row, level in enumerate(LEVELS):
        data = make_characters(2 * N_COLUMNS, image_size=(128, 128), difficulty=level)
        # Two pictures of each character, so every row shows all three.
        picks = [
            k for c in range(3) for k in (c * 2 * N_COLUMNS, c * 2 * N_COLUMNS + 1)
        ]
        plot_image_grid(data.images[picks], axes=axes[row])
        axes[row, 0].set_title(f'difficulty="{level}"', loc="left", fontsize=11)
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output


if __name__ == "__main__":
    print("wrote", main())
