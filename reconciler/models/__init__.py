"""Pydantic v2 models of desired state. Observed state is mapped into the same models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from ..vendors import PROVIDER_TITLES as PROVIDER_TITLES  # re-exported: the titles come from the vendors table

# Re-exported: the rest of the package imports these from models.
from .base import (
    AssessmentId as AssessmentId,
    CalendarDate as CalendarDate,
    Email as Email,
    Frozen as Frozen,
    IPv4 as IPv4,
    LocalDateTime as LocalDateTime,
    OneLine as OneLine,
    ProviderName as ProviderName,
    Secret as Secret,
    ZoneName as ZoneName,
    checked_email,
    checked_emails as checked_emails,
    control_character,
    has_control,
    is_email as is_email,
    localize as localize,
    normalize_email as normalize_email,
    offset_label as offset_label,
    one_line,
    parse_zone as parse_zone,
    printable_text,
    to_utc as to_utc,
)
from .project import (
    LimitsConfig as LimitsConfig,
    MettlProviderConfig as MettlProviderConfig,
    ProjectConfig as ProjectConfig,
    QuestionmarkProviderConfig as QuestionmarkProviderConfig,
    SafetyConfig as SafetyConfig,
)
from .settings import (
    Accommodation as Accommodation,
    GradeNotification as GradeNotification,
    IpAccessRestriction as IpAccessRestriction,
    IpRange as IpRange,
    MetadataKey as MetadataKey,
    MetadataValue as MetadataValue,
    MettlAccess as MettlAccess,
    MettlSettings as MettlSettings,
    QuestionmarkSettings as QuestionmarkSettings,
    ReportWindow as ReportWindow,
    SecureBrowser as SecureBrowser,
    VisualProctoring as VisualProctoring,
    VisualProctoringOptions as VisualProctoringOptions,
    WebProctoring as WebProctoring,
)


class Window(Frozen):
    """An exam window: local wall-clock times in a zone. Compared as UTC instants."""

    start: LocalDateTime
    end: LocalDateTime
    time_zone: ZoneName = Field(
        default="UTC", description="IANA zone (or UTC, UTC+05:30). In a desired file it must be written unless "
        "reconciler.yaml sets a default time_zone:.")

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


QuestionmarkLogin = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\"'&\\/,|£<>:#]+$")]
"""A participant login name as `model/g_participant.rst` allows it: at most 200 characters, none of
`" ' & \\ / , | £ < > : #`."""


class Candidate(Frozen):
    """A person invited to a schedule; identity is the normalised email."""

    email: Email
    name: str = Field(min_length=1)
    fields: dict[str, str] = Field(default_factory=dict, description="Other registration fields (Mettl).")
    questionmark_login: QuestionmarkLogin | None = Field(
        default=None, description="Questionmark: this person's participant login name (`Participant.Name`), when "
        "it is not their email (e.g. `jsmith`, an employee number). Found by it first; created with it if missing.")

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        return one_line(value)

    @field_validator("fields")
    @classmethod
    def _printable_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            one_line(key)
            one_line(item)
        return value

    @classmethod
    def trusted(cls, email: str, name: str, fields: dict[str, str] | None = None) -> Candidate:
        """The one constructor for a candidate whose parts were already checked (`email` normalised, `name`
        not empty): pydantic's public `model_construct`, without per-field validation (a plan reads hundreds
        of thousands). `fields` None: none given (a shared empty mapping, as validation leaves them)."""
        if fields is None:
            return cls.model_construct(_NAMED, email=email, name=name, fields=_NO_FIELDS)
        return cls.model_construct(_NAMED_WITH_FIELDS, email=email, name=name, fields=fields)

    @classmethod
    def read(cls, email: object, name: object) -> Candidate:
        """A candidate from a vendor's answer, checked and normalised as validation does. ValueError when not
        valid."""
        if not isinstance(email, str) or not isinstance(name, str) or not name:
            raise ValueError(f"not a candidate: email {email!r}, name {name!r}")
        return cls.trusted(checked_email(email), name)


# Shared by every trusted candidate (the model is frozen: nothing mutates them). With `fields` given,
# model_construct skips pydantic's per-call default-factory introspection; one fields-set for all saves a set
# (~200 bytes) per candidate (pydantic copies it before changing a copy's).
_NO_FIELDS: dict[str, str] = {}
_NAMED, _NAMED_WITH_FIELDS = {"email", "name"}, {"email", "name", "fields"}


def desired_candidate(email: object, name: object, fields: dict[str, str] | None = None) -> Candidate | None:
    """The Candidate that validation would build from these strings, built without per-field validation (a
    project may list a million); None when validation would refuse it: validate then, for its messages."""
    if type(email) is not str or type(name) is not str:
        return None
    try:
        normalized = checked_email(email)
    except ValueError:
        return None
    if not name or has_control(name) or (fields and has_control("".join([*fields, *fields.values()]))):
        return None  # validation says why, at its line
    return Candidate.trusted(normalized, name, fields)


def checked_candidates(emails: Sequence[str | None], names: Sequence[str],
                       fields: Sequence[dict[str, str]] | None = None) -> Sequence[Candidate | None]:
    """`Candidate.trusted` of each (email, name, fields) of a CSV file; None where the email is None (not
    valid: `checked_emails`), the name empty, or a name or field holds a control character (validation says
    why, at its line). `fields` None: none given."""
    extras: Iterable[dict[str, str] | None] = repeat(None, len(emails)) if fields is None else fields
    trusted = Candidate.trusted
    built = [trusted(email, name, extra) if email and name else None
             for email, name, extra in zip(emails, names, extras, strict=True)]
    printable = _printable_rows(names, fields)
    if printable is None:
        return built
    return [candidate if printable[at] else None for at, candidate in enumerate(built)]


def _printable_rows(names: Sequence[str], fields: Sequence[dict[str, str]] | None) -> list[bool] | None:
    """None when no name or field holds a control character (one search over them all); else per row whether
    it holds none."""
    every = "".join(names) + ("".join("".join([*extra, *extra.values()]) for extra in {id(f): f for f in fields}
                                      .values()) if fields else "")
    if not has_control(every):
        return None
    return [not has_control(name) and not (fields and has_control("".join([*fields[at], *fields[at].values()])))
            for at, name in enumerate(names)]


class CsvList(Frozen):
    """A candidate list kept in a CSV file with columns email,name[,other registration fields]."""

    csv: str


# --------------------------------------------------------------------------- Mettl settings




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
    """A schedule as written in a desired-state file: candidates name lists or are inline. Its strings are
    printable, one line each (a metadata value may hold line feeds and tabs)."""

    @field_validator("name", "group")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return value if value is None else one_line(value)

    @field_validator("previous_names")
    @classmethod
    def _one_line_each(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            one_line(name)
        return value

    @field_validator("metadata")
    @classmethod
    def _printable_metadata(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            one_line(key)
            printable_text(item)
        return value

    @field_validator("mettl", "questionmark")
    @classmethod
    def _printable_settings(cls, value: BaseModel | None) -> BaseModel | None:
        for path, text in _strings(value, ()):
            reason = control_character(text)
            if reason is not None:
                raise ValueError(f"{'.'.join(path)} {reason}")
        return value

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

    schedule: OneLine
    provider: ProviderName | None = None
    paths: tuple[OneLine, ...] = Field(
        default=(), description="Field paths (e.g. window, mettl.web_proctoring); empty = all."
    )
    owner: OneLine = Field(min_length=1)
    reason: Annotated[str, AfterValidator(printable_text)] = Field(min_length=1)
    expires: CalendarDate


def _strings(value: object, path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], str]]:
    """(field path, string) of every string in a settings block (secrets left out: never printed)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), (*path, name))
    elif isinstance(value, tuple | list):
        for at, item in enumerate(value):
            yield from _strings(item, (*path, str(at)))


class DesiredFile(Frozen):
    """One desired-state YAML file; any number of them are merged."""

    candidate_lists: dict[str, list[Candidate] | CsvList] = Field(default_factory=dict)
    schedules: list[ScheduleDoc] = Field(default_factory=list)
    suppressions: list[Suppression] = Field(default_factory=list)


# --------------------------------------------------------------------------- project file


class DesiredState(Frozen):
    """Everything the desired-state files say, merged and resolved."""

    schedules: tuple[Schedule, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    prune: frozenset[str] = Field(
        default=frozenset(), description="Providers whose no-longer-declared schedules are retired (`prune`).")


# --------------------------------------------------------------------------- views

def _secret_fields(*models: type[BaseModel]) -> frozenset[str]:
    """The fields marked `Secret()`: write-only at the vendor (never read back, so never compared)."""
    return frozenset(name for model in models for name, info in model.model_fields.items()
                     if any(isinstance(marker, Secret) for marker in info.metadata))


WRITE_ONLY_FIELDS = _secret_fields(MettlSettings, QuestionmarkSettings)
"""Vendor settings that are secrets, derived from the `Secret` marker (the one list)."""


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
