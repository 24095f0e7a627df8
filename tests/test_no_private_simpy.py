"""No module in ``sim/`` touches a private attribute of a library (SimPy above all).

A private name is one that starts with ``_`` and is not a dunder. The rule, checked on the
AST of every module of the package:

- ``self._x`` / ``cls._x``: allowed when ``_x`` is defined by one of the project's own
  classes (assigned on ``self``/``cls``, a method, a class attribute or a ``__slots__`` entry).
- ``other._x`` on any other object (``env._queue``, ``ev._value``, ``argparse._SubParsersAction``):
  allowed only when ``_x`` is defined by the project's own classes *and* is not a private
  name of SimPy's own classes (so an ``env._now`` is caught even if some class of ours
  happened to define a ``_now``).
- ``getattr``/``setattr``/``hasattr``/``delattr`` with a constant private name on anything
  but ``self``/``cls``, and ``from <library> import _x``, are violations too.

``ALLOWED`` lists the accepted violations: it is empty, and must stay so. ``DOCUMENTED`` lists
the few standard-library functions whose *documented, public* name starts with ``_``
(``os._exit``: leave a forked worker without running the parent's clean-up).
"""

from __future__ import annotations

import ast
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
ALLOWED: set[str] = set()   # "path:line: receiver._name" entries; must stay empty
DOCUMENTED = {"os._exit"}   # public API of the standard library despite the underscore


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_private_names(trees: list[ast.AST]) -> set[str]:
    """Private attribute names that the classes in ``trees`` define."""
    names: set[str] = set()
    for tree in trees:
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for node in ast.walk(cls):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(node.name):
                    names.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                        and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    names.add(node.attr)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) \
                        and node in _class_body_targets(cls):
                    names.add(node.id)
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and _private(node.value) and _in_slots(cls, node):
                    names.add(node.value)
    return {n for n in names if _private(n)}


def _class_body_targets(cls: ast.ClassDef) -> list[ast.AST]:
    out = []
    for stmt in cls.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            out.extend(t for t in targets if isinstance(t, ast.Name))
    return out


def _in_slots(cls: ast.ClassDef, const: ast.Constant) -> bool:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__"
                                                for t in stmt.targets):
            return any(n is const for n in ast.walk(stmt.value))
    return False


def simpy_private_names() -> set[str]:
    """The private attribute names SimPy's own classes define (``_queue``, ``_now``, ...)."""
    trees = [ast.parse(p.read_text()) for p in Path(simpy.__file__).parent.rglob("*.py")]
    return defined_private_names(trees)


def violations(sources: dict[str, str], foreign: set[str]) -> list[str]:
    """Every private access in ``sources`` (path -> module text) that the rule forbids."""
    trees = {path: ast.parse(text, filename=path) for path, text in sources.items()}
    own = defined_private_names(list(trees.values()))
    project = {"sim"}
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                recv = ast.unparse(node.value)
                if f"{recv}.{node.attr}" in DOCUMENTED:
                    ok = True
                elif recv in ("self", "cls"):
                    ok = node.attr in own
                else:
                    ok = node.attr in own and node.attr not in foreign
                if not ok:
                    found.append(f"{path}:{node.lineno}: {recv}.{node.attr}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in ("getattr", "setattr", "hasattr", "delattr") \
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                    and isinstance(node.args[1].value, str) and _private(node.args[1].value):
                recv = ast.unparse(node.args[0])
                if recv not in ("self", "cls"):
                    found.append(f"{path}:{node.lineno}: {node.func.id}({recv}, "
                                 f"{node.args[1].value!r})")
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] not in project:
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{path}:{node.lineno}: from {node.module} import "
                                     f"{alias.name}")
    return sorted(found)


def package_sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for p in sorted(PACKAGE.rglob("*.py"))}


def test_simpy_private_names_are_known():
    # the checker's list of SimPy privates must hold the ones the engine used to touch
    names = simpy_private_names()
    assert {"_queue", "_now", "_eid", "_ok", "_value"} <= names


def test_no_private_attribute_of_a_library_in_sim():
    found = set(violations(package_sources(), simpy_private_names()))
    assert ALLOWED == set()
    assert found == ALLOWED, "private library attributes used:\n" + "\n".join(sorted(found))


PLANTED = '''
import argparse
import simpy
from simpy.core import _Foo

class Mine:
    __slots__ = ("_hidden",)

    def __init__(self):
        self._hidden = 1
        self._now = 0.0          # a name SimPy also uses: fine on self

    def _helper(self, other):
        return other._hidden + self._now     # our own class's attribute: fine

def peek(env, ev, sub: argparse._SubParsersAction):
    ev._ok = True
    return env._queue[0], env._now, getattr(ev, "_value")
'''


def test_checker_catches_planted_private_access():
    # the real package plus a planted module: exactly the planted violations are reported
    sources = package_sources()
    sources["sim/planted.py"] = PLANTED
    found = [v for v in violations(sources, simpy_private_names()) if v.startswith("sim/planted")]
    got = {v.split(": ", 1)[1] for v in found}
    assert got == {"from simpy.core import _Foo", "argparse._SubParsersAction", "ev._ok",
                   "env._queue", "env._now", "getattr(ev, '_value')"}


def test_checker_catches_private_access_in_a_real_module():
    # a one-line change to the engine's own source is caught (the test can fail)
    sources = package_sources()
    path = "sim/engine/office.py"
    sources[path] += "\n\ndef _clock(env):\n    return env._now\n"
    found = violations(sources, simpy_private_names())
    assert any(v.startswith(path) and v.endswith("env._now") for v in found)
