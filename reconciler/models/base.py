"""Value types shared by the models: frozen base, emails, URLs, ids, zones and local times."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from ..vendors import (
    PROVIDER_TITLES as PROVIDER_TITLES,  # re-exported: the titles come from the vendors' table
    VENDOR_NAMES,
)

ProviderName = Literal["mettl", "questionmark"]
PROVIDERS: tuple[str, ...] = VENDOR_NAMES

_OFFSET = re.compile(r"^UTC(?:(?P<sign>[+-])(?P<h>\d{2}):(?P<m>\d{2}))?$")


@dataclass(frozen=True)
class Secret:
    """Field metadata: the value is a secret. It is the only kind of field where `${VAR}` is read from the
    environment — VAR must be listed under `secrets:` in reconciler.yaml, or be `env`, the field's
    conventional variable — and every value read is scrubbed from all output."""

    env: str | None = None


_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 and C1 control characters (tab and line breaks too) and the Unicode line and paragraph separators."""
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""In free text (a reason, a metadata value): the same but tab and line feed."""
_CONTROL_NAMES = {"\n": "a line feed", "\r": "a carriage return", "\t": "a tab", "\x1b": "an escape"}


def control_character(value: str, *, text: bool = False) -> str | None:
    """Why value may not be used as a name or user string (None: it may). Output that carries it reaches logs
    and CI runners, where a control character or a line break could pose as a workflow command (docs/security.md)."""
    found = (_CONTROL_IN_TEXT if text else _CONTROL_IN_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    shown = _CONTROL_NAMES.get(char, f"U+{ord(char):04X}")
    return (f"contains a control character ({shown}, at character {found.start() + 1}): names and other text "
            "must be printable, on one line")


def has_control(value: str) -> bool:
    """Whether value holds a character `control_character` refuses in a one-line string (quick)."""
    return _CONTROL_IN_LINE.search(value) is not None


def one_line(value: str) -> str:
    """A validator: value unless it holds a control character or a line break."""
    reason = control_character(value)
    if reason is not None:
        raise ValueError(reason)
    return value


def printable_text(value: str) -> str:
    """A validator: value unless it holds a control character other than tab and line feed."""
    reason = control_character(value, text=True)
    if reason is not None:
        raise ValueError(reason.replace(", on one line", " (tabs and line feeds allowed)"))
    return value


OneLine = Annotated[str, AfterValidator(one_line)]
"""A name or other user string: printable, one line (no C0/C1 control characters)."""


class Frozen(BaseModel):
    """Base for every model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def normalize_email(value: str) -> str:
    """The identity of an email: NFKC-normalised, trimmed, case-folded."""
    if value.isascii():  # NFKC leaves ASCII as it is
        return value.strip().lower()
    return unicodedata.normalize("NFKC", value).strip().lower()


SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
"""email_validator's SPECIAL_USE_DOMAIN_NAMES (a test keeps them equal), written here so that loading the models
does not load email_validator (~25 ms of start-up): only the uncommon addresses need it."""

_ONE_EMAIL = (
    r"(?=[^\n]{1,254}(?:\n|\Z))(?=[^@\n]{1,64}@)"  # at most 254 characters, a local part of at most 64
    r"(?![^@\n]*@[^@\n]*--)"  # no `--` in the domain
    r"[a-z0-9_+-]{1,64}(?:\.[a-z0-9_+-]{1,64})*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    + "".join(rf"(?<!\.{re.escape(name)})" for name in SPECIAL_USE_DOMAINS)  # no special-use domain
)
_PLAIN_EMAIL = re.compile(_ONE_EMAIL)
"""A lowercase ASCII address every standard allows as long as it is no longer than 254 characters, its local
part no longer than 64, no domain label holds `--` and the domain is no special-use name: most real addresses,
checked ~100× faster than by email_validator (anything else goes to it)."""
_SHORT_EMAIL = r"[a-z0-9_+-]++(?:\.[a-z0-9_+-]++)*+@(?:[a-z0-9-]++\.)++[a-z]{2,63}+" + "".join(
    rf"(?<!\.{re.escape(name)})" for name in SPECIAL_USE_DOMAINS)
_SHORT_EMAILS = re.compile(rf"(?:{_SHORT_EMAIL}\n)*+{_SHORT_EMAIL}")
"""Lines of plain addresses, each at most 63 characters (so no part is too long) and none in a special-use
domain; possessive (each address splits into its parts one way only: no backtracking to try). With no `--`,
`@-`, `-.` or `.-` anywhere (so no label starts or ends with `-`): a whole column checked in one quick match
and, only when it holds a `-`, four substring searches."""
_DASHES = ("--", "@-", "-.", ".-")


def _plain_email(value: str) -> bool:
    return _PLAIN_EMAIL.fullmatch(value) is not None


def is_email(value: str) -> bool:
    """True for an address the standards allow (RFC 5321/5322 with SMTPUTF8 and IDNA domains, quoted local
    parts too); no DNS look-up. The one email check of the project (the Mettl emulator uses it as well)."""
    if _plain_email(value):
        return True
    from email_validator import EmailNotValidError, validate_email  # the uncommon addresses only

    try:
        validate_email(value, check_deliverability=False, allow_quoted_local=True, allow_smtputf8=True)
    except EmailNotValidError:
        return False
    return True


def checked_email(value: str) -> str:
    """The normalised email, or ValueError when it is not one."""
    normalized = normalize_email(value)
    if not is_email(normalized):
        raise ValueError(f"not a valid email address: {value!r}")
    return normalized


def checked_emails(values: list[str]) -> Sequence[str | None]:
    """checked_email of each value, None for one that is not an email: a column of common addresses (ASCII,
    trimmed) at the cost of one match, any other column one value at a time."""
    joined = "\n".join(values)
    if values and joined.isascii() and joined.count("\n") == len(values) - 1 and max(map(len, values)) <= 63:
        lowered = joined.lower()
        dashes = "-" in lowered and any(dash in lowered for dash in _DASHES)
        if not dashes and _SHORT_EMAILS.fullmatch(lowered):
            return lowered.split("\n")
    found: list[str | None] = []
    for value in values:
        try:
            found.append(checked_email(value))
        except ValueError:
            found.append(None)
    return found


Email = Annotated[str, AfterValidator(checked_email)]


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
        try:
            datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise ValueError(f"{text} is not a real date and time: expected a local date and time such as "
                             f"{EXAMPLE_LOCAL_TIME}") from None
    return value


def _quoted(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


LocalDateTime = Annotated[datetime, BeforeValidator(_naive_local)]


EXAMPLE_DATE = "2027-01-31"


def _calendar_date(value: Any) -> Any:
    """A date such as 2027-01-31, worded as the window times are: a time, or a day that does not exist, is
    named as such (not pydantic's `input should be a valid date or datetime, …`)."""
    _not_a_number(value, f"a date such as {EXAMPLE_DATE}")
    if isinstance(value, datetime):
        raise ValueError(f"a date and time: write the date alone, e.g. {value.date().isoformat()}")
    if isinstance(value, str):
        text = value.strip()
        if _LOCAL_TIME.match(text):
            raise ValueError(f"a date and time: write the date alone, e.g. {text[:10]}")
        if not _DATE.match(text):
            raise ValueError(f"expected a date such as {EXAMPLE_DATE}, got {_quoted(text)}")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text} is not a real date: expected a date such as {EXAMPLE_DATE}") from None
    return value


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


def _check_zone(value: str) -> str:
    parse_zone(value)
    return value


ZoneName = Annotated[str, AfterValidator(_check_zone)]
