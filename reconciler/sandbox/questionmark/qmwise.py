"""Emulator of the QMWISe SOAP 1.1 endpoint of one Questionmark customer area: group membership and groups.

Served at `/qmwise/{customer_id}/qmwise.asmx` beside the Delivery OData service, on the same world, so membership
changed here is what `Groups(id)/Participants` and `Participants(id)?$expand=Groups` read. As documented (the
QMWISe quick-reference guide, qm-oap-docs `qmwise/*.rst`): POST, `text/xml`, `SOAPAction` naming the method in
the QMWISe namespace, HTTP Basic or the `Security` header (ClientID + Checksum = the password in plain text);
`AddGroupParticipantList`/`DeleteGroupParticipantList` (`Group_ID`, `ParticipantIDList/Participant_ID`; an
unknown participant ID is silently ignored, a missing group is a fault), `GetGroup`, `GetParticipantGroupList`.
A fault is HTTP 500 with a SOAP `Fault` (error 1201: group not found). More than `MAX_IDS` participant IDs in
one call is a fault (assumption Q-14: the real cap is not documented).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError as DefusedParseError, fromstring

from ..wire import SandboxRequest, SandboxResponse

QMWISE_NS = "http://questionmark.com/QMWISe/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_IDS = 1000  # assumption Q-14
MAX_BODY = 4 * 1024 * 1024
GROUP_NOT_FOUND, PARTICIPANT_NOT_FOUND, ACCESS_DENIED, BAD_INPUT = 1201, 1301, 1001, 1002


class SoapFault(Exception):
    """A QMWISe fault: HTTP 500, `faultcode`, `faultstring`, a Questionmark error number in `detail`."""

    def __init__(self, text: str, number: int = BAD_INPUT, code: str = "soap:Server") -> None:
        super().__init__(text)
        self.text, self.number, self.code = text, number, code

    def response(self) -> SandboxResponse:
        body = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
                f"<soap:Fault><faultcode>{escape(self.code)}</faultcode><faultstring>{escape(self.text)}"
                f"</faultstring><detail><error>{self.number}</error></detail></soap:Fault></soap:Body>"
                "</soap:Envelope>")
        return SandboxResponse(500, body.encode(), {"Content-Type": "text/xml; charset=utf-8"})


@dataclass
class QmwiseCall:
    """One QMWISe call the emulator answered: its method and how many participant IDs it carried."""

    method: str
    ids: int
    fault: str | None = None


@dataclass
class MembershipStore:
    """What QMWISe needs from the OData world: groups, participants and the membership relation."""

    group_exists: Callable[[int], bool]
    participant_exists: Callable[[int], bool]
    add: Callable[[int, int], None]
    discard: Callable[[int, int], None]
    group: Callable[[int], Mapping[str, object]]
    groups_of: Callable[[int], list[int]]


@dataclass
class QmwiseService:
    """The SOAP endpoint; `users`: administrator name → password (shared with the OData service)."""

    path: str
    users: Mapping[str, str]
    store: MembershipStore
    max_ids: int = MAX_IDS
    add_existing_fault: bool = False  # quirk Q-15: adding a member again is a fault
    calls: list[QmwiseCall] = field(default_factory=list)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        method = "?"
        try:
            if request.method != "POST":
                return SandboxResponse(405, b"Only POST is served here.", {"Allow": "POST"})
            content_type = _header(request, "Content-Type") or ""
            if content_type.split(";")[0].strip().lower() != "text/xml":
                return SandboxResponse(415, b"SOAP 1.1 needs Content-Type: text/xml.")
            basic = self._basic(request)
            if basic is False:
                return SandboxResponse(401, b"Unauthorized", {"WWW-Authenticate": 'Basic realm="QMWISe"'})
            root = _parse(request.body)
            header, body = root.find(f"{{{SOAP_NS}}}Header"), root.find(f"{{{SOAP_NS}}}Body")
            if root.tag != f"{{{SOAP_NS}}}Envelope" or body is None or len(body) != 1:
                raise SoapFault("Not a SOAP 1.1 envelope with one body element.", code="soap:Client")
            element = body[0]
            namespace, _, method = element.tag[1:].partition("}")
            action = (_header(request, "SOAPAction") or "").strip().strip('"')
            if namespace != QMWISE_NS.rstrip("/") + "/" or action != QMWISE_NS + method:
                raise SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.",
                                code="soap:Client")
            if basic is None and not self._security(header):
                raise SoapFault("Access denied: invalid ClientID or Checksum.", ACCESS_DENIED)
            handler = {"AddGroupParticipantList": self._add, "DeleteGroupParticipantList": self._delete,
                       "GetGroup": self._get_group, "GetParticipantGroupList": self._participant_groups}.get(method)
            if handler is None:
                raise SoapFault(f"Server did not recognize the value of HTTP Header SOAPAction: {action}.",
                                code="soap:Client")
            answer = handler(element)
            self.calls.append(QmwiseCall(method, len(_ids(element))))
            return _ok(method, answer)
        except SoapFault as fault:
            self.calls.append(QmwiseCall(method, 0, fault.text))
            return fault.response()

    # ------------------------------------------------------------------ authentication

    def _basic(self, request: SandboxRequest) -> bool | None:
        """True: valid Basic credentials; False: Basic credentials refused (401); None: no Basic header."""
        scheme, _, token = (_header(request, "Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        except ValueError:
            return False
        return bool(sep) and self._valid(user, password)

    def _security(self, header: Element | None) -> bool:
        security = header.find(f"{{{QMWISE_NS}}}Security") if header is not None else None
        if security is None:
            return False
        user = security.findtext(f"{{{QMWISE_NS}}}ClientID") or ""
        return self._valid(user, security.findtext(f"{{{QMWISE_NS}}}Checksum") or "")

    def _valid(self, user: str, password: str) -> bool:
        expected = self.users.get(user)
        return expected is not None and hmac.compare_digest(expected.encode(), password.encode())

    # ------------------------------------------------------------------ methods

    def _group_id(self, element: Element) -> int:
        text = (element.findtext(f"{{{QMWISE_NS}}}Group_ID") or "").strip()
        if not text:
            raise SoapFault("Group_ID is required.")
        if not text.isdigit() or not self.store.group_exists(int(text)):
            raise SoapFault(f"Group not found: {text}", GROUP_NOT_FOUND)
        return int(text)

    def _members(self, element: Element) -> tuple[int, list[int]]:
        group_id = self._group_id(element)
        ids = _ids(element)
        if not ids:
            raise SoapFault("ParticipantIDList must hold at least one Participant_ID.")
        if len(ids) > self.max_ids:
            raise SoapFault(f"Too many Participant_ID elements ({len(ids)}); at most {self.max_ids} per call.")
        known = [int(i) for i in ids if i.isdigit() and self.store.participant_exists(int(i))]
        return group_id, known  # unknown IDs are silently ignored (documented)

    def _add(self, element: Element) -> str:
        group_id, ids = self._members(element)
        if self.add_existing_fault and any(group_id in self.store.groups_of(i) for i in ids):
            raise SoapFault("Participant is already a member of the group.")
        for participant_id in ids:
            self.store.add(group_id, participant_id)
        return ""

    def _delete(self, element: Element) -> str:
        group_id, ids = self._members(element)
        for participant_id in ids:
            self.store.discard(group_id, participant_id)
        return ""

    def _get_group(self, element: Element) -> str:
        group = self.store.group(self._group_id(element))
        parts = {"Group_ID": group.get("ID"), "Group_Name": group.get("Name"),
                 "Description": group.get("Description") or "", "Parent_ID": group.get("ParentGroupID") or 0}
        return "<Group>" + "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in parts.items()) + "</Group>"

    def _participant_groups(self, element: Element) -> str:
        text = (element.findtext(f"{{{QMWISE_NS}}}Participant_ID") or "").strip()
        if not text.isdigit() or not self.store.participant_exists(int(text)):
            raise SoapFault(f"Participant not found: {text}", PARTICIPANT_NOT_FOUND)
        groups = [self.store.group(g) for g in sorted(self.store.groups_of(int(text)))]
        return "<GroupList>" + "".join(
            f"<Group><Group_ID>{g.get('ID')}</Group_ID><Group_Name>{escape(str(g.get('Name')))}</Group_Name></Group>"
            for g in groups) + "</GroupList>"


def _header(request: SandboxRequest, name: str) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)


def _parse(body: bytes) -> Element:
    if len(body) > MAX_BODY:
        raise SoapFault("Request too large.", code="soap:Client")
    try:
        root: Element = fromstring(body, forbid_dtd=True)
    except (DefusedXmlException, ParseError, DefusedParseError) as exc:
        raise SoapFault(f"The request is not a well-formed SOAP message: {exc}", code="soap:Client") from None
    return root


def _ids(element: Element) -> list[str]:
    return [(e.text or "").strip() for e in element.iterfind(
        f"{{{QMWISE_NS}}}ParticipantIDList/{{{QMWISE_NS}}}Participant_ID")]


def _ok(method: str, inner: str) -> SandboxResponse:
    body = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
            f'<{method}Response xmlns="{QMWISE_NS}">{inner}</{method}Response></soap:Body></soap:Envelope>')
    return SandboxResponse(200, body.encode(), {"Content-Type": "text/xml; charset=utf-8"})
