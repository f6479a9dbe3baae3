"""Headless Chromium for the report's browser tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cdp import Browser

from helpers import skip_unless_required

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium binary; skip (or fail, if required) when it is missing."""
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path is None:
        skip_unless_required(
            f"{CHROMIUM} is not installed: the report's browser tests need Debian chromium",
            "SCOPING_REVIEW_REQUIRE_BROWSER",
        )
    return path


@pytest.fixture
def run_chromium(
    chromium: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run headless Chromium with a fresh profile: ``run_chromium(*args, url)``."""

    def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        profile: Path = tmp_path_factory.mktemp("chromium-profile")
        cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    return run


@pytest.fixture
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A headless Chromium page driven over the DevTools pipe (real clicks, network log)."""
    driver = Browser(chromium, FLAGS, tmp_path_factory.mktemp("chromium-cdp"))
    try:
        yield driver
    finally:
        driver.close()
