"""Draw ``docs/images/characters-grid.png``: samples of the embedded default.

The README and the docs show this picture. It is the first six pictures of
each character in ``make_characters()`` with its defaults, so what the figure
shows is exactly the default data set, nuisances included. Regenerate it
after changing the drawing code::

    python docs/_scripts/characters_grid.py
"""

import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from animecls._characters import make_characters

OUTPUT = pathlib.Path(__file__).resolve().parents[1] / "images" / "characters-grid.png"
N_COLUMNS = 6


def main(output=OUTPUT):
    data = make_characters()
    n_rows = len(data.class_names)
    fig, axes = plt.subplots(
        n_rows,
        N_COLUMNS,
        figsize=(9, 1.62 * n_rows + 0.2),
        gridspec_kw={"wspace": 0.04, "hspace": 0.2},
    )
    for row, name in enumerate(data.class_names):
        images = data.images[data.target == row][:N_COLUMNS]
        for col, image in enumerate(images):
            ax = axes[row, col]
            ax.imshow(image)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[row, 0].set_title(name, loc="left", fontsize=11, pad=4)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.95, bottom=0.01)
    output = pathlib.Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    # 9 inches at 100 dpi: about 900 pixels wide.
    fig.savefig(output, dpi=100)
    plt.close(fig)
    return output


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
