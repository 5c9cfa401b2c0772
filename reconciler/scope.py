"""The scope of one run (`--select`, `--provider`, `--assessment`): the schedules it reads, plans, retires
and reports. Outside it nothing is touched or shown."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from .errors import ReconcilerError
from .models import DesiredState, ScheduleKey
from .observed import ObservedWorld

if TYPE_CHECKING:
    from .plan import Plan


class NothingMatchedError(ReconcilerError):
    """A --select, --provider or --assessment that names no schedule, declared or live (exit 1)."""


@dataclass(frozen=True)
class Scope:
    """Empty: the whole project. `names` are globs on the schedule name (any one matches)."""

    names: tuple[str, ...] = ()
    provider: str | None = None
    assessment: str | None = None

    def __bool__(self) -> bool:
        return bool(self.names or self.provider or self.assessment)

    @property
    def label(self) -> str:
        """How plans record it ("" for the whole project)."""
        parts = [f"--select {n}" for n in self.names]
        parts += [f"--provider {self.provider}"] if self.provider else []
        parts += [f"--assessment {self.assessment}"] if self.assessment else []
        return " ".join(parts)

    def matches(self, key: ScheduleKey) -> bool:
        return ((self.provider is None or key.provider == self.provider)
                and (self.assessment is None or key.assessment_id == self.assessment)
                and (not self.names or any(fnmatchcase(key.name, glob) for glob in self.names)))

    def narrow(self, desired: DesiredState) -> DesiredState:
        """The desired schedules in scope (the others are neither read nor planned)."""
        if not self:
            return desired
        return desired.model_copy(update={"schedules": tuple(s for s in desired.schedules if self.matches(s.key))})

    def world(self, world: ObservedWorld) -> ObservedWorld:
        """What a provider read, without the schedules out of scope (never retired, never reported)."""
        if not self:
            return world
        return ObservedWorld(
            managed={k: o for k, o in world.managed.items() if self.matches(k)},
            retired={k: o for k, o in world.retired.items() if self.matches(k)},
            unmanaged=[u for u in world.unmanaged
                       if self.matches(ScheduleKey(u.provider, u.assessment_id, u.name))])

    def require_match(self, desired: DesiredState, plan: Plan) -> None:
        """Raise when the scope names no declared schedule and the plan found none live in it either (a typo
        in --select would otherwise read as "No changes")."""
        if not self or any(self.matches(s.key) for s in desired.schedules):
            return
        if plan.changes or plan.unmanaged or plan.undeclared or plan.in_sync:
            return
        raise NothingMatchedError(f"{self.label} matched no schedule, declared or live: nothing was planned "
                                  "(check the name, or leave the option out for the whole project)")
