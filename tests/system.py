"""System programs some tests need (Debian's chromium), found rather than assumed.

``scripts/test`` installs them when it runs as root; elsewhere a test that needs a missing
one is skipped with the command that installs it, except in CI (``CI=true``), where a
missing program fails the test: CI must never skip silently.
"""

from __future__ import annotations

import os
import shutil

import pytest


def missing(what: str, install: str) -> None:
    reason = f"{what} is not installed: run `{install}` (as root), or `bash scripts/test` as root"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's chromium (``$CALANQUE_TEST_CHROMIUM`` overrides), for Playwright."""
    found = os.environ.get("CALANQUE_TEST_CHROMIUM") or shutil.which("chromium")
    if not found:
        missing("chromium", "apt-get install chromium")
    return str(found)
