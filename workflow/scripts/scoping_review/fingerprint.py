"""Per-rule code fingerprints: the hash of an adapter script and the package modules it imports.

Grain: one fingerprint per adapter script. The closure is static (``ast``): every
``scoping_review`` module the script imports, directly or through other package modules
(absolute or relative imports, at any depth in the file), plus every package ``__init__.py``
above each of them (Python runs those on import). A rule passes its fingerprint as a param, so
Snakemake's params trigger re-runs the rule when the code *it* uses changes and leaves it alone
when an unrelated module changes. Standard library only: the Snakefile calls it at parse time.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = "scoping_review"


def _module_file(package_dir: Path, dotted: str) -> Path | None:
    """The file of a ``scoping_review`` module, or None when the name is not a module."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    init = base / "__init__.py"
    if init.is_file():
        return init
    single = base.with_suffix(".py") if len(parts) > 1 else None
    if single is not None and single.is_file():
        return single
    return None


def _module_name(package_dir: Path, path: Path) -> str:
    """The dotted name of a package file (``scoping_review.report.build``)."""
    rel = path.relative_to(package_dir).with_suffix("")
    parts = [PACKAGE, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _parents(dotted: str) -> list[str]:
    """The module and every package above it: a.b.c -> a, a.b, a.b.c."""
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def imported_modules(source: str, module: str | None, is_package: bool) -> set[str]:
    """Dotted names a file's imports may load (candidates; the caller keeps the real modules).

    ``module`` is the file's own dotted name (None for a script outside the package), used to
    resolve relative imports; ``from a import b`` yields both ``a`` and ``a.b`` (b may be a
    submodule or an attribute).
    """
    names: set[str] = set()
    for node in _statements(ast.parse(source).body):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if module is None:
                    continue
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in names if name.split(".")[0] == PACKAGE}


# statement fields that hold statements (imports are statements: no expression holds one)
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement of a module at any depth (function, class, if, try, with, match ...)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for field in _BODIES:
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                stack.extend(reversed(inner))


@cache
def _direct_files(
    path: Path, package_dir: Path, module: str | None, stamp: tuple[int, int]
) -> tuple[Path, ...]:
    """The package files one file's imports load directly (with the packages above them);
    memoised per file and its (mtime, size) ``stamp``: the rules' closures share modules."""
    source = path.read_text("utf-8")
    is_package = path.name == "__init__.py"
    found: set[Path] = set()
    for name in imported_modules(source, module, is_package):
        for dotted in _parents(name):
            target = _module_file(package_dir, dotted)
            if target is not None:
                found.add(target)
    return tuple(sorted(found))


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return (info.st_mtime_ns, info.st_size)


def module_closure(script: Path, package_dir: Path) -> list[Path]:
    """The package files a script loads, transitively, sorted by path."""
    seen: set[Path] = set()
    queue = list(_direct_files(script, package_dir, None, _stamp(script)))
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        module = _module_name(package_dir, path)
        queue.extend(_direct_files(path, package_dir, module, _stamp(path)))
    return sorted(seen)


def code_fingerprint(script: Path, package_dir: Path, length: int = 16) -> str:
    """SHA-256 (hex, first ``length`` digits) of the script and the package files it loads."""
    digest = hashlib.sha256()
    for path in [script, *module_closure(script, package_dir)]:
        name = path.name if path == script else path.relative_to(package_dir).as_posix()
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:length]
