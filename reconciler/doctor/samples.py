"""`--save-samples`: one redacted file per kind of answer doctor read, for bug reports and test fixtures.

Redacted: values under secret-looking keys (signature, keys, passwords, the webhook auth header), the
signature parameters `ak`/`ts`/`asgn` inside any URL, the project's secret values, people's names and
registration answers, and every email (masked to the same stable pseudonyms as the markdown plan). Request
headers are never saved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..checks.probe import Answer, Probe
from ..errors import ReconcilerError, redact
from ..render.pii import Mask, scrub

SECRET_KEYS = frozenset({
    "asgn", "ak", "ts", "password", "privatekey", "private_key", "secret", "webhooksecret", "authorization",
    "testnotificationbasicauthheader",
})
PERSON_KEYS = frozenset({"name", "firstname", "middlename", "lastname", "participantname"})
"""Hidden in an object that also has an email property (a candidate or participant, not a schedule)."""
SIGNATURE_PARAMS = frozenset({"ak", "ts", "asgn"})
_SIGNATURE_IN_TEXT = re.compile(r"((?:^|[?&;])(?:ak|ts|asgn)=)[^&#\s\"'<]*", re.IGNORECASE)
INDEX = "index.json"


def _hide_keys(value: Any) -> Any:
    """Secret values and a person's names and registration answers replaced by *** (emails are masked later)."""
    if isinstance(value, list):
        return [_hide_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    person = any("email" in k.lower() for k in value)
    out: dict[str, Any] = {}
    for key, item in value.items():
        lowered = key.lower()
        if item is not None and (lowered in SECRET_KEYS or (person and lowered in PERSON_KEYS)):
            out[key] = "***"
        elif lowered == "registrationdetails" and isinstance(item, dict):
            out[key] = {k: v if isinstance(v, str) and "@" in v else "***" for k, v in item.items()}
        else:
            out[key] = _hide_keys(item)
    return out


def redact_text(text: str, mask: Mask, secrets: tuple[str, ...]) -> str:
    """Emails masked, signature parameters and known secret shapes and values replaced by ***."""
    return redact(_SIGNATURE_IN_TEXT.sub(r"\1***", scrub(text, mask)), secrets)


def redact_answer(answer: Answer, mask: Mask, secrets: tuple[str, ...]) -> tuple[str, str]:
    """(file extension, redacted text) of an answer's body."""
    text = answer.body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        is_xml = "xml" in answer.content_type or text.lstrip().startswith("<")
        return ("xml" if is_xml else "txt"), redact_text(text, mask, secrets)
    pretty = json.dumps(_hide_keys(data), indent=2, ensure_ascii=False, sort_keys=True)
    return "json", redact_text(pretty, mask, secrets) + "\n"


def _request_line(answer: Answer, mask: Mask, secrets: tuple[str, ...]) -> str:
    query = "&".join(f"{k}={v}" for k, v in answer.query if k.lower() not in SIGNATURE_PARAMS)
    return redact_text(f"GET {answer.path}" + (f"?{query}" if query else ""), mask, secrets)


def save_samples(folder: Path, probes: Iterable[Probe], mask: Mask, secrets: tuple[str, ...]) -> list[Path]:
    """Write the first answer of every kind, and an index of what was asked; return the files written."""
    written: list[Path] = []
    index: list[dict[str, Any]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for probe in probes:
            seen: set[str] = set()
            for answer in probe.answers:
                if answer.kind in seen:
                    continue
                seen.add(answer.kind)
                extension, text = redact_answer(answer, mask, secrets)
                path = folder / f"{probe.provider}-{answer.kind}.{extension}"
                path.write_text(text, encoding="utf-8")
                written.append(path)
                index.append({"file": path.name, "request": _request_line(answer, mask, secrets),
                              "status": answer.status, "content_type": answer.content_type})
        path = folder / INDEX
        path.write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"{folder}: cannot write the samples ({exc.strerror or type(exc).__name__})") from None
    return [*written, path]
