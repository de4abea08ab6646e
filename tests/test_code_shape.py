"""The shape of grader/'s code: short functions, and public functions that say what they raise."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "grader"
MAX_LINES = 60


def functions():
    """(module path, function node) of every function and method in grader/."""
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.relative_to(PACKAGE.parent), node


def public_functions():
    """(module path, node) of module-level functions and methods of module-level classes whose names
    do not start with "_" (functions nested in functions are not called from outside)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            members = node.body if isinstance(node, ast.ClassDef) and not node.name.startswith("_") else [node]
            for f in members:
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and not f.name.startswith("_"):
                    yield path.relative_to(PACKAGE.parent), f


def raised_names(node) -> set[str]:
    """Exception classes a function raises itself (`raise X(...)`; re-raises and NotImplementedError aside)."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            target = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name and name[0].isupper() and name != "NotImplementedError":
                names.add(name)
    return names


def test_no_function_is_longer_than_60_lines():
    long = [f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path, node in functions() if node.end_lineno - node.lineno + 1 > MAX_LINES]
    assert long == [], "split these (docstring and decorators aside, a function reads best under a screen)"


def test_public_functions_say_their_errors():
    silent = []
    for path, node in public_functions():
        raised = raised_names(node)
        if not raised:
            continue
        doc = ast.get_docstring(node) or ""
        if not any(name in doc for name in raised) and "raise" not in doc.lower():
            silent.append(f"{path}:{node.lineno} {node.name} raises {sorted(raised)}")
    assert silent == [], "name the errors in the docstring (\"Raises ConfigError when ...\")"
