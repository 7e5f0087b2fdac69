"""Benchmarks: scripts that print figures next to a same-run baseline (not tests)."""
