"""The benchmark harness of issue #6: `python -m benchmarks.run` (see docs/benchmarks.md)."""
