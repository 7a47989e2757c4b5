"""Benchmarks run by ``veil bench``: they print figures; docs/benchmarks.md records them."""
