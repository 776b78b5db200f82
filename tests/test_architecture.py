"""The layers of the package: estimator -> network / training -> kernels, and no import cycle.

Every ``import`` statement of every module of ``skdeep/`` (also those inside functions) is read
with :mod:`ast`, so the rules hold for what the code says, not for what one run happens to
import.
"""

import ast
from pathlib import Path

import pytest

import skdeep

PACKAGE_DIR = Path(skdeep.__file__).resolve().parent

# The training layer: the only modules outside the kernels that may call them. Every other
# module (the estimators and everything built on them, present and future) may not.
TRAINING_LAYER = {"skdeep._training", "skdeep._inference", "skdeep._data_init"}


def _module_name(path):
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Absolute names of the ``skdeep`` modules that ``path`` imports (any nesting level)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            if node.module:
                found.add(module)
            # "from . import x" and "from .pkg import mod" may name modules, not attributes.
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                if candidate in MODULES:
                    found.add(candidate)
    # A module's own ancestors are imported before it by Python itself: not edges.
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return {m for m in found if m == "skdeep" or m.startswith("skdeep.")} - {name} - ancestors


MODULES = {_module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def test_the_graph_sees_the_package():
    # The rules below would hold vacuously for an empty or wrongly parsed graph.
    assert {"skdeep._mlp", "skdeep._network", "skdeep._kernels._epoch"} <= set(MODULES)
    assert "skdeep._training" in GRAPH["skdeep._mlp"]
    assert "skdeep._network" in GRAPH["skdeep._kernels._epoch"]
    assert "skdeep._kernels._epoch" in GRAPH["skdeep._training"]
    assert {"skdeep._mlp", "skdeep.model_selection", "skdeep._cli"} <= set(ABOVE_THE_ENGINE)


ABOVE_THE_ENGINE = sorted(
    m for m in MODULES if m not in TRAINING_LAYER and not m.startswith("skdeep._kernels")
)


@pytest.mark.parametrize("module", ABOVE_THE_ENGINE)
def test_the_estimator_layer_never_imports_the_kernels(module):
    kernels = sorted(m for m in GRAPH[module] if m.startswith("skdeep._kernels"))
    assert kernels == [], f"{module} imports {kernels}"


def test_the_network_description_imports_no_other_module_of_the_package():
    assert GRAPH["skdeep._network"] == set()
    source = MODULES["skdeep._network"].read_text()
    assert "numba" not in {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    }


def test_kernels_import_only_kernels_and_the_network_description():
    for module, imported in GRAPH.items():
        if module.startswith("skdeep._kernels"):
            outside = {
                m
                for m in imported
                if not m.startswith("skdeep._kernels") and m != "skdeep._network"
            }
            assert outside == set(), f"{module} imports {sorted(outside)}"


def test_no_import_cycle():
    # Depth-first search; a back edge is a cycle.
    state = {}
    path = []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                cycle = path[path.index(target) :] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
