"""Pydantic v2 models of desired state. Observed state is mapped into the same models."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Annotated, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from .vendors import PROVIDER_TITLES as PROVIDER_TITLES  # re-exported: the titles come from the registry
from .vendors import VENDORS

ProviderName = Literal["mettl", "questionmark"]
PROVIDERS: tuple[str, ...] = tuple(VENDORS)

_OFFSET = re.compile(r"^UTC(?:(?P<sign>[+-])(?P<h>\d{2}):(?P<m>\d{2}))?$")


@dataclass(frozen=True)
class Secret:
    """Field metadata: the value is a secret. It is the only kind of field where `${VAR}` is read from the
    environment — VAR must be listed under `secrets:` in reconciler.yaml, or be `env`, the field's
    conventional variable — and every value read is scrubbed from all output."""

    env: str | None = None


class Frozen(BaseModel):
    """Base for every model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def normalize_email(value: str) -> str:
    """The identity of an email: NFKC-normalised, trimmed, case-folded."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def is_email(value: str) -> bool:
    """True for an address the standards allow (RFC 5321/5322 with SMTPUTF8 and IDNA domains, quoted local
    parts too); no DNS look-up. The one email check of the project (the Mettl emulator uses it as well)."""
    try:
        validate_email(value, check_deliverability=False, allow_quoted_local=True, allow_smtputf8=True)
    except EmailNotValidError:
        return False
    return True


def _check_email(value: str) -> str:
    normalized = normalize_email(value)
    if not is_email(normalized):
        raise ValueError(f"not a valid email address: {value!r}")
    return normalized


Email = Annotated[str, AfterValidator(_check_email)]


def _check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        raise ValueError(f"not a valid http(s) URL: {value!r}")
    return value


Url = Annotated[str, AfterValidator(_check_url)]


def _check_ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"not an IPv4 address: {value!r}") from None
    return value


IPv4 = Annotated[str, AfterValidator(_check_ipv4)]


def _to_str_id(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("an assessment id is a number or a string, not a boolean")
    return str(value) if isinstance(value, int) else value


AssessmentId = Annotated[str, BeforeValidator(_to_str_id), Field(min_length=1, pattern=r"^\S+$")]


# --------------------------------------------------------------------------- time zones and windows


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_zone(name: str) -> tzinfo:
    """An IANA zone name or a fixed offset spelled `UTC+05:30`; raises ValueError otherwise."""
    match = _OFFSET.match(name)
    if match:
        if not match.group("sign"):
            return UTC
        hours, minutes = int(match.group("h")), int(match.group("m"))
        if hours > 14 or minutes >= 60:
            raise ValueError(f"offset out of range: {name!r}")
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(delta if match.group("sign") == "+" else -delta)
    if name not in _zone_names():
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like Europe/London, or UTC+05:30)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def offset_label(offset: timedelta | None) -> str:
    """`UTC+05:30` for a UTC offset."""
    total = int((offset or timedelta()).total_seconds()) // 60
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def localize(local: datetime, zone_name: str) -> datetime:
    """Attach a zone to a naive local time, rejecting times that do not exist or are ambiguous (DST)."""
    zone = parse_zone(zone_name)
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        roundtrip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if roundtrip != local:
            raise ValueError(f"{local.isoformat()} does not exist in {zone_name} (clocks move forward)")
        raise ValueError(f"{local.isoformat()} is ambiguous in {zone_name} (clocks move back: it happens twice)")
    return first


def to_utc(local: datetime, zone_name: str) -> datetime:
    """A naive local time in a zone, as an aware UTC instant."""
    return localize(local, zone_name).astimezone(UTC)


EXAMPLE_LOCAL_TIME = "2027-01-10T09:00:00"
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _not_a_number(value: Any, expected: str) -> Any:
    """Numbers are refused where a date or time belongs (pydantic would read 12 as 1970-01-01T00:00:12)."""
    if isinstance(value, bool | int | float):
        raise ValueError(f"expected {expected}, got {'a boolean' if isinstance(value, bool) else 'a number'}")
    return value


def _naive_local(value: Any) -> Any:
    _not_a_number(value, f"a local date and time such as {EXAMPLE_LOCAL_TIME}")
    if isinstance(value, datetime) and value.tzinfo is not None:
        raise ValueError("write a local time without an offset; the zone goes in time_zone")
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if re.search(r"(Z|[+-]\d{2}:?\d{2})$", text):
            raise ValueError("write a local time without an offset; the zone goes in time_zone")
        if _DATE.match(text):
            raise ValueError(f"a date without a time: write the local date and time, e.g. {text}T09:00:00")
        if not _LOCAL_TIME.match(text):
            raise ValueError(f"expected a local date and time such as {EXAMPLE_LOCAL_TIME}")
    return value


LocalDateTime = Annotated[datetime, BeforeValidator(_naive_local)]


def _calendar_date(value: Any) -> Any:
    return _not_a_number(value, "a date such as 2027-01-31")


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


def _check_zone(value: str) -> str:
    parse_zone(value)
    return value


ZoneName = Annotated[str, AfterValidator(_check_zone)]


class Window(Frozen):
    """An exam window: local wall-clock times in a zone. Compared as UTC instants."""

    start: LocalDateTime
    end: LocalDateTime
    time_zone: ZoneName = "UTC"

    @model_validator(mode="after")
    def _check(self) -> Window:
        localize(self.start, self.time_zone)
        localize(self.end, self.time_zone)
        if self.end_utc <= self.start_utc:
            raise ValueError("window end must be after its start")
        return self

    @property
    def start_utc(self) -> datetime:
        return to_utc(self.start, self.time_zone)

    @property
    def end_utc(self) -> datetime:
        return to_utc(self.end, self.time_zone)

    def same_instants(self, other: Window | None) -> bool:
        return other is not None and (self.start_utc, self.end_utc) == (other.start_utc, other.end_utc)

    @classmethod
    def from_utc(cls, start: datetime, end: datetime, time_zone: str = "UTC") -> Window:
        """Build a window from UTC instants, shown in the given zone."""
        zone = parse_zone(time_zone)
        as_local = [
            (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(zone).replace(tzinfo=None)
            for t in (start, end)
        ]
        return cls(start=as_local[0], end=as_local[1], time_zone=time_zone)


# --------------------------------------------------------------------------- candidates


class Candidate(Frozen):
    """A person invited to a schedule; identity is the normalised email."""

    email: Email
    name: str = Field(min_length=1)
    fields: dict[str, str] = Field(default_factory=dict, description="Other registration fields (Mettl).")


class CsvList(Frozen):
    """A candidate list kept in a CSV file with columns email,name[,other registration fields]."""

    csv: str


# --------------------------------------------------------------------------- Mettl settings


class MettlAccess(Frozen):
    send_email: bool | None = None
    is_candidate_crf_prefilled: bool | None = None


class WebProctoring(Frozen):
    enabled: bool | None = None
    count: int | None = Field(default=None, ge=0)
    show_remaining_counts: bool | None = None


class VisualProctoringOptions(Frozen):
    candidate_screen_capture: bool | None = None
    candidate_authorization: bool | None = None


class VisualProctoring(Frozen):
    mode: Literal["PHOTO", "OFF"] | None = None
    options: VisualProctoringOptions | None = None


class SecureBrowser(Frozen):
    enabled: bool | None = None


class GradeNotification(Frozen):
    enabled: bool | None = None
    recipients: tuple[Email, ...] | None = None


class IpRange(Frozen):
    start: IPv4
    end: IPv4


class IpAccessRestriction(Frozen):
    enabled: bool | None = None
    type: Literal["SINGLE", "RANGE"] | None = None
    ip: IPv4 | None = None
    ranges: tuple[IpRange, ...] | None = None


class MettlSettings(Frozen):
    """Every Edit Schedule property of Mettl, in snake_case. Omitted = not managed (left as it is)."""

    source_app: str | None = None
    access: MettlAccess | None = None
    fixed_access_option: Literal["ExactTime", "SlotWise"] | None = None
    web_proctoring: WebProctoring | None = None
    visual_proctoring: VisualProctoring | None = None
    secure_browser: SecureBrowser | None = None
    protected: Literal["OtpOnEmail", "NotEnabled"] | None = None
    test_start_notification_url: Url | None = None
    test_finish_notification_url: Url | None = None
    test_graded_notification_url: Url | None = None
    test_resume_enabled_for_expired_test_url: Url | None = None
    test_notification_basic_auth_header: Annotated[SecretStr | None, Secret()] = Field(
        default=None,
        description="Secret: write it as ${VAR}, VAR listed under secrets: in reconciler.yaml. Write-only at "
        "Mettl: sent on create.",
    )
    test_grade_notification: GradeNotification | None = None
    ip_access_restriction: IpAccessRestriction | None = None


# --------------------------------------------------------------------------- Questionmark settings


class ReportWindow(Frozen):
    start: LocalDateTime | None = None
    end: LocalDateTime | None = None


class QuestionmarkSettings(Frozen):
    """Writable Questionmark Schedule properties. Times are local, in the schedule window's zone."""

    language: str | None = None
    disabled: bool | None = None
    hidden: bool | None = None
    resume_allowed: bool | None = None
    resume_until: LocalDateTime | None = None
    report_window: ReportWindow | None = None
    report_template: str | None = None
    reported_result: Literal["First", "Last", "Best", "Worst"] | None = None
    extra_time: int | None = None
    max_attempts: int | None = Field(default=None, ge=1)
    monitoring_type_id: int | None = None
    observer_initiated: bool | None = None
    test_center_id: int | None = None
    rules_of_conduct_id: int | None = None


class Accommodation(Frozen):
    """A per-candidate exception (Questionmark exception schedule)."""

    extra_time: int | None = None
    max_attempts: int | None = Field(default=None, ge=1)


MetadataKey = Annotated[str, Field(min_length=1, max_length=200)]
MetadataValue = Annotated[str, Field(max_length=4000)]


# --------------------------------------------------------------------------- schedules




def schedule_label(provider: str, assessment_id: str, name: str) -> str:
    """How every output names a schedule (plans, apply progress, drift, errors): `Mettl · 769688 · Name`."""
    return f"{PROVIDER_TITLES.get(provider, provider)} · {assessment_id} · {name}"


class ScheduleKey(NamedTuple):
    """The identity of a schedule across desired and observed state."""

    provider: str
    assessment_id: str
    name: str

    def __str__(self) -> str:
        return schedule_label(self.provider, self.assessment_id, self.name)

    @property
    def path(self) -> str:
        """The machine form, `mettl/769688/Name`: the keys of a plan's fingerprints."""
        return f"{self.provider}/{self.assessment_id}/{self.name}"


class ScheduleBase(Frozen):
    name: str = Field(min_length=1)
    previous_names: tuple[Annotated[str, Field(min_length=1)], ...] = Field(
        default=(),
        description="Names this schedule had before: when none is live under `name`, the live schedule under a "
        "previous name (same provider and assessment) is adopted and renamed, its candidates kept.",
    )
    provider: ProviderName
    assessment_id: AssessmentId
    window: Window | None = None
    group: str | None = Field(default=None, description="Questionmark: the group whose members are the candidates.")
    accommodations: dict[Email, Accommodation] = Field(default_factory=dict)
    metadata: dict[MetadataKey, MetadataValue] = Field(default_factory=dict)
    mettl: MettlSettings | None = None
    questionmark: QuestionmarkSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _declared_means_enabled(cls, data: Any) -> Any:
        """A Questionmark schedule written in YAML is meant to be live: `disabled` defaults to false.

        Without this, a schedule retired (disabled) and later put back would silently stay disabled.
        """
        if not isinstance(data, dict) or data.get("provider") != "questionmark":
            return data
        block = data.get("questionmark")
        if block is None:
            return {**data, "questionmark": {"disabled": False}}
        if isinstance(block, dict) and block.get("disabled") is None:
            return {**data, "questionmark": {**block, "disabled": False}}
        if isinstance(block, QuestionmarkSettings) and block.disabled is None:
            return {**data, "questionmark": block.model_copy(update={"disabled": False})}
        return data

    @model_validator(mode="after")
    def _vendor_block_matches(self) -> ScheduleBase:
        if self.provider == "mettl" and self.questionmark is not None:
            raise ValueError("a mettl schedule cannot have a questionmark: block")
        if self.provider == "questionmark" and self.mettl is not None:
            raise ValueError("a questionmark schedule cannot have a mettl: block")
        if self.provider == "mettl" and (self.group or self.accommodations or self.metadata):
            raise ValueError("group, accommodations and metadata are Questionmark features")
        if self.name in self.previous_names:
            raise ValueError(f"previous_names lists the schedule's own name {self.name!r}")
        if len(set(self.previous_names)) != len(self.previous_names):
            raise ValueError("previous_names lists a name twice")
        return self

    @property
    def key(self) -> ScheduleKey:
        return ScheduleKey(self.provider, self.assessment_id, self.name)


class ScheduleDoc(ScheduleBase):
    """A schedule as written in a desired-state file: candidates name lists or are inline."""

    archived: bool = Field(
        default=False,
        description="The window is over and is kept as written: silences the window-in-the-past check. "
        "The schedule is still reconciled like any other.",
    )
    candidates: list[str | Candidate] | None = Field(
        default=None, description="Candidate list names and/or inline {email, name} entries."
    )


class Schedule(ScheduleBase):
    """A resolved schedule: candidate lists expanded. Desired and observed state share this model."""

    candidates: tuple[Candidate, ...] | None = None

    @field_validator("candidates")
    @classmethod
    def _unique_emails(cls, value: tuple[Candidate, ...] | None) -> tuple[Candidate, ...] | None:
        if value is None:
            return value
        seen: set[str] = set()
        for candidate in value:
            if candidate.email in seen:
                raise ValueError(f"duplicate candidate email {candidate.email}")
            seen.add(candidate.email)
        return value

    def candidate_emails(self) -> frozenset[str]:
        return frozenset(c.email for c in self.candidates or ())


class Suppression(Frozen):
    """Known drift to stop reporting, with an owner, a reason and an expiry date."""

    schedule: str
    provider: ProviderName | None = None
    paths: tuple[str, ...] = Field(
        default=(), description="Field paths (e.g. window, mettl.web_proctoring); empty = all."
    )
    owner: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    expires: CalendarDate


class DesiredFile(Frozen):
    """One desired-state YAML file; any number of them are merged."""

    candidate_lists: dict[str, list[Candidate] | CsvList] = Field(default_factory=dict)
    schedules: list[ScheduleDoc] = Field(default_factory=list)
    suppressions: list[Suppression] = Field(default_factory=list)


# --------------------------------------------------------------------------- project file


_PRUNE_HERE = "Retire this provider's schedules that are no longer declared; unset: the project's `prune`."


class MettlProviderConfig(Frozen):
    base_url: Url = "https://api.mettl.com"
    api_version: Literal["v1", "v2", "v3"] = "v2"
    public_key: Annotated[str | None, Secret("METTL_PUBLIC_KEY")] = None
    private_key: Annotated[SecretStr | None, Secret("METTL_PRIVATE_KEY")] = None
    timeout: float = Field(default=30.0, gt=0)
    max_workers: int = Field(default=8, ge=1, le=64)
    max_candidates_per_edit: int = Field(default=2000, ge=1)
    source_app: str = Field(
        default="reconciler", min_length=1,
        description="Sent as `sourceApp` on every create (mandatory there); a schedule's mettl.source_app wins. "
        "A live schedule with this sourceApp was made by this project: once no longer declared it is reported "
        "(and retired with prune).")
    prune: bool | None = Field(default=None, description=_PRUNE_HERE)


class QuestionmarkProviderConfig(Frozen):
    base_url: Url = "https://ondemand.questionmark.com/deliveryodata/000000"
    username: Annotated[str | None, Secret("QUESTIONMARK_USERNAME")] = None
    password: Annotated[SecretStr | None, Secret("QUESTIONMARK_PASSWORD")] = None
    timeout: float = Field(default=30.0, gt=0)
    max_workers: int = Field(default=8, ge=1, le=64)
    prune: bool | None = Field(default=None, description=_PRUNE_HERE)


class ProvidersConfig(Frozen):
    mettl: MettlProviderConfig | None = None
    questionmark: QuestionmarkProviderConfig | None = None


class SafetyConfig(Frozen):
    """Limits past which apply refuses (exit 3) unless --force is given."""

    max_removal_fraction: float = Field(default=0.25, ge=0, le=1)
    min_candidates_for_fraction: int = Field(default=10, ge=0)
    protect_live_windows: bool = True
    max_retire_fraction: float = Field(
        default=0.3, ge=0, le=1,
        description="With prune: retiring more than this share of a provider's live managed schedules needs --force.")
    min_schedules_for_retire_fraction: int = Field(
        default=5, ge=0, description="The retire fraction applies from this many live managed schedules up.")


class LimitsConfig(Frozen):
    """Bounds on what the loader reads; past one, validate stops with a clear error."""

    max_file_bytes: int = Field(default=10_000_000, ge=1, le=100_000_000, description="Per YAML or CSV file.")
    max_files: int = Field(default=1000, ge=1, le=100_000, description="YAML and CSV files in all.")
    max_csv_rows: int = Field(default=100_000, ge=1, le=10_000_000, description="Per CSV candidate list.")


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class ProjectConfig(Frozen):
    """reconciler.yaml."""

    providers: ProvidersConfig = Field(default_factory=ProvidersConfig)
    desired: list[str] = Field(default_factory=lambda: ["desired"])
    secrets: list[EnvName] = Field(
        default_factory=list,
        description="Environment variables that secret fields may read as ${VAR}, besides each credential's "
        "own (METTL_PUBLIC_KEY, METTL_PRIVATE_KEY, QUESTIONMARK_USERNAME, QUESTIONMARK_PASSWORD).",
    )
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    prune: bool = Field(
        default=False,
        description="Retire schedules this project made that are no longer declared (Questionmark: disabled; "
        "Mettl: window closed; never deleted). Off: they are reported and left alone. "
        "providers.<name>.prune overrides it per provider.")

    def pruned_providers(self) -> frozenset[str]:
        """The configured providers whose no-longer-declared schedules are retired."""
        pruned = set()
        for name in PROVIDERS:
            config: MettlProviderConfig | QuestionmarkProviderConfig | None = getattr(self.providers, name)
            if config is not None and (self.prune if config.prune is None else config.prune):
                pruned.add(name)
        return frozenset(pruned)


class DesiredState(Frozen):
    """Everything the desired-state files say, merged and resolved."""

    schedules: tuple[Schedule, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    prune: frozenset[str] = Field(
        default=frozenset(), description="Providers whose no-longer-declared schedules are retired (`prune`).")


# --------------------------------------------------------------------------- views

WRITE_ONLY_FIELDS = frozenset({"test_notification_basic_auth_header"})


def managed_view(value: Any) -> Any:
    """A plain view of what the desired state sets: None means unmanaged and is dropped."""
    if isinstance(value, BaseModel):
        out = {}
        for name in type(value).model_fields:
            if name in WRITE_ONLY_FIELDS:
                continue
            item = managed_view(getattr(value, name))
            if item is not None:
                out[name] = item
        return out
    if isinstance(value, dict):
        return {str(k): managed_view(v) for k, v in value.items() if v is not None}
    if isinstance(value, tuple | list):
        return [managed_view(v) for v in value]
    if isinstance(value, SecretStr):
        return "(sensitive)"
    if isinstance(value, datetime):
        return value.isoformat()
    return value
