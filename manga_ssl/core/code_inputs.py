"""The package modules a workflow script runs, read from its imports (transitively).

Each rule declares these modules as inputs so that editing one reruns exactly the rules
whose scripts use it, directly or through other modules; derived, the list cannot drift
from the code.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def imported_modules(source: str, package: str, current: str | None = None) -> set[str]:
    """Dotted names (without the package prefix) of the package's modules that ``source``
    imports anywhere (top level or inside functions). ``current``: the dotted name of the
    module the source is, to resolve relative imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    found.add(alias.name[len(package) + 1 :])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if current is None:
                    continue
                parts = current.split(".")[: len(current.split(".")) - node.level]
                base = ".".join(parts + ([node.module] if node.module else []))
            elif node.module == package or (node.module or "").startswith(package + "."):
                base = node.module[len(package) + 1 :]
            else:
                continue
            found.add(base)
            # "from package import module" names modules too
            found.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return {name for name in found if name}


def module_file(package_dir: Path, name: str) -> Path | None:
    """The file of dotted module ``name`` in the package, or None (a function or class name)."""
    path = package_dir.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


@cache
def _imports_of_module(path: str, package: str, current: str) -> frozenset[str]:
    """A module's imports, parsed once per process: every rule's script shares the modules."""
    return frozenset(imported_modules(Path(path).read_text(), package, current))


@cache
def modules_used_by(script: str, package_dir: str) -> tuple[str, ...]:
    """Sorted paths of every package module ``script`` uses, transitively."""
    package_dir = Path(package_dir)
    package = package_dir.name
    seen: dict[str, Path] = {}
    todo = list(imported_modules(Path(script).read_text(), package))
    while todo:
        name = todo.pop()
        path = module_file(package_dir, name)
        if path is None or name in seen:
            continue
        seen[name] = path
        # importing a.b runs a/__init__.py first
        todo += [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        # relative imports in a package's __init__ resolve inside that package
        current = f"{name}.__init__" if path.name == "__init__.py" else name
        todo += _imports_of_module(str(path), package, current)
    init = package_dir / "__init__.py"
    paths = set(map(str, seen.values())) | ({str(init)} if init.is_file() and seen else set())
    return tuple(sorted(paths))
