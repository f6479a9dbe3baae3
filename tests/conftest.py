"""Shared test set-up: the repository root and the ../shared fixture folder.

Outside CI a clone may lack ../shared; tests that need it then skip with the reason. With
SCOPING_REVIEW_REQUIRE_SHARED=1 (set by .ci/run) a missing folder is a failure instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import REPO, require_shared


@pytest.fixture
def fixtures_dir() -> Path:
    return require_shared("fixtures")


@pytest.fixture
def repo() -> Path:
    return REPO
