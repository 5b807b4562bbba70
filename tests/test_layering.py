"""Imports point down: every import inside the package goes to a layer below the importing one.

The layers are those of docs/ARCHITECTURE.md, bottom first. Imports inside a function count as
much as those at the top of a file (they are read with `ast`, never executed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import convnet

SRC = Path(convnet.__file__).parent

# Bottom first. A module is placed by the longest entry its dotted name starts with; the core
# modules share one layer (they build the Tensor together) and may import one another.
CORE = ("_dtypes", "_tensor", "autograd", "_ops", "_functions", "random", "arith", "kernels")
LAYERS: list[tuple[str, ...]] = [
    ("errors",),
    ("io.atomic",),  # atomic writes: every layer that saves a file uses them
    CORE,
    ("nn",),
    ("optim",),
    ("filters",),
    ("models",),
    ("data",),
    ("inspect",),
    ("tiling",),
    ("onnx",),
    ("io",),  # model files: checkpoints, PyTorch weights, convnet.load (which reads .onnx too)
    ("train",),
    ("viz",),  # the end-of-training report evaluates the model: viz uses train, never the reverse
    ("web",),
    ("cli",),
    ("",),  # convnet/__init__.py: the public names
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def layer_of(module: str) -> str:
    """The LAYERS entry for a dotted name inside the package ('' for the package itself)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in RANK:
            return ".".join(parts[:n])
    return ""


def imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name inside convnet) of every import in `source`, relative ones resolved."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            mod = ".".join([*base, node.module] if node.module else base)
            # `from . import x` imports the module x; `from .m import x` imports from m
            names = [f"{mod}.{a.name}" for a in node.names] if node.module is None else [mod]
        else:
            continue
        found += [(node.lineno, n[len("convnet.") :]) for n in names if n.startswith("convnet.")]
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in `source` (the module `module`, dotted, without 'convnet.') that points up
    or sideways to another layer."""
    mine = layer_of(module)
    bad = []
    for line, target in imports(source, f"convnet.{module}" if module else "convnet", is_package):
        theirs = layer_of(target)
        if target == "__version__" or theirs == mine or (mine in CORE and theirs in CORE):
            continue
        if RANK[theirs] >= RANK[mine]:
            bad.append(
                f"{module or 'convnet'}:{line} imports convnet.{target} ({theirs or 'convnet'} is not below {mine})"
            )
    return bad


def package_modules() -> list[tuple[str, Path, bool]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found.append((".".join(parts), path, is_package))
    return found


def test_every_module_has_a_layer() -> None:
    for module, path, _ in package_modules():
        top = module.split(".")[0]
        assert module == "" or top in RANK or f"{top}.{module.split('.')[-1]}" in RANK, (
            f"{path}: add its package to LAYERS here and to docs/ARCHITECTURE.md"
        )


def test_imports_only_point_down() -> None:
    bad = [v for module, path, pkg in package_modules() for v in violations(path.read_text(), module, pkg)]
    assert not bad, "imports that point up or sideways:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "source", "is_package"),
    [
        ("web.session", "def f():\n    from ..cli.predict import load_model\n", False),
        ("io.loading", "from ..train import load_checkpoint\n", False),
        ("nn.module", "import convnet.viz\n", False),
        ("onnx", "from ..train.checkpoint import atomic_write_bytes\n", True),
        ("io.atomic", "from .checkpoint import save_checkpoint\n", False),
        ("models.registry", "from .. import data\n", False),
        ("train.loop", "from ..viz import report\n", False),
    ],
)
def test_the_check_catches_an_upward_import(module: str, source: str, is_package: bool) -> None:
    assert len(violations(source, module, is_package)) == 1


def test_the_check_allows_downward_and_internal_imports() -> None:
    assert violations("from ..io.atomic import atomic_write_bytes\nfrom .. import __version__\n", "onnx.export") == []
    assert violations("from .checkpoint import load_checkpoint\nfrom ..onnx import load\n", "io.loading") == []
    assert violations("from .. import _ops\nfrom ..autograd import Function\n", "_tensor") == []
