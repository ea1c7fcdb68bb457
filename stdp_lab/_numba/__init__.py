"""Compiled (numba) kernels of the simulator; imported only when the compiled
engine runs."""
