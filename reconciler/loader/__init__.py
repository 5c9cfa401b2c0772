"""Reading a project: `load_project` turns reconciler.yaml and its desired-state files into models.

The only package that imports the YAML library (ruamel.yaml): `yaml_source` reads with positions (plain
files the fast way, `yaml_fast`: libyaml's C parser, positions re-parsed only for a problem),
`yaml_write` builds and writes the documents the importer generates. Modules: `project` (merge and checks),
`inputs` and `files` (what may be read), `env` (`${VAR}`), `csv_lists`, `rules`, `validation` (messages).
"""

from .project import LoadedProject, interpolate, load_project

__all__ = ["LoadedProject", "interpolate", "load_project"]
