"""Take screenshots of the built site, as a reader would see it.

Opens pages of a built site (``mkdocs build``) in Debian's headless
chromium at a desktop and a phone width and saves one PNG per page and
width, to look at before publishing (they are not committed)::

    mkdocs build --strict --site-dir /tmp/site
    python docs/_scripts/screenshots.py [OUT_DIR] [--site /tmp/site] [--page PATH]

``OUT_DIR`` defaults to ``/tmp/animecls-screens``. ``--page`` (repeatable)
replaces the default pages (the home page, the overfitting analysis and the
comparison guide), e.g.
``--page user-guide/models/``; ``--height 6000`` shows more of each page
than a screen does, and ``--tiles`` also cuts such a tall screenshot into
screen-sized pieces (``<page>-<device>-01.png``...), which are easier to look
at one by one. Chromium is only needed here, never by the tests; install it
with ``apt-get install chromium``.
"""

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile

PAGES = ("", "overfitting/", "user-guide/comparison/")
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium not found: apt-get install -y chromium")


def _name(page, device):
    stem = page.strip("/").replace("/", "-") or "home"
    return f"{stem}-{device}.png"


def page_file(site, page):
    """Return the HTML file of ``page`` (e.g. ``"overfitting/"``) in ``site``.

    The offline plugin writes ``overfitting.html``; ``overfitting/index.html``
    is then only a redirect to it (or, in a build with directory URLs, the
    page itself).
    """
    stem = page.strip("/")
    if stem and (site / f"{stem}.html").is_file():
        return site / f"{stem}.html"
    return site / stem / "index.html"


def screenshot(browser, url, out, size):
    """Save a screenshot of ``url`` at ``size`` (width, height) to ``out``."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={out}",
                url,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def cut_into_tiles(path, tile_height):
    """Save ``path`` as screen-sized pieces next to it; return their paths."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        tiles = []
        for number, top in enumerate(range(0, height, tile_height), start=1):
            tile = path.with_name(f"{path.stem}-{number:02d}.png")
            image.crop((0, top, width, min(top + tile_height, height))).save(tile)
            tiles.append(tile)
    return tiles


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="/tmp/animecls-screens")
    parser.add_argument("--site", default="site", help="built site folder")
    parser.add_argument("--page", action="append", help="page path in the site")
    parser.add_argument(
        "--height", type=int, help="window height, e.g. 6000 to see a whole page"
    )
    parser.add_argument(
        "--tiles", action="store_true", help="also cut tall screenshots into screens"
    )
    args = parser.parse_args(argv)
    site = pathlib.Path(args.site).resolve()
    if not (site / "index.html").is_file():
        sys.exit(f"no built site at {site}: run mkdocs build first")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    browser = _chromium()
    for page in args.page or PAGES:
        url = page_file(site, page).as_uri()
        for device, size in WIDTHS.items():
            path = out / _name(page, device)
            screenshot(browser, url, path, (size[0], args.height or size[1]))
            print(path)
            if args.tiles and (args.height or 0) > size[1]:
                for tile in cut_into_tiles(path, size[1]):
                    print(tile)


if __name__ == "__main__":
    main()
