"""The static import closure behind the per-rule code fingerprints finds imports at any depth
(functions, classes, conditionals, try/except, with, match) and reads each file once per
content, however many rules share it."""

from __future__ import annotations

from pathlib import Path

from scoping_review import fingerprint

MODULES = {
    "__init__.py": "",
    "top.py": "import os\n",
    "lazy.py": "X = 1\n",
    "cls.py": "",
    "cond.py": "",
    "exc.py": "",
    "ctx.py": "",
    "case.py": "",
    "orelse.py": "",
    "unused.py": "",
    "sub/__init__.py": "",
    "sub/deep.py": "from ..top import *\n",
}

SCRIPT = """
import scoping_review.top
from scoping_review.sub import deep

def f():
    def g():
        from scoping_review import lazy
    return g

class C:
    import scoping_review.cls as c

if True:
    pass
else:
    from scoping_review import orelse
try:
    from scoping_review import exc
except ImportError:
    from scoping_review import cond
finally:
    pass
with open(__file__):
    import scoping_review.ctx
match 1:
    case 1:
        import scoping_review.case
text = "import scoping_review.unused"  # a string, not an import
"""


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "scoping_review"
    for rel, text in MODULES.items():
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text)
    (tmp_path / "script.py").write_text(SCRIPT)
    return package


def test_closure_finds_imports_at_any_depth(tmp_path: Path) -> None:
    package = _package(tmp_path)
    found = {
        p.relative_to(package).as_posix()
        for p in fingerprint.module_closure(tmp_path / "script.py", package)
    }
    assert found == set(MODULES) - {"unused.py"}


def test_an_edited_module_changes_the_fingerprint_of_scripts_that_load_it(tmp_path: Path) -> None:
    package = _package(tmp_path)
    before = fingerprint.code_fingerprint(tmp_path / "script.py", package)
    (package / "unused.py").write_text("Y = 2\n")
    assert fingerprint.code_fingerprint(tmp_path / "script.py", package) == before
    (package / "sub" / "deep.py").write_text("from ..top import *\nimport scoping_review.unused\n")
    after = fingerprint.code_fingerprint(tmp_path / "script.py", package)
    assert after != before
    assert package / "unused.py" in fingerprint.module_closure(tmp_path / "script.py", package)
