"""Numba kernels of skdeep: arrays and scalars in, arrays and scalars out, no Python objects."""
