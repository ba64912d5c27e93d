"""The library's floors: every import of ``sbcore`` points down or sideways, and none closes a loop.

The imports are read from the source (``ast``), not by running it: module-level imports, imports
inside functions, and ``importlib.import_module("sbcore....")`` with a literal (or f-string)
name. A floor may import its own floor and the floors below it, never one above; and no chain of
imports, inside functions or not, comes back to where it started, so no import sits inside a
function only to dodge a loop. ``from package import name`` counts as an import of the module
``package.name`` where that is a module, else of ``package`` itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top: (floor, the modules and packages on it, why it stands there).
FLOORS = [
    ("ground", ["sbcore", "sbcore.checks", "sbcore.profiles", "sbcore.paper", "sbcore.usage"],
     "names and checks every floor shares: parameter checks, profiles, the paper's numbers"),
    ("store", ["sbcore.store"], "the results store: keys, provenance, checksums; training "
                                "checkpoints into it, so it stands below training"),
    ("data", ["sbcore.data"], "the datasets and their named input blocks; no model in sight"),
    ("models", ["sbcore.models"], "the networks, built from their specs; they need no data"),
    ("reliance", ["sbcore.reliance"], "what a model relies on: metrics over data's input blocks"),
    ("attacks", ["sbcore.attacks"], "perturbations of data against models, scored by reliance"),
    ("training", ["sbcore.training"], "the one loop: data, models, reliance scorers, checkpoints"),
    ("testbed", ["sbcore.testbed"], "methods that try to avoid simplicity bias, their testbeds "
                                    "and measures, all through the one loop"),
    ("page kit", ["sbcore.book"], "what chapters and studies draw with: opening cell, glue, "
                                  "tables, house style of plots, widgets"),
    ("studies", ["sbcore.studies"], "one study a chapter, its settings registry and the runner"),
    ("build", ["sbcore.build", "sbcore.run_experiments", "sbcore.testbed.__main__"],
     "the tools that run the studies and execute the chapters; nothing imports them"),
]


def _floor_of(module: str) -> int | None:
    best = None
    for i, (_, members, _) in enumerate(FLOORS):
        for m in members:
            if module == m or (m != "sbcore" and module.startswith(m + ".")):
                if best is None or len(m) > len(best[1]):
                    best = (i, m)
    return None if best is None else best[0]


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / "sbcore").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _dynamic_name(call: ast.Call) -> str | None:
    """The constant start of ``importlib.import_module(...)``'s name, or None."""
    f = call.func
    named = (isinstance(f, ast.Attribute) and f.attr == "import_module") or \
        (isinstance(f, ast.Name) and f.id in ("import_module", "__import__"))
    if not named or not call.args:
        return None
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return str(arg.values[0].value).rstrip(".")
    return None


def imports() -> list[tuple[str, str, str, bool]]:
    """(importer, imported module, "file:line", inside a function) for every sbcore import."""
    modules = _modules()
    found = []
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        where = path.relative_to(ROOT)

        def add(target, node, local, name=name, where=where):
            target = _resolve(target, modules)
            if target and target != name:
                found.append((name, target, f"{where}:{node.lineno}", local))

        def visit(node, local, name=name, is_package=is_package):
            for child in ast.iter_child_nodes(node):
                inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                    ast.Lambda))
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        if alias.name.split(".")[0] == "sbcore":
                            add(alias.name, child, inner)
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        package = name if is_package else name.rpartition(".")[0]
                        for _ in range(child.level - 1):
                            package = package.rpartition(".")[0]
                        base = f"{package}.{base}" if base else package
                    if base.split(".")[0] == "sbcore":
                        for alias in child.names:
                            sub = f"{base}.{alias.name}"
                            add(sub if sub in modules else base, child, inner)
                elif isinstance(child, ast.Call):
                    target = _dynamic_name(child)
                    if target and target.split(".")[0] == "sbcore":
                        add(target, child, inner)
                visit(child, inner)

        visit(ast.parse(path.read_text(), str(path)), False)
    return found


def test_every_module_stands_on_a_floor():
    assert [m for m in _modules() if _floor_of(m) is None] == []


def test_no_import_points_up():
    up = [f"{where}: {a} (floor {FLOORS[_floor_of(a)][0]}) imports {b} "
          f"(floor {FLOORS[_floor_of(b)][0]}){' inside a function' if local else ''}"
          for a, b, where, local in imports() if _floor_of(b) > _floor_of(a)]
    assert up == [], "imports that point up a floor:\n" + "\n".join(up)


def _cycles(edges) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, parts = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                parts.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return parts


def _part(module: str) -> str:
    """The package a module belongs to: ``sbcore.<x>``, or ``sbcore.studies.<study>``; a
    package's ``__main__`` (what ``python -m`` runs, which nothing imports) is a part of its
    own, on the floor ``FLOORS`` gives it."""
    parts = module.split(".")
    if parts[-1] == "__main__":
        return module
    return ".".join(parts[:3] if parts[:2] == ["sbcore", "studies"] else parts[:2])


def test_no_two_packages_import_each_other():
    found = [(_part(a), _part(b), where, local) for a, b, where, local in imports()]
    loops = []
    for part in _cycles((a, b) for a, b, _, _ in found if a != b):
        inside = [f"  {where}: {a} imports {b}{' inside a function' if local else ''}"
                  for a, b, where, local in found if a in part and b in part and a != b]
        loops.append(f"{' <-> '.join(part)}:\n" + "\n".join(inside))
    assert loops == [], "packages that import each other:\n" + "\n".join(loops)


def test_no_imports_form_a_loop():
    found = imports()
    loops = []
    for part in _cycles((a, b) for a, b, _, _ in found):
        inside = [f"  {where}: {a} imports {b}{' inside a function' if local else ''}"
                  for a, b, where, local in found if a in part and b in part]
        loops.append(f"{' <-> '.join(part)}:\n" + "\n".join(inside))
    assert loops == [], "imports that form a loop:\n" + "\n".join(loops)
