"""constraints.txt (the exact versions make venv installs) agrees with pyproject's ranges: a
raised floor without `make lock` would make every fresh `make venv` fail to resolve."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def pins() -> dict[str, Version]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[A-Za-z0-9_.\-]+", name), f"not a plain pin: {line!r}"
        out[canonicalize_name(name)] = Version(version)
    return out


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(r) for r in wanted]


def test_every_direct_requirement_is_pinned_within_its_range() -> None:
    pinned = pins()
    outside = [
        f"{r.name}{r.specifier} but constraints.txt pins {pinned.get(canonicalize_name(r.name))}"
        for r in requirements()
        if canonicalize_name(r.name) not in pinned
        or not r.specifier.contains(pinned[canonicalize_name(r.name)], prereleases=True)
    ]
    assert outside == [], "run make lock: " + "; ".join(outside)


def test_pins_are_plain_versions_from_the_index() -> None:
    """No `pkg @ file:///…` (a wheel only this machine has) nor an editable line."""
    assert len(pins()) > 50
    assert "scoping-review" not in pins()
