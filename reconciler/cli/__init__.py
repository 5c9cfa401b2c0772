"""The command line. The only package that prints, prompts and chooses exit codes.

`main` is the root group; each command lives in its own module (`plan_apply`, `drift`, `importing`,
`doctor`, `schema`) and is attached here. The run's state (--debug, --no-color, the global --config and
--sandbox, the secrets to scrub) travels on click's context object, a `RunState`. The GitHub Action's
runner is `reconciler.cli.action`.

Exit codes: 0 ok; 1 error (also a wrong option); 2 changes present (plan --detailed-exitcode, drift);
3 refused as unsafe.
"""

from __future__ import annotations

import click

from .common import Group
from .doctor import doctor
from .drift import drift
from .importing import import_group
from .options import DISTRIBUTION, add_global_options, global_options
from .plan_apply import apply, plan, validate
from .schema import schema
from .state import RunState


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@global_options
@click.version_option(package_name=DISTRIBUTION, message="%(prog)s %(version)s")
def main() -> None:
    """Keep exam schedules and candidate lists in YAML; make Mettl and Questionmark match them.

    Exit codes: 0 ok; 1 error (also a wrong option); 2 changes present (plan --detailed-exitcode);
    3 refused as unsafe. The global options work before or after the subcommand.
    """


for _command in (validate, plan, apply, drift, import_group, schema, doctor):
    main.add_command(_command)
add_global_options(main)

__all__ = ["RunState", "main"]
