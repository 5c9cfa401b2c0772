"""`python -m reconciler.sandbox VENDOR`: one vendor emulator on loopback, on its own, until Ctrl-C.

Prints the base URL and the credentials a client (or a project file) uses. The world lives in memory, or in
`--state DIR` (saved after every write, found again on the next start); `--seed-world` starts an empty state
from the demo world. Faults and quirks are switched on through `/__sandbox/faults` and `/__sandbox/quirks`.

`python -m reconciler.sandbox VENDOR --state DIR edit --schedule NAME --set JSON` changes a saved world by hand
(the vendor's own edit call, see `edit.py`) and exits: what `drift` is for.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from .edit import EditError, edit, parse_body
from .launch import EMULATED, Sandbox, start_vendor

EXIT_OK, EXIT_ERROR = 0, 1


class _Parser(argparse.ArgumentParser):
    """Usage mistakes end in one line and exit 1, like the `reconciler` command."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"error: {message} (see --help)\n")


def _parser() -> _Parser:
    parser = _Parser(prog="python -m reconciler.sandbox",
                     description="One vendor emulator on loopback, on its own, until Ctrl-C.")
    parser.add_argument("vendor", choices=EMULATED, help="the vendor API to emulate")
    parser.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--state", type=Path, metavar="DIR", help="folder that keeps the world between runs")
    parser.add_argument("--latency", type=_latency, default=0.0, metavar="MS",
                        help="milliseconds to wait before each answer")
    parser.add_argument("--seed-world", action="store_true",
                        help="start from the demo world (when --state holds no world yet)")
    actions = parser.add_subparsers(dest="action", metavar="edit", parser_class=_Parser)
    editing = actions.add_parser("edit", help="change a schedule of the world in --state by hand, then exit")
    editing.add_argument("--schedule", required=True, metavar="NAME", help="the schedule's name")
    editing.add_argument("--set", dest="body", required=True, metavar="JSON",
                         help="the vendor's own fields: Mettl an `sc` fragment, Questionmark a PATCH body")
    return parser


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return value


def _latency(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of milliseconds (0-60000)")
    return value / 1000


def describe(sandbox: Sandbox, state: Path | None) -> str:
    """What a user needs to point a client or a project file at the sandbox."""
    where = f"world kept in {state}" if state else "world in memory"
    control = f"{sandbox.server.url}/__sandbox"
    lines = [
        f"{sandbox.vendor} sandbox on {sandbox.server.url} ({where})",
        f"  base_url: {sandbox.url}",
        *([f"  qmwise_url: {sandbox.qmwise_url}"] if sandbox.qmwise_url else []),
        *(f"  {c.key}: {c.value}" for c in sandbox.credentials),
        f"A project file's providers.{sandbox.vendor} takes these keys; for the ${{VARS}} of the examples:",
        "  export " + " ".join(f"{c.env}={c.value}" for c in sandbox.credentials),
        f"  export RECONCILER_ALLOWED_BASE_URLS={sandbox.server.url}/  (credentials go only to the vendors' hosts "
        "otherwise)",
        f"Faults: POST {control}/faults; quirks: POST {control}/quirks; the call log: GET {control}/calls.",
        "Stop with Ctrl-C.",
    ]
    return "\n".join(lines)


def _edit(vendor: str, state: Path | None, schedule: str, body: str) -> int:
    if state is None:
        print("error: edit needs --state DIR, the folder of the world to change (see --help)", file=sys.stderr)
        return EXIT_ERROR
    try:
        changed = edit(vendor, state, schedule, parse_body(body))
    except EditError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"edited {vendor} schedule {schedule!r} ({', '.join(changed)}) in {state}", flush=True)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.state is not None and args.state.exists() and not args.state.is_dir():
        print(f"error: --state {args.state} is not a folder", file=sys.stderr)
        return EXIT_ERROR
    if args.action == "edit":
        return _edit(args.vendor, args.state, args.schedule, args.body)
    try:
        sandbox = start_vendor(args.vendor, seed_world=args.seed_world, port=args.port, state_dir=args.state,
                               latency=args.latency)
    except OSError as exc:
        print(f"error: cannot start the {args.vendor} sandbox on port {args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return EXIT_ERROR
    except (ValueError, KeyError, TypeError) as exc:  # a state file that is not a saved world
        print(f"error: {args.state}/{args.vendor}.json is not a saved {args.vendor} world: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(describe(sandbox, args.state), flush=True)
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopped.wait(0.2):
            pass
    finally:
        sandbox.stop()
    print(f"{args.vendor} sandbox stopped", flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
