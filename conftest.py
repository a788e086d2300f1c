"""Shared test settings: compile caches stay inside the clone; fitted models are shared."""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent
_CACHE = _ROOT / ".cache"
os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={_CACHE / 'pytensor'}")
os.environ.setdefault("NUMBA_CACHE_DIR", str(_CACHE / "numba"))
os.environ.setdefault("MPLBACKEND", "Agg")
