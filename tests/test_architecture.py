"""The package's layers, checked from its source: no import cycles, no reaching
into another module's private names, and a light data layer.

Every import counts, the ones inside functions too: a function-level import
only postpones a cycle, it does not remove it.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "animecls"

# Modules that must not import Keras or TensorFlow, directly or through
# another animecls module (checked in a fresh interpreter below).
LIGHT = (
    "animecls",
    "animecls.datasets",
    "animecls.registry",
    "animecls.evaluation",
    "animecls.cli",
)


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module, node):
    """Absolute name of what ``node`` (an ImportFrom) imports from."""
    if node.level == 0:
        return node.module
    package = module.split(".")
    if not _modules()[module].name == "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module, path):
    """Yield ``(imported module, name or None, line)`` for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("animecls"):
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            if not source or not source.startswith("animecls"):
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in _modules():
                    yield submodule, None, node.lineno
                else:
                    yield source, alias.name, node.lineno


def _graph():
    graph = {}
    for module, path in _modules().items():
        graph[module] = {
            target
            for target, _, _ in _imports(module, path)
            if target != module and target in _modules() and target != "animecls"
        }
    return graph


def test_no_import_cycles():
    graph = _graph()
    cycles = []
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_private_names_stay_in_their_module():
    """A private name is imported only from a private module made to share it."""
    crossings = []
    for module, path in _modules().items():
        for source, name, line in _imports(module, path):
            if name is None or not name.startswith("_") or name.startswith("__"):
                continue
            if not source.split(".")[-1].startswith("_"):
                crossings.append(f"{path.name}:{line} imports {name} from {source}")
    assert crossings == []


def test_no_private_attribute_of_another_public_module():
    """``from . import x`` then ``x._name`` reaches into ``x`` as well."""
    crossings = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level >= 1
            for alias in node.names
            if not alias.name.startswith("_")
            and f"{_resolve(module, node)}.{alias.name}" in _modules()
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                crossings.append(
                    f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}"
                )
    assert crossings == []


@pytest.mark.parametrize("module", LIGHT)
def test_light_modules_import_no_tensorflow(module):
    code = (
        f"import sys, {module}; "
        "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def _diagram():
    """``{module: layer number}`` from docs/architecture.md, 0 the lowest layer."""
    page = PACKAGE.parent / "docs" / "architecture.md"
    block = page.read_text(encoding="utf-8").split("```text", 1)[1].split("```")[0]
    rows = [line for line in block.splitlines() if line.strip(" │")]
    layers = {}
    level = 0
    for line in rows:  # the top layer first; a layer may take several lines
        label, names = line[:14].strip(), line[14:].split()
        level -= bool(label)
        for name in names:
            # "_engine: resolve_models, ..." names what the module holds.
            layers[f"animecls.{name.strip('():')}"] = level
            if name.endswith(":"):
                break
    return {module: number - level for module, number in layers.items()}


def test_the_diagram_names_every_module_in_its_layer():
    """docs/architecture.md's diagram lists each module once, below what imports it."""
    layers = _diagram()
    modules = set(_modules()) - {"animecls", "animecls.__main__"}
    assert sorted(modules - set(layers)) == [], "modules missing from the diagram"
    upward = [
        f"{module} (layer {layers[module]}) imports {target} (layer {layers[target]})"
        for module, targets in _graph().items()
        if module in layers
        for target in targets
        if target in layers and layers[target] > layers[module]
    ]
    assert upward == []
