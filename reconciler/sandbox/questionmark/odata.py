"""OData v3 pieces for the Questionmark emulator: errors, Edm.DateTime text, `$filter` and `$orderby`.

The `$filter` parser is a small recursive-descent parser (never `eval`): comparisons `eq ne gt ge lt le`
joined by `and`/`or` (and `not`), parentheses, and the literals the Delivery OData service accepts:
integers, Int64 with an `L` suffix, single-quoted strings with `''` for a quote, `datetime'...'`, `null`,
`true`/`false`. Only properties the feed allows may appear; anything else is a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class ODataError(ValueError):
    """An error the service answers with an `odata.error` body."""

    def __init__(self, status: int, message: str, code: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or {
            400: "BadRequest",
            401: "Unauthorized",
            403: "Forbidden",
            404: "NotFound",
            405: "MethodNotAllowed",
            415: "UnsupportedMediaType",
        }.get(status, "Error")
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:  # assumption Q-05
        return {"odata.error": {"code": self.code, "message": {"lang": "en-US", "value": self.message}}}


def bad_request(message: str) -> ODataError:
    return ODataError(400, message)


# ---------------------------------------------------------------------------------------- Edm.DateTime

_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$")


def parse_datetime(text: str) -> datetime:
    """Parse an Edm.DateTime as sent by clients: with `Z`, an offset, or nothing (UTC). Returns aware UTC."""
    match = _DATETIME.match(text.strip())
    if not match:
        raise bad_request(f"'{text}' is not a valid Edm.DateTime (expected e.g. 2027-01-10T08:00:00Z)")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, UTC)
    except ValueError as exc:
        raise bad_request(f"'{text}' is not a valid Edm.DateTime: {exc}") from None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        value -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return value


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_datetime(value: datetime, *, zulu: bool) -> str:
    """`zulu`: 7 fractional digits and `Z` (like Created); else no `Z` and a fraction only when non-zero."""
    value = as_utc(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if zulu:
        return f"{text}.{value.microsecond:06d}0Z"
    return f"{text}.{value.microsecond:06d}0" if value.microsecond else text


# ---------------------------------------------------------------------------------------- $filter AST


@dataclass(frozen=True)
class Lit:
    edm: str  # Edm.Int32, Edm.Int64, Edm.String, Edm.DateTime, Edm.Boolean or "null"
    value: Any


@dataclass(frozen=True)
class Prop:
    name: str
    edm: str


@dataclass(frozen=True)
class Compare:
    op: str
    left: Lit | Prop
    right: Lit | Prop


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not:
    operand: Expr


Expr = Compare | Logical | Not

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<paren>[(),])
      | (?P<string>'(?:[^']|'')*')
      | (?P<typed>[A-Za-z]+'[^']*')
      | (?P<number>-?\d+(?:\.\d+)?[LlMmDdFf]?)(?![A-Za-z0-9_])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise bad_request(f"Syntax error in $filter at position {pos}: unexpected '{text[pos : pos + 10]}'")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, properties: Mapping[str, str], entity_set: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.properties = properties
        self.entity_set = entity_set

    def error(self, message: str, token: _Token | None = None) -> ODataError:
        where = f"position {token.pos}" if token else "the end"
        return bad_request(f"Syntax error in $filter at {where}: {message} (filter: {self.text})")

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of expression")
        self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text in words

    def parse(self) -> Expr:
        if not self.tokens:
            raise bad_request("$filter is empty")
        expr = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected '{extra.text}'", extra)
        return expr

    def parse_or(self) -> Expr:  # assumption Q-10: `or` joins comparisons (`Name eq 'a' or Name eq 'b'`)
        expr = self.parse_and()
        while self.at_keyword("or"):
            self.take()
            expr = Logical("or", expr, self.parse_and())
        return expr

    def parse_and(self) -> Expr:
        expr = self.parse_unary()
        while self.at_keyword("and"):
            self.take()
            expr = Logical("and", expr, self.parse_unary())
        return expr

    def parse_unary(self) -> Expr:
        if self.at_keyword("not"):
            self.take()
            return Not(self.parse_unary())
        token = self.peek()
        if token is not None and token.kind == "paren" and token.text == "(":
            self.take()
            expr = self.parse_or()
            close = self.peek()
            if close is None:
                raise self.error("expected ')'")
            self.take()
            if close.text != ")":
                raise self.error(f"expected ')' but found '{close.text}'", close)
            return expr
        left = self.parse_operand()
        op = self.take()
        if op.kind != "name" or op.text not in COMPARISONS:
            raise self.error(f"expected a comparison operator (eq, ne, gt, ge, lt, le) but found '{op.text}'", op)
        right = self.parse_operand()
        _check_types(op.text, left, right)
        return Compare(op.text, left, right)

    def parse_operand(self) -> Lit | Prop:
        token = self.take()
        if token.kind == "string":
            return Lit("Edm.String", token.text[1:-1].replace("''", "'"))
        if token.kind == "typed":
            prefix, _, rest = token.text.partition("'")
            if prefix.lower() not in ("datetime", "datetimeoffset"):
                raise self.error(f"literals of type '{prefix}' are not supported", token)
            return Lit("Edm.DateTime", parse_datetime(rest[:-1]))
        if token.kind == "number":
            return self.number(token)
        if token.kind == "name":
            return self.name(token)
        raise self.error(f"expected a property or a literal but found '{token.text}'", token)

    def number(self, token: _Token) -> Lit:
        text = token.text
        if text[-1] in "Ll":
            value = int(text[:-1])
            if not INT64_MIN <= value <= INT64_MAX:
                raise self.error(f"Int64 literal out of range: {text}", token)
            return Lit("Edm.Int64", value)
        if not text.lstrip("-").isdigit():
            raise self.error(f"decimal and floating-point literals are not supported: {text}", token)
        value = int(text)
        if INT32_MIN <= value <= INT32_MAX:
            return Lit("Edm.Int32", value)
        raise self.error(f"integer literal {text} is too large for Edm.Int32; add an L suffix for Edm.Int64", token)

    def name(self, token: _Token) -> Lit | Prop:
        word = token.text
        if word == "null":
            return Lit("null", None)
        if word in ("true", "false"):
            return Lit("Edm.Boolean", word == "true")
        following = self.peek()
        if following is not None and following.text == "(":
            raise bad_request(f"$filter function '{word}' is not supported by the {self.entity_set} feed")
        if word in COMPARISONS or word in ("and", "or", "not"):
            raise self.error(f"expected a property or a literal but found '{word}'", token)
        if word not in self.properties:
            allowed = ", ".join(self.properties)
            raise bad_request(
                f"Filtering on '{word}' is not supported by the {self.entity_set} feed; allowed: {allowed}"
            )
        return Prop(word, self.properties[word])


_NUMERIC = ("Edm.Int32", "Edm.Int64")


def _check_types(op: str, left: Lit | Prop, right: Lit | Prop) -> None:
    a, b = left.edm, right.edm
    if "null" in (a, b):
        return
    compatible = a == b or (a in _NUMERIC and b in _NUMERIC)
    if compatible and a == "Edm.Boolean" and op not in ("eq", "ne"):
        compatible = False
    if not compatible:
        raise bad_request(f"Operator '{op}' incompatible with operand types '{a}' and '{b}' in $filter")


def _value(operand: Lit | Prop, entity: Mapping[str, Any]) -> Any:
    value = operand.value if isinstance(operand, Lit) else entity.get(operand.name)
    if isinstance(value, str):
        return value.casefold()  # SQL Server's default collation compares case-insensitively
    return value


def _evaluate(expr: Expr, entity: Mapping[str, Any]) -> bool:
    if isinstance(expr, Logical):
        if expr.op == "and":
            return _evaluate(expr.left, entity) and _evaluate(expr.right, entity)
        return _evaluate(expr.left, entity) or _evaluate(expr.right, entity)
    if isinstance(expr, Not):
        return not _evaluate(expr.operand, entity)
    left, right = _value(expr.left, entity), _value(expr.right, entity)
    if expr.op == "eq":
        return bool(left == right)
    if expr.op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    return bool({"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[expr.op])


def parse_filter(text: str, properties: Mapping[str, str], entity_set: str) -> Expr:
    """Parse `$filter` text against the feed's filterable properties (name → Edm type)."""
    return _Parser(text, properties, entity_set).parse()


def compile_filter(text: str, properties: Mapping[str, str], entity_set: str) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over stored entities (datetimes aware UTC, Int64 as int)."""
    return matcher(parse_filter(text, properties, entity_set))


def matcher(expr: Expr) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate over stored entities for a parsed filter."""
    return lambda entity: _evaluate(expr, entity)


def equality_values(expr: Expr, prop: str) -> list[Any] | None:
    """Values `prop eq v` selects (a superset of the matches), or None when the filter does not pin `prop`.

    Lets the emulator answer `Name eq 'x'`, `ID eq 1 or ID eq 2` or `ScheduleID eq 7 and ...` from an index.
    """
    if isinstance(expr, Logical):
        left, right = equality_values(expr.left, prop), equality_values(expr.right, prop)
        if expr.op == "and":
            return left if left is not None else right
        return None if left is None or right is None else left + right
    if isinstance(expr, Compare) and expr.op == "eq":
        for a, b in ((expr.left, expr.right), (expr.right, expr.left)):
            if isinstance(a, Prop) and a.name == prop and isinstance(b, Lit) and b.value is not None:
                return [b.value]
    return None


def parse_orderby(text: str, properties: Sequence[str], entity_set: str) -> list[tuple[str, bool]]:
    """`Prop [asc|desc], ...` → [(property, descending)]; only filterable properties may be used."""
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad_request(f"Syntax error in $orderby: '{part.strip()}'")
        if words[0] not in properties:
            raise bad_request(
                f"Ordering by '{words[0]}' is not supported by the {entity_set} feed; allowed: {', '.join(properties)}"
            )
        keys.append((words[0], len(words) == 2 and words[1] == "desc"))
    return keys
