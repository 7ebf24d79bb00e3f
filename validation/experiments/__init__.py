"""Targeted microbenchmarks that test one hypothesis about the hardware each (not part of the split)."""
