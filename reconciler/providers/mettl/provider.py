"""The Mettl provider: reads schedules into the shared models, applies a change with the fewest calls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ...models import MettlProviderConfig, Schedule, ScheduleKey
from ...observed import Observed, ObservedWorld
from ...plan import Create, Disable, Update
from ..base import Endpoint, Provider, Written
from . import writes
from .client import DEFAULTS, PROVIDER, MettlClient
from .observe import Reader, observed_of
from .status import removal_blockers


class MettlProvider(Provider):
    """Identity is (assessment_id, name); a schedule no longer declared is retired only when it carries this
    project's sourceApp (and prune is on); the others are reported, never touched."""

    name = PROVIDER

    def __init__(
        self,
        client: MettlClient,
        *,
        max_workers: int = DEFAULTS.max_workers,
        max_candidates_per_edit: int = DEFAULTS.max_candidates_per_edit,
        source_app: str = DEFAULTS.source_app,
        family: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.max_workers = max_workers
        self.batch = max_candidates_per_edit
        self.source_app = source_app
        self.family = family or source_app  # the project's sourceApp without a shard: `<family>/<shard>` siblings
        self.now = now  # when a window counts as ended, and when a retirement closes it

    def clients(self) -> tuple[MettlClient]:
        return (self.client,)

    def _reader(self) -> Reader:
        return Reader(self.client, self.max_workers, self.source_app, self.family, self.now)

    def observe(self, desired: Sequence[Schedule]) -> ObservedWorld:
        """List every assessment the desired state names, then read each managed schedule in full (observe.py)."""
        return self._reader().world(desired)

    def observed_of(self, assessment_id: str, raw: dict[str, Any], printed: str,
                    desired: Schedule | None = None) -> Observed:
        """A read schedule (`raw`: its checked answer) as observed state (see observe.observed_of)."""
        return observed_of(assessment_id, raw, printed, desired, self.now())

    def started(self, observed: Observed, emails: frozenset[str]) -> dict[str, str]:
        """Those of `emails` who may not be removed, with why: read from each candidate's `testStatus`.

        Fail closed: a candidate without a readable status row is kept ("status unknown"; with an inline
        `submissionDate`, "may have submitted": assumption M-18).
        """
        return removal_blockers(self.client.schedule_candidates(observed.ref), emails, observed.live.noted)

    def observe_one(self, key: ScheduleKey, desired: Schedule | None) -> Observed | None:
        return self._reader().one(key, desired)

    def _create(self, change: Create, observed: Observed | None) -> Written:
        return writes.create(self.client, change.desired, batch=self.batch, source_app=self.source_app)

    def _update(self, change: Update, observed: Observed) -> Written:
        return writes.update(self.client, change, observed, batch=self.batch)

    def _retire(self, change: Disable, observed: Observed) -> Written:
        return writes.retire(self.client, observed, self.now())


def make_mettl_provider(
    config: MettlProviderConfig | None, endpoint: Endpoint, *, shard: str | None = None
) -> MettlProvider:
    """The provider for a project's `providers.mettl` block (or a sandbox endpoint); without one, the
    settings model's defaults."""
    config = config or MettlProviderConfig()
    workers = config.max_workers
    client = MettlClient(endpoint.base_url, endpoint.user, endpoint.secret, version=config.api_version,
                         timeout=config.timeout, pool_size=max(workers, 4))
    source_app = config.source_app
    own = f"{source_app}/{shard}" if shard else source_app  # assumption M-13: a shard's own sourceApp
    return MettlProvider(client, max_workers=workers, max_candidates_per_edit=config.max_candidates_per_edit,
                         source_app=own, family=source_app)
