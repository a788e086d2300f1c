"""Run a fit script in a fresh Python process on a given compile-cache folder: the
cold-and-warm cache tests of the sampler's entry points."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np


def fit_in_fresh_process(script, out, cache):
    """Run ``script out`` with PyTensor's and numba's caches in ``cache``; return the
    draws it saved to ``out`` and the cache hits it saved beside them."""
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    env["PYTHONWARNINGS"] = "ignore"
    subprocess.run([sys.executable, str(script), str(out)], env=env, check=True, timeout=900)
    return np.load(out), np.load(str(out) + ".hits.npy")
