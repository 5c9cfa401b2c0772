"""The benchmark harness of issue 11: emulators seeded in their own processes, the real CLI, one JSON line per run.

`python -m benchmarks.run --help` (from the repository root). `BENCHMARKS.md` holds the figures.
"""
