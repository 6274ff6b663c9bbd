"""Where the project's shared documents are: ``shared/`` beside the checkout (as on
developer machines and CI), or ``PIXPORT_SHARED_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PIXPORT_SHARED_DIR", ROOT.parent / "shared"))
