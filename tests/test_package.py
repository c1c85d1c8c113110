import pathlib
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import animecls

ROOT = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def lower_bounds(requirements):
    """Map each requirement's name to the version of its ``>=`` bound."""
    bounds = {}
    for line in requirements:
        requirement = Requirement(line)
        (bound,) = [spec for spec in requirement.specifier if spec.operator == ">="]
        bounds[canonicalize_name(requirement.name)] = Version(bound.version)
    return bounds


def minimum_python():
    (bound,) = [
        spec
        for spec in Requirement(f"python {PROJECT['requires-python']}").specifier
        if spec.operator == ">="
    ]
    return bound.version


def test_version_is_a_string():
    assert isinstance(animecls.__version__, str) and animecls.__version__


def test_import_does_not_pull_tensorflow():
    # A fresh interpreter: this test process may already have imported TF.
    code = (
        "import sys, animecls, animecls.datasets, animecls.cli, animecls.leakage, "
        "animecls.checks; "
        "bad = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_version_comes_from_one_place():
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "animecls/__init__.py"
    Version(animecls.__version__)  # a valid PEP 440 version


def test_changelog_heads_with_this_version():
    changelog = (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)
    assert releases, "docs/changelog.md has no '## [VERSION]' heading"
    # 0.1.0.dev0 is on its way to 0.1.0: the changelog collects it there.
    assert releases[0] == Version(animecls.__version__).base_version
    assert PROJECT["urls"]["Changelog"].endswith("/changelog/")


def test_lowest_constraints_pin_the_lower_bounds():
    # .ci/run-lowest installs these pins; testing them tests the bounds only
    # if the two lists say the same thing.
    lines = (ROOT / ".ci" / "lowest-constraints.txt").read_text(encoding="utf-8")
    pins = {}
    for line in lines.splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (pin,) = requirement.specifier
            assert pin.operator == "==", line
            pins[canonicalize_name(requirement.name)] = Version(pin.version)
    assert pins == lower_bounds(PROJECT["dependencies"])


def test_documents_state_the_minimum_python():
    sentence = f"Python {minimum_python()} or newer"
    for document in ("README.md", "docs/installation.md"):
        text = (ROOT / document).read_text(encoding="utf-8")
        assert sentence in text, f"{document} does not say {sentence!r}"
    workflow = (ROOT / ".github" / "workflows" / "tests.yml").read_text("utf-8")
    assert f'python: "{minimum_python()}"' in workflow


@pytest.mark.slow
def test_built_wheel_and_sdist(tmp_path):
    pytest.importorskip("build")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    version = animecls.__version__
    wheel = tmp_path / f"animecls-{version}-py3-none-any.whl"
    sdist = tmp_path / f"animecls-{version}.tar.gz"

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = Parser().parsestr(
            archive.read(f"animecls-{version}.dist-info/METADATA").decode()
        )
    # The package's modules, the drawn backbone's weights and record, and its
    # metadata, nothing else: no tests, docs figures, caches or compiled files.
    package = [name for name in names if not name.startswith(f"animecls-{version}.")]
    shipped = {
        "animecls/_data/drawn_backbone.weights.h5",
        "animecls/_data/drawn_backbone.json",
    }
    assert shipped <= set(package)
    assert all(re.fullmatch(r"animecls/\w+\.py", n) or n in shipped for n in package)
    assert metadata["Version"] == version
    assert metadata["Requires-Python"] == PROJECT["requires-python"]
    required = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert lower_bounds(required) == lower_bounds(PROJECT["dependencies"])
    assert f"Changelog, {PROJECT['urls']['Changelog']}" in metadata.get_all(
        "Project-URL"
    )

    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    # What a packager needs to run the tests and build the docs.
    for needed in (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "mkdocs.yml",
        "tests/conftest.py",
        "docs/changelog.md",
        "docs/images/characters-grid.png",
        "examples/plot_compare_models.py",
        ".ci/lowest-constraints.txt",
    ):
        assert needed in members
    assert not [m for m in members if "__pycache__" in m or m.startswith("runs/")]

    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
    )
    if "No module named twine" not in twine.stderr:
        assert twine.returncode == 0, twine.stdout + twine.stderr
