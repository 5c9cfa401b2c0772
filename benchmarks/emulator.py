"""One seeded vendor emulator in its own process: `python -m benchmarks.emulator VENDOR --schedules N ...`.

The world is built in memory before the server starts (no state folder: saving the whole world after every
write would be measured as the vendor's cost). Prints one JSON line (url, user, secret) when it serves, then
serves until stdin closes, SIGTERM or SIGINT — so it also stops when the harness dies.
"""

from __future__ import annotations

import argparse
import gc
import json
import signal
import sys
import threading
from types import FrameType

from reconciler.sandbox.launch import new_app, start

from .world import Scenario, prepare_questionmark, seed_mettl, seed_questionmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.emulator")
    parser.add_argument("vendor", choices=("mettl", "questionmark"))
    parser.add_argument("--schedules", type=int, default=0, help="schedules already live (0: an empty world)")
    parser.add_argument("--candidates", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--access", choices=("seats", "membership"), default="seats")
    parser.add_argument("--year", type=int, default=None, help="the year of the windows (default: two years ahead)")
    args = parser.parse_args(argv)
    app = new_app(args.vendor)
    scenario = Scenario(args.schedules, args.candidates, args.access, *([args.year] if args.year else []))
    if args.vendor == "mettl":
        from reconciler.sandbox.mettl import MettlApp

        assert isinstance(app, MettlApp)
        app.max_candidates_per_request = max(app.max_candidates_per_request, args.candidates)
        seed_mettl(app, scenario)
    else:
        from reconciler.sandbox.questionmark import SANDBOX_USERNAME, QuestionmarkApp

        assert isinstance(app, QuestionmarkApp)
        prepare_questionmark(app, SANDBOX_USERNAME)
        seed_questionmark(app, scenario)
    gc.collect()
    gc.freeze()  # the seeded world lives until the end: the collector need not walk it on every full pass
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    def orphaned() -> None:
        sys.stdin.read()  # returns when the harness closes the pipe or dies
        stopped.set()

    threading.Thread(target=orphaned, daemon=True).start()
    with start(app, latency=args.latency_ms / 1000) as sandbox:
        print(json.dumps({"url": sandbox.url, "control": sandbox.server.url, "user": sandbox.user,
                          "secret": sandbox.secret, "qmwise_url": sandbox.qmwise_url}), flush=True)
        stopped.wait(24 * 3600)  # bounded: a forgotten emulator ends after a day at most
    return 0


if __name__ == "__main__":
    sys.exit(main())
