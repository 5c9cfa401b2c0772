"""The command line. The only package that prints, prompts and chooses exit codes.

`main` is the root group; each command lives in its own module (`validate`, `plan_apply`, `drift`,
`importing`, `doctor`, `schema`), loaded only when the command is run (or help lists it), so `validate` starts
without the engine's diff, the HTTP client or the renderers. The run's state (--debug, --no-color, the global
--config and --sandbox, the secrets to scrub) travels on click's context object, a `RunState`. The GitHub
Action's runner is `reconciler.cli.action`.

Exit codes (docs/exit-codes.md): 0 ok; 1 error (also a wrong option); 2 changes present (plan
--detailed-exitcode, drift); 3 refused as unsafe; 4 the plan changed since it was reviewed.
"""

from __future__ import annotations

import click

from .. import heap
from .common import Group
from .options import DISTRIBUTION, global_options
from .state import RunState

COMMANDS = {
    "validate": "validate:validate",
    "plan": "plan_apply:plan",
    "apply": "plan_apply:apply",
    "drift": "drift:drift",
    "import": "importing:import_group",
    "schema": "schema:schema",
    "doctor": "doctor:doctor",
}
"""Each command's `module:attribute` under reconciler.cli."""


@click.group(cls=Group, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
@click.version_option(package_name=DISTRIBUTION, message="%(prog)s %(version)s")
def main() -> None:
    """Keep exam schedules and candidate lists in YAML; make Mettl and Questionmark match them.

    Exit codes: 0 ok; 1 error (also a wrong option); 2 changes present (plan --detailed-exitcode);
    3 refused as unsafe; 4 the plan changed since it was reviewed. The global options work before or after
    the subcommand.
    """
    heap.configure()  # the process's one heap policy, before any thread starts


__all__ = ["COMMANDS", "RunState", "main"]
