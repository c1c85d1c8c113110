"""The built site: it opens from disk, and its API reference links.

A classroom gets the site as a zip (or a folder on a USB stick) and opens
``index.html`` from disk: navigation and search must work from ``file://``,
which is what mkdocs-material's offline plugin is for. The API reference is
rendered by mkdocstrings from the docstrings, which must use its
cross-references (``[`name`][animecls.module.name]``), not Sphinx roles
(``:func:`name```), which it shows as literal text.

The fast tests read the sources; the others build the site once for the
module (about 10 s) and skip when the docs extra is not installed; the
browser test also needs Chromium (``apt-get install chromium``).
"""

import ast
import functools
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest
from _browser import Browser, find_chromium

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "animecls"
API_PAGES = sorted(path.stem for path in (ROOT / "docs" / "api").glob("*.md"))
SOURCES = sorted(PACKAGE.glob("*.py"))

# A Sphinx role in a source file, and the same role as mkdocstrings renders it.
ROLE = re.compile(r":(?:py:)?(?:func|mod|class|data|meth|attr|obj|exc|const):`")
RENDERED_ROLE = re.compile(
    r":(?:py:)?(?:func|mod|class|data|meth|attr|obj|exc|const):(?:<code>|`)"
)
PRIVATE_IMPORT = re.compile(
    r"^\s*(?:>>>|\.\.\.)\s+(?:from\s+animecls\._\w*\s+import|import\s+animecls\._)",
    re.MULTILINE,
)

# Files whose owner has not converted their Sphinx roles yet. Strict xfail: the
# test fails as soon as one is converted, so that it is taken off this list.
ROLES_PENDING = {}
# API pages that show those roles...
ROLE_PAGES_PENDING = {}
# ...and those with a constant that has no docstring.
CONSTANT_PAGES_PENDING = {}


def _pending(values, pending):
    return [
        pytest.param(value, marks=pytest.mark.xfail(reason=pending[key], strict=True))
        if (key := getattr(value, "name", value)) in pending
        else value
        for value in values
    ]


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mkdocs_config():
    yaml = pytest.importorskip("yaml")

    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use MkDocs' own tags (!ENV, !relative): read them as text.
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader)


def _plugins(config):
    plugins = {}
    for entry in config["plugins"]:
        if isinstance(entry, str):
            plugins[entry] = {}
        else:
            plugins.update(entry)
    return plugins


# Fast: the configuration and the sources.


def test_offline_plugin_is_on_for_every_build():
    config = _mkdocs_config()
    plugins = _plugins(config)
    assert "offline" in plugins, "mkdocs.yml: the offline plugin is missing"
    # On in every build, so that any build of the site can be zipped.
    assert (plugins["offline"] or {}).get("enabled", True) is True
    # Instant navigation fetches pages, which browsers refuse from file://.
    assert "navigation.instant" not in config["theme"].get("features", [])
    # The search shim ships with the site: no CDN in a classroom offline.
    polyfills = config["extra"]["polyfills"]
    shims = [script for script in polyfills if "iframe-worker" in script]
    assert shims, "without an iframe-worker polyfill the plugin loads it from a CDN"
    for script in shims:
        assert "://" not in script, f"{script} is fetched from the network"
        assert (ROOT / "docs" / script).is_file(), f"docs/{script} is missing"
    assert "docs/_hooks/old_urls.py" in config["hooks"]


def test_old_directory_urls_get_a_redirect_to_the_html_page():
    hook = _load(ROOT / "docs" / "_hooks" / "old_urls.py")
    assert hook.old_url("overfitting.html") == "overfitting/"
    assert hook.old_url("user-guide/models.html") == "user-guide/models/"
    # These kept their address.
    assert hook.old_url("index.html") is None
    assert hook.old_url("examples/index.html") is None
    assert hook.old_url("images/x.png") is None

    stub = hook.stub("user-guide/models.html", "https://example.org/animecls/")
    # The anchor the reader asked for (#supported-versions) survives.
    assert 'location.replace("../models.html" + location.hash)' in stub
    assert '<meta http-equiv="refresh" content="0; url=../models.html">' in stub
    assert (
        '<link rel="canonical" href="https://example.org/animecls/'
        'user-guide/models.html">'
    ) in stub
    assert '<meta name="robots" content="noindex">' in stub
    assert "canonical" not in hook.stub("changelog.html")


def test_docs_extra_formats_signatures():
    # mkdocstrings' separate_signature formats signatures with Black or Ruff,
    # and silently leaves them on one line when neither is installed.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    docs = pyproject["project"]["optional-dependencies"]["docs"]
    names = {re.split(r"[\s<>=!~\[;]", requirement)[0] for requirement in docs}
    assert names & {"ruff", "black"}, f"docs extra has no formatter: {docs}"


@pytest.mark.parametrize("path", _pending(SOURCES, ROLES_PENDING), ids=lambda p: p.name)
def test_sources_use_cross_references_not_sphinx_roles(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in enumerate(lines, 1)
        if ROLE.search(line)
    ]
    assert not found, (
        "Sphinx roles render as literal text in the API reference; write "
        "[`name`][animecls.module.name] (or a plain ``name`` for an object "
        "that is not documented):\n" + "\n".join(found)
    )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_docstring_examples_import_public_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    strings = [
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]
    found = [m.group(0).strip() for s in strings for m in PRIVATE_IMPORT.finditer(s)]
    assert not found, f"{path.name}: examples import a private module: {found}"


def test_the_checks_find_what_they_look_for():
    # The patterns above would pass on anything if they matched nothing.
    assert ROLE.search("see :func:`~animecls.datasets.load_image_folder`")
    assert ROLE.search(":mod:`animecls.models`")
    assert not ROLE.search("[`load_image_folder`][animecls.datasets.load_image_folder]")
    assert RENDERED_ROLE.search("<p>see :func:<code>load_image_folder</code></p>")
    assert PRIVATE_IMPORT.search(
        "    >>> from animecls._weights import install_weights"
    )
    assert PRIVATE_IMPORT.search(">>> import animecls._cache as cache")
    assert not PRIVATE_IMPORT.search(">>> from animecls.models import install_weights")


@functools.cache
def _griffe_package():
    griffe = pytest.importorskip("griffe")
    return griffe.load("animecls", search_paths=[str(ROOT)])


def _public_constants():
    """{module: [(name, griffe object)]} of the constants each module exports."""
    package = _griffe_package()
    constants = {}
    for name in API_PAGES:
        module = package[name]
        for export in module.exports or ():
            member = module.members[export]
            target = member.final_target if member.is_alias else member
            if target.is_attribute:
                constants.setdefault(name, []).append((export, target))
    return constants


@pytest.mark.parametrize("module", _pending(API_PAGES, CONSTANT_PAGES_PENDING))
def test_public_constants_have_docstrings(module):
    constants = _public_constants().get(module, [])
    missing = [name for name, target in constants if not target.docstring]
    # mkdocstrings shows an attribute only with a docstring: a string right
    # after the assignment (a "#:" comment is not read).
    assert not missing, (
        f"animecls.{module}: no docstring, so not in the API reference: {missing}"
    )


def test_the_constants_a_teacher_looks_up_are_found():
    found = {
        f"{m}.{name}" for m, names in _public_constants().items() for name, _ in names
    }
    expected = {
        "training.RECIPES",
        "experiments.REMEDIES",
        "leakage.DEFAULT_THRESHOLD",
        "registry.MODELS",
        "pretraining.PRETRAINING",
        "datasets.DEFAULT_CHARACTERS",
    }
    assert expected <= found, expected - found


# Slow: the built site.


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason="the docs extra is not installed")
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return site


def _page(site, name):
    return (site / "api" / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", _pending(API_PAGES, ROLE_PAGES_PENDING))
def test_api_page_shows_no_sphinx_role(site, name):
    html = _page(site, name)
    found = [
        html[max(0, m.start() - 60) : m.end() + 40]
        for m in RENDERED_ROLE.finditer(html)
    ]
    assert not found, f"api/{name}.html shows Sphinx roles as text:\n" + "\n".join(
        found
    )


def test_no_other_page_shows_a_sphinx_role(site):
    pages = [
        page
        for page in site.rglob("*.html")
        if page.relative_to(site).parts[0] not in ("api", "assets")
    ]
    assert len(pages) > 20
    found = [
        str(page.relative_to(site))
        for page in pages
        if RENDERED_ROLE.search(page.read_text("utf-8"))
    ]
    assert not found, f"pages that show Sphinx roles as text: {found}"


def test_no_page_shows_an_unfilled_fact(site):
    # docs/_hooks/facts.py fills {{ name }} from docs/_generated/facts.json.
    found = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if page.relative_to(site).parts[0] != "assets"
        and re.search(r"\{\{\s*[a-z0-9_]+\s*\}\}", page.read_text("utf-8"))
    ]
    assert not found, f"pages with an unfilled fact: {found}"
    overfitting = (site / "overfitting.html").read_text("utf-8")
    assert "Why 62,990,275 parameters memorise 103 pictures" in overfitting


def test_api_reference_links_between_pages(site):
    models = _page(site, "models")
    # A function, a module and a constant, each linked to where it is shown.
    assert 'href="datasets.html#animecls.datasets.load_image_folder"' in models
    assert 'href="registry.html#animecls.registry"' in _page(site, "comparison")
    assert 'href="#animecls.experiments.REMEDIES"' in _page(site, "experiments")
    assert 'href="training.html#animecls.training.fit_model"' in _page(site, "checks")


@pytest.mark.parametrize("module", _pending(API_PAGES, CONSTANT_PAGES_PENDING))
def test_api_page_shows_the_public_constants(site, module):
    html = _page(site, module)
    for name, _ in _public_constants().get(module, []):
        anchor = f'id="animecls.{module}.{name}"'
        assert anchor in html, f"api/{module}.html does not show {name}"
        # With its docstring below the heading, not only a name.
        section = html[html.index(anchor) :].split('class="doc doc-heading"', 2)[1]
        assert 'class="doc doc-contents' in section
        assert re.search(r"<p>\s*\S", section), f"{name} has no description"


def test_models_page_shows_the_builders_before_the_re_exports(site):
    module = _griffe_package()["models"]
    html = _page(site, "models")
    shown = re.findall(r'<h2 id="animecls\.models\.(\w+)"', html)
    assert set(shown) == set(module.exports)
    own = [name for name in shown if not module.members[name].is_alias]
    imported = [name for name in shown if module.members[name].is_alias]
    assert shown[0] == "build_two_layer_cnn"
    assert shown.index(own[-1]) < shown.index(imported[0]), shown


def test_signatures_are_formatted(site):
    html = _page(site, "models")
    start = html.index('id="animecls.models.build_two_layer_cnn"')
    signature = html[start:].split('class="doc-signature', 1)[1].split("</code>", 1)[0]
    text = re.sub(r"<[^>]+>", "", signature)
    # One parameter a line, as Ruff formats a long signature.
    assert text.count("\n") >= 9, text
    assert re.search(r"^\s+dense_units=256,$", text, re.MULTILINE), text


@pytest.mark.slow
def test_site_opens_from_disk_with_navigation_and_search(request, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium: apt-get install chromium")
    site = request.getfixturevalue("site")
    with Browser(chromium) as browser:
        page = browser.new_page()
        page.goto((site / "index.html").as_uri())
        assert page.js("document.title").endswith("animecls")

        # A link of the navigation opens the page, not a folder listing.
        page.click('a.md-nav__link[href="overfitting.html"]')
        assert page.url == (site / "overfitting.html").as_uri()
        assert page.js("document.querySelector('h1').textContent").startswith(
            "The overfitting analysis"
        )
        page.screenshot(tmp_path / "navigation.png")

        # The search index loads from file:// and answers.
        page.type_into('input[data-md-component="search-query"]', "leakage")
        count = page.wait_for(
            "document.querySelectorAll('.md-search-result__item').length"
        )
        meta = page.js("document.querySelector('.md-search-result__meta').textContent")
        page.screenshot(tmp_path / "search.png")
        assert count, (
            f"no search results from file://; the search says {meta.strip()!r}"
        )
        assert re.fullmatch(r"\d+ matching documents?", meta.strip()), meta
        first = page.js(
            "document.querySelector('.md-search-result__item a').getAttribute('href')"
        )
        page.click(".md-search-result__item a")
        assert page.url.startswith(site.as_uri()), page.url
        assert page.url.split("#")[0].endswith(".html"), (first, page.url)

        # An old directory URL, with its anchor, lands on the page.
        page.goto(
            (site / "installation" / "index.html").as_uri() + "#supported-versions"
        )
        landed = page.wait_for(
            "location.href.endsWith('/installation.html#supported-versions')"
            " && document.readyState === 'complete' && location.href"
        )
        assert landed == (site / "installation.html").as_uri() + "#supported-versions"
        assert page.js("document.getElementById('supported-versions') !== null")


WIDE_TABLE_PAGES = (
    "user-guide/comparison.html",
    "user-guide/experiments.html",
    "overfitting.html",
)


def test_measurement_tables_show_every_column_at_1280_px(request):
    # Between both sidebars the content column is 720 px wide at 1280 px;
    # docs/assets/stylesheets/measurements.css makes the comparison's eleven
    # columns and the remedies' seven fit it. (On a phone they scroll.)
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium: apt-get install chromium")
    site = request.getfixturevalue("site")
    measure = (
        "JSON.stringify([...document.querySelectorAll('.md-content table')].map("
        "t => [t.rows[0].cells.length, t.offsetWidth, "
        "(t.closest('.md-typeset__scrollwrap') || t.parentElement).clientWidth]))"
    )
    with Browser(chromium, size=(1280, 1000)) as browser:
        page = browser.new_page()
        for name in WIDE_TABLE_PAGES:
            page.goto((site / name).as_uri())
            tables = json.loads(page.js(measure))
            assert any(columns >= 7 for columns, *_ in tables), name
            hidden = [t for t in tables if t[1] > t[2] + 1]
            assert not hidden, f"{name}: tables [columns, width, box] {hidden}"


def test_figures_stay_readable_on_a_phone_and_the_page_does_not_widen(request):
    # At 390 px a figure drawn for 650 px would have 5-px labels: it keeps up
    # to 640 px and scrolls sideways in its paragraph, like the tables.
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium: apt-get install chromium")
    site = request.getfixturevalue("site")
    measure = (
        "JSON.stringify([document.documentElement.scrollWidth, "
        "[...document.querySelectorAll('.md-content p > img')].map("
        "i => [i.naturalWidth, i.getBoundingClientRect().width])])"
    )
    with Browser(chromium, size=(390, 900)) as browser:
        page = browser.new_page()
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 900, "deviceScaleFactor": 1, "mobile": True},
        )
        page.goto((site / "user-guide" / "comparison.html").as_uri())
        page.wait_for("document.readyState === 'complete'")
        width, figures = json.loads(page.js(measure))
        assert width <= 390, f"the page itself is {width} px wide"
        wide = [(n, shown) for n, shown in figures if n >= 640]
        assert wide, figures
        assert all(shown >= 639 for _, shown in wide), wide
