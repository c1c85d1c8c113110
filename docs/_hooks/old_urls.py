"""MkDocs hook: keep the site's old directory URLs working.

The offline plugin (``mkdocs.yml``) turns ``use_directory_urls`` off, so that
the built site opens from disk: a page is ``overfitting.html``, not
``overfitting/index.html``, since a browser shows a folder listing, not the
page, for a ``file://`` folder. Links written before that (the README, the
package's metadata on PyPI, the notebooks, bookmarks) point at
``overfitting/`` and ``installation/#supported-versions``: for each page this
hook writes ``overfitting/index.html``, a stub that sends the reader on to
``../overfitting.html`` with the ``#anchor`` they asked for. Search engines
are told the new address (``rel=canonical``) and not to index the stub.
"""

import html
import json
import logging
import posixpath
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.old_urls")

#: Marks the stubs, so that a rebuild into the same folder replaces them.
GENERATOR = "animecls old_urls hook"

_pages = []

STUB = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="robots" content="noindex">
<meta name="generator" content="{generator}">
{canonical}<script>location.replace({target_js} + location.hash)</script>
<meta http-equiv="refresh" content="0; url={target}">
</head>
<body>
<p>This page is now at <a href="{target}">{target}</a>.</p>
</body>
</html>
"""


def old_url(dest_uri):
    """Return the folder a page had with directory URLs, or None.

    ``overfitting.html`` had ``overfitting/``; ``index.html`` and
    ``examples/index.html`` kept their address and need no stub.
    """
    stem, ext = posixpath.splitext(dest_uri)
    if ext != ".html" or posixpath.basename(stem) == "index":
        return None
    return stem + "/"


def stub(dest_uri, site_url=""):
    """Return the HTML that sends ``old_url(dest_uri)`` on to ``dest_uri``."""
    target = "../" + posixpath.basename(dest_uri)
    canonical = ""
    if site_url:
        href = html.escape(site_url.rstrip("/") + "/" + dest_uri, quote=True)
        canonical = f'<link rel="canonical" href="{href}">\n'
    return STUB.format(
        title=html.escape(f"Moved to {dest_uri}"),
        generator=GENERATOR,
        canonical=canonical,
        target=html.escape(target, quote=True),
        # Inside <script>, "</" would end the element: escape the slash.
        target_js=json.dumps(target).replace("</", "<\\/"),
    )


def on_files(files, config):
    """Remember where each page is written."""
    _pages.clear()
    _pages.extend(file.dest_uri for file in files.documentation_pages())
    return files


def on_post_build(config):
    """Write a stub at each page's old address, unless a file is there."""
    site = Path(config["site_dir"])
    written = 0
    for dest_uri in _pages:
        folder = old_url(dest_uri)
        if folder is None:
            continue
        path = site / folder / "index.html"
        if path.exists() and GENERATOR not in path.read_text("utf-8"):
            log.warning("Not redirecting %s: %s already exists", folder, path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(stub(dest_uri, config.get("site_url") or ""), "utf-8")
        written += 1
    log.info("Wrote %d redirects from directory URLs to .html pages", written)
