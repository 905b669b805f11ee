"""State shared between tests/standard/conftest.py and the standard chat suite."""

from __future__ import annotations

import os
from typing import Any

LIVE = os.environ.get("GATEWAY_LIVE") == "1"
TARGET: dict[str, Any] = {}
