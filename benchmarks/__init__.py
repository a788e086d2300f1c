"""Benchmarks of hiermodels against bambi and hand-written PyMC (see ``benchmarks/run.py``)."""
