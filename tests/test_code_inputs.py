"""Each rule's code inputs derived from its script's imports (manga_ssl.core.code_inputs)."""

from pathlib import Path

from manga_ssl.core.code_inputs import imported_modules, modules_used_by


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_imports_are_followed_through_modules_subpackages_and_functions(tmp_path):
    pkg = tmp_path / "pkg"
    write(pkg / "__init__.py", "")
    write(pkg / "a.py", "from . import b\nfrom .c import thing\n")
    write(pkg / "b.py", "import numpy as np\n\ndef f():\n    from .d import g  # inside a function\n")
    write(pkg / "c.py", "thing = 1\n")
    write(pkg / "d.py", "")
    write(pkg / "unused.py", "")
    write(pkg / "stage" / "__init__.py", "from .step import run\n")
    write(pkg / "stage" / "step.py", "from ..c import thing\n")
    write(pkg / "stage" / "other.py", "")
    script = write(tmp_path / "script.py", "from pkg.a import x\nfrom pkg import stage\nimport os\n")

    used = {Path(p).relative_to(pkg).as_posix() for p in modules_used_by(str(script), str(pkg))}
    assert used == {"__init__.py", "a.py", "b.py", "c.py", "d.py", "stage/__init__.py", "stage/step.py"}
    alone = write(tmp_path / "alone.py", "import pkg.stage.other\n")
    used = {Path(p).relative_to(pkg).as_posix() for p in modules_used_by(str(alone), str(pkg))}
    assert used == {"__init__.py", "stage/__init__.py", "stage/step.py", "stage/other.py", "c.py"}


def test_relative_imports_resolve_against_the_importing_module():
    src = "from . import x\nfrom .y import z\nfrom .. import up\nimport pkg.w\nfrom other import v\n"
    # names that are not modules ("s.y.z") are dropped later, when no file has them
    assert imported_modules(src, "pkg", "s.m") == {"s", "s.x", "s.y", "s.y.z", "up", "w"}
