"""Kernel layer: NumPy on arrays (no xarray, no PyMC), shared by the layers above."""
