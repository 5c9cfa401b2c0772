"""Where `${VAR}` is read from the environment: only in secret fields, and only for listed variables.

A secret field is one declared with `Secret` in the models (the credentials of reconciler.yaml, and
desired-state settings such as Mettl's webhook basic-auth header). There, `${VAR}` may name a variable
listed under `secrets:` in reconciler.yaml, or the field's own conventional variable (`METTL_PRIVATE_KEY`
for providers.mettl.private_key). Anywhere else `${` is an error; `$${` is a literal `${` everywhere.
Every value read is kept in `secrets`, for the scrubber.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..errors import Position, Problem
from ..models import Secret
from .validation import model_at
from .yaml_source import Loc, SourceDoc, format_loc, interpolate

_NAME = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)?")


def secret_field(root: type[BaseModel], loc: Loc) -> Secret | None:
    """The Secret declaration of the field at loc (relative to the root model), if it has one."""
    if not loc or not isinstance(loc[-1], str):
        return None
    model = model_at(root, loc[:-1])
    found = model.model_fields.get(loc[-1]) if model is not None else None
    if found is None:
        return None
    return next((item for item in found.metadata if isinstance(item, Secret)), None)


def conventional_names(model: type[BaseModel]) -> frozenset[str]:
    """The conventional variables of every secret field under model (METTL_PRIVATE_KEY, …)."""
    names: set[str] = set()
    for info in model.model_fields.values():
        names |= {item.env for item in info.metadata if isinstance(item, Secret) and item.env}
        for arg in _model_args(info.annotation):
            names |= conventional_names(arg)
    return frozenset(names)


def _model_args(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]


def references(text: str) -> list[str]:
    """The variable names `${NAME…}` in text ("" for a malformed `${`), escaped `$${` left out."""
    return [m.group("name") or "" for m in _NAME.finditer(text) if m.group(0) != "$${"]


@dataclass
class EnvReader:
    """Reads `${VAR}` for one project; collects every value read."""

    env: Mapping[str, str]
    listed: frozenset[str]
    project_file: str
    secrets: set[str] = field(default_factory=set)

    def expand(
        self, doc: SourceDoc, root: type[BaseModel], *, lenient: bool
    ) -> tuple[list[Problem], dict[Loc, tuple[str, Position]]]:
        """Replace doc's templates in place. A value that cannot be read becomes None; with lenient (the
        project file's credentials) an unset variable is recorded as missing instead of being a problem."""
        problems: list[Problem] = []
        missing: dict[Loc, tuple[str, Position]] = {}
        for loc, (text, position) in doc.templates.items():
            names = references(text)
            if not names:
                doc.set_at(loc, interpolate(text, {}))  # only `$${` escapes
                continue
            doc.set_at(loc, None)
            refused = self.refusal(names, secret_field(root, loc))
            if refused:
                problems.append(Problem(position, format_loc(loc), refused))
                continue
            try:
                value = interpolate(text, self.env)
            except KeyError as exc:
                if lenient:
                    missing[loc] = (str(exc.args[0]), position)
                else:
                    message = f"environment variable {exc.args[0]} is not set"
                    problems.append(Problem(position, format_loc(loc), message))
                continue
            except ValueError as exc:
                problems.append(Problem(position, format_loc(loc), str(exc)))
                continue
            self.secrets |= {value, *(self.env[name] for name in names if name in self.env)}
            doc.set_at(loc, value)
        return problems, missing

    def refusal(self, names: list[str], secret: Secret | None) -> str | None:
        """Why these references may not be read in a field (None: they may)."""
        if secret is None:
            shown = f"${{{names[0]}}}" if names[0] else "${"
            return (f"{shown}: the environment is read only in credentials and secret fields, not here "
                    "(write $${ for a literal ${)")
        if "" in names:
            return "malformed variable reference: write ${NAME} or ${NAME:-default}"
        for name in names:
            if name not in self.listed and name != secret.env:
                own = f" (this field may also use {secret.env})" if secret.env else ""
                return f"environment variable {name} is not listed under secrets: in {self.project_file}{own}"
        return None

    def listed_values(self, conventional: frozenset[str]) -> set[str]:
        """The values of every variable the project may read, whether it read them or not."""
        return {self.env[name] for name in self.listed | conventional if self.env.get(name)}
