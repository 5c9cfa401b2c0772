"""The QMWISe SOAP 1.1 client: group membership (`AddGroupParticipantList`, `DeleteGroupParticipantList`) and
`GetGroup`, the calls the Delivery OData API does not document.

Messages follow the QMWISe quick-reference guide (`../shared/reference/questionmark-api.md`, "QMWISe: group
membership"): POST to the tenant's `.asmx` URL, `SOAPAction: "http://questionmark.com/QMWISe/<Method>"`,
HTTP Basic with an administrator's name and password. Answers are untrusted: read under a small size cap and the
client's deadline, parsed by `defusedxml` (no DTD, no entities), a SOAP fault is one error naming the method and
the fault string (secrets scrubbed). Membership writes are batched at `batch` participant IDs per call
(assumption Q-14); every call is one HTTP exchange through the shared `HttpClient` (never resent blind: a lost
answer raises AmbiguousWriteError and the engine re-reads the roster).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as DefusedParseError, fromstring

from ...errors import AuthenticationError, BadRequestError, MalformedResponseError
from ...http import HttpClient, VendorError
from .client import DEFAULTS

PROVIDER = "questionmark"
QMWISE_NS = "http://questionmark.com/QMWISe/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_ANSWER_BYTES = 1024 * 1024  # an empty response element or one group: a few hundred bytes
AUTH_HINT = "check providers.questionmark.qmwise_username/qmwise_password (default: username/password)"
ADD, DELETE, GET_GROUP = "AddGroupParticipantList", "DeleteGroupParticipantList", "GetGroup"


def soap_action(method: str) -> str:
    """The SOAPAction header value of a QMWISe method (quoted, as SOAP 1.1 sends it)."""
    return f'"{QMWISE_NS}{method}"'


def envelope(method: str, body: str) -> bytes:
    """A SOAP 1.1 request: the method element (QMWISe namespace) holding `body` (already escaped XML)."""
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
            f'<{method} xmlns="{QMWISE_NS}">{body}</{method}></soap:Body></soap:Envelope>').encode()


def membership_body(group_id: int | str, participant_ids: Sequence[int | str]) -> str:
    """`Group_ID` and a `ParticipantIDList` of `Participant_ID` strings."""
    ids = "".join(f"<Participant_ID>{escape(str(p))}</Participant_ID>" for p in participant_ids)
    return f"<Group_ID>{escape(str(group_id))}</Group_ID><ParticipantIDList>{ids}</ParticipantIDList>"


def parse(text: bytes, call: str) -> Element:
    """A SOAP answer as XML, refused when it declares a DTD or entities or is not well-formed."""
    try:
        root: Element = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedResponseError(PROVIDER, f"{call}: answer refused ({type(exc).__name__}: no DTD or entities "
                                     "are accepted)") from None
    except (ParseError, DefusedParseError) as exc:  # defusedxml 0.7.0 raises its own copy of ParseError
        raise MalformedResponseError(PROVIDER, f"{call}: answer is not well-formed XML ({exc})") from None
    return root


def _method_of(response: requests.Response) -> str:
    action = str(response.request.headers.get("SOAPAction") or "").strip('"')
    return action.removeprefix(QMWISE_NS) or "QMWISe"


def fault_of(root: Element) -> tuple[str, str] | None:
    """(faultcode, faultstring) of a SOAP 1.1 Fault in the Body, else None."""
    fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    if fault is None:
        return None
    code = (fault.findtext("faultcode") or "").strip()
    text = (fault.findtext("faultstring") or "").strip() or "no faultstring"
    detail = fault.find("detail")
    number = next((t.strip() for t in detail.itertext() if t.strip()), "") if detail is not None else ""
    return code, f"{text} (error {number})" if number.isdigit() else text


def soap_error(response: requests.Response) -> VendorError | None:
    """A failed answer: 401/403 say which credentials to check; a SOAP fault is a refusal naming the method and
    its fault string (never a "may have been applied"); any other failure is left to the HTTP status."""
    status = response.status_code
    method = _method_of(response)
    if status == 401:
        return VendorError(f"{method}: credentials refused — {AUTH_HINT}", None, AuthenticationError)
    if status == 403:
        return VendorError(f"{method}: access denied — the administrator needs the permission to use QMWISe; "
                           f"{AUTH_HINT}", None, AuthenticationError)
    if status < 400 and b"Fault" not in response.content[:4096]:
        return None
    try:
        found = fault_of(parse(response.content, f"QMWISe {method}"))
    except MalformedResponseError:
        found = None
    if found is None:
        return None if status < 400 else VendorError(f"{method}: HTTP {status} without a SOAP fault")
    code, text = found
    return VendorError(f"QMWISe {method} failed: {text}", code or None, BadRequestError)


class QmwiseClient:
    """Calls to one tenant's QMWISe endpoint. Thread-safe."""

    def __init__(
        self, url: str, username: str, password: str, *, timeout: float = DEFAULTS.timeout,
        batch: int = DEFAULTS.qmwise_batch,
        max_in_flight: int | None = None,
    ) -> None:
        self.url = url
        self.batch = max(1, batch)
        self.http = HttpClient(
            PROVIDER, timeout=timeout, pool_size=4, auth=(username, password),
            headers={"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
            error_extractor=soap_error, secrets=(password,), base_url=url, max_response_bytes=MAX_ANSWER_BYTES,
            max_in_flight=max_in_flight,
        )

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, body: str) -> Element:
        """One SOAP call; the method's response element (a fault in a 200 answer is an error too)."""
        name = f"QMWISe {method}"
        response = self.http.request("POST", self.url, content=envelope(method, body),
                                     headers={"SOAPAction": soap_action(method)})
        root = parse(response.content, name)
        found = fault_of(root)
        if found is not None:
            raise BadRequestError(PROVIDER, f"{name} failed: {found[1]}", code=found[0] or None)
        answer = root.find(f"{{{SOAP_NS}}}Body/{{{QMWISE_NS}}}{method}Response")
        if answer is None:
            raise MalformedResponseError(PROVIDER, f"{name}: answer has no {method}Response element")
        return answer

    def batches(self, participant_ids: Sequence[int]) -> Iterator[list[int]]:
        ordered = sorted(set(participant_ids))
        for start in range(0, len(ordered), self.batch):
            yield ordered[start:start + self.batch]

    def add_members(self, group_id: int, participant_ids: Sequence[int]) -> None:
        """Make the participants members of the group: one call per `batch` IDs (adding a member again is
        ignored, assumption Q-15; an unknown ID is silently ignored, as documented)."""
        for chunk in self.batches(participant_ids):
            self.call(ADD, membership_body(group_id, chunk))

    def remove_members(self, group_id: int, participant_ids: Sequence[int]) -> None:
        """Take the participants out of the group: one call per `batch` IDs (a non-member is ignored)."""
        for chunk in self.batches(participant_ids):
            self.call(DELETE, membership_body(group_id, chunk))

    def get_group(self, group_id: int) -> dict[str, str]:
        """`GetGroup`: the group's simple properties as text (a missing group is a SOAP fault)."""
        answer = self.call(GET_GROUP, f"<Group_ID>{escape(str(group_id))}</Group_ID>")
        group = next(iter(answer), None)
        if group is None:
            return {}
        return {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in group if len(child) == 0}
