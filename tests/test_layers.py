"""The package's layers: each part imports only the parts below it, so no two parts import each other.

The flow is transcript → detectors → rubric → scorecard → store → review → calibration → report;
a module of a lower layer never imports a higher one, not even inside a function (a lazy import
is still a circle). Modules of one layer do not import each other either.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "grader"

# Lowest first. A name is a sub-package or top-level module of grader/.
LAYERS = [
    {"errors", "construct", "spreadsheet"},
    {"privacy"},
    {"transcript"},
    {"dates"},
    {"detectors"},
    {"rubric"},
    {"display"},
    {"scorecard"},
    {"learned"},
    {"pipeline"},
    {"settings"},
    {"store"},
    {"options"},
    {"engines"},
    {"batch"},
    {"calibration", "report"},
    {"review"},
    {"cli"},
    {"__init__"},  # `import grader`: the library's front door, imported by nothing inside
]
LAYER = {name: n for n, names in enumerate(LAYERS) for name in names}


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(tree: ast.AST) -> set[tuple[str, int]]:
    """(part of grader, line) of every grader import in a module, lazy ones included."""
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "grader":
                found.add((parts[1] if len(parts) > 1 else "__init__", node.lineno))
    return found


def edges() -> list[tuple[str, str, str, int]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = part_of(path)
        for target, line in imported_parts(ast.parse(path.read_text(encoding="utf-8"))):
            if target != source:
                out.append((source, target, str(path.relative_to(PACKAGE.parent)), line))
    return out


def test_every_part_has_a_layer():
    parts = {part_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts - set(LAYER) == set(), "add the new part to LAYERS"


def test_no_part_imports_a_part_above_it_or_beside_it():
    wrong = [f"{where}:{line}: {source} imports {target}" for source, target, where, line in edges()
             if LAYER.get(target, -1) >= LAYER.get(source, -1)]
    assert wrong == []


@pytest.mark.parametrize("source, target, allowed", [
    ("detectors", "transcript", True),
    ("scorecard", "rubric", True),
    ("rubric", "detectors", True),
    ("detectors", "rubric", False),     # the detector measures, the rubric scores
    ("rubric", "scorecard", False),
    ("scorecard", "detectors", True),
    ("pipeline", "calibration", False),  # grading applies the learned layer, calibration fits it
    ("settings", "pipeline", True),
    ("pipeline", "settings", False),
    ("calibration", "report", False),   # same layer
    ("review", "calibration", True),
])
def test_the_layers_say(source, target, allowed):
    assert (LAYER[target] < LAYER[source]) is allowed
