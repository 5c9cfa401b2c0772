#!/usr/bin/env python3
"""Moved: the benchmark harness is `python -m benchmarks.run` (see BENCHMARKS.md). This wrapper forwards to it.

    python scripts/bench.py --vendor mettl --schedules 1000 --candidates 200
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import main

if __name__ == "__main__":
    sys.exit(main())
