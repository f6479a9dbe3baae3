"""The command line starts light: ``--help`` and argument errors load no data library.

A test of the mechanism (which modules a fresh interpreter has loaded after the call), not of
a timing: polars, numpy, scikit-learn, snakemake, altair, flask... are imported only by the
commands that use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("polars", "numpy", "pyarrow", "sklearn", "scipy", "snakemake", "altair", "flask",
         "jsonschema", "yaml", "requests", "scoping_review.importing", "scoping_review.storage")  # fmt: skip

_PROBE = """
import json, sys
from scoping_review import cli
try:
    code = cli.main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _loaded(*argv: str) -> tuple[object, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["import", "--help"],
        ["run", "--help"],
        ["screen", "--help"],
        ["import", "x.ris", "--format", "no-such-format"],  # an argument error
        ["no-such-command"],
    ],
)
def test_help_and_argument_errors_load_no_data_library(argv: list[str]) -> None:
    code, modules = _loaded(*argv)
    assert code in (0, 2)
    loaded = sorted(m for m in modules for h in HEAVY if m == h or m.startswith(h + "."))
    assert not loaded, f"`scoping-review {' '.join(argv)}` imported {loaded[:10]}"


def test_a_command_still_loads_what_it_needs(tmp_path: object) -> None:
    """The probe can see a heavy import: ``import`` of a missing file loads polars (the probe
    is not blind), and still answers with its usage error."""
    code, modules = _loaded("import", "/no/such/file.ris")
    assert code == 2
    assert "polars" in modules and "scoping_review.importing" in modules


# a small export of each text family, and what the import command must not load for it:
# the in-place checks of large inputs (io.bytescan.IN_PLACE_BYTES) are the only users of numpy
# and pyarrow on the import path, and a typical export is far smaller
_SMALL = {
    "ris": "TY  - JOUR\nTI  - Caf\u00e9 rupture\nAU  - M\u00fcller, A\nER  - \n",
    "bibtex": "@article{k1,\n  title = {Caf\\'e rupture},\n  author = {M\\\"uller, A.},\n}\n",
    "medline": "PMID- 1\nTI  - Caf\u00e9 rupture\nAU  - M\u00fcller A\n",
}


@pytest.mark.parametrize("fmt", sorted(_SMALL))
def test_importing_a_small_export_loads_neither_numpy_nor_pyarrow(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"small.{fmt}"
    # a control character and a UTF-8 letter: every decoding check runs on it
    path.write_bytes(_SMALL[fmt].replace("rupture", "rup\x07ture").encode("utf-8"))
    code, modules = _loaded("import", str(path), "--format", fmt)
    assert code == 0
    assert "scoping_review.importing" in modules  # the probe saw the import run
    heavy = sorted(m for m in modules if m.split(".")[0] in ("numpy", "pyarrow"))
    assert not heavy, f"importing a small {fmt} export loaded {heavy[:10]}"
