"""Benchmarks: run with `make bench-micro` (and, for HTTP figures, `make bench`)."""
