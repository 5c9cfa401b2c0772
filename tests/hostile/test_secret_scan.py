"""No secret reaches any byte the tool writes: every command, every format, `--debug`, error paths included.

Each command runs as its own process (`--debug`: an error prints its traceback) against both emulators on
loopback, which accept only the distinctive credentials below; the environment also holds a distinctive
webhook header (sent to Mettl, write-only) and PII key (keys the markdown pseudonyms). Error paths: a vendor
that echoes the write-only header in its reads (quirk M-07), answers that break the shapes the plan reads,
an HTML page, a redirect. Every byte of stdout, stderr and every file written (plans, samples, imports,
schemas, the lock) is scanned for each secret as written, in lower and upper case, URL-encoded and base64 —
alone or inside a longer base64 value such as `Basic base64(user:password)`.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from reconciler.sandbox.live import Credentials, LiveVendors, live_vendors

from ..clocks import python_at_test_time

METTL_PRIVATE_KEY = "MettlPriv-7Qx9Zk2Lw4Hv"
QM_PASSWORD = "QmPass-5Rt8Yv1Np3Ga"
WEBHOOK = "Basic SG9vay1TZWNyZXQtM0pkNkhzMEtl"
PII_KEY = "PiiKey-8Ub2Xc5Wm7Tf"
SECRETS = (METTL_PRIVATE_KEY, QM_PASSWORD, WEBHOOK.split()[1], PII_KEY)
CREDENTIALS = Credentials(mettl_public="scan-public", mettl_private=METTL_PRIVATE_KEY, qm_user="scan-admin",
                          qm_password=QM_PASSWORD)

DESIRED = """\
schedules:
  - name: Hooked Exam
    provider: mettl
    assessment_id: 769688
    window: {start: "2031-03-03T09:00:00", end: "2031-03-07T17:00:00", time_zone: Europe/London}
    candidates: [{email: ana.lima@example.com, name: Ana Lima}]
    mettl:
      test_finish_notification_url: https://hooks.example.com/finished
      test_notification_basic_auth_header: ${WEBHOOK_AUTH}
  - name: Scanned Certification
    provider: questionmark
    assessment_id: "65433000065433"
    group: scanned-2031
    window: {start: "2031-03-03T09:00:00", end: "2031-03-07T17:00:00", time_zone: Europe/London}
    candidates: [{email: raj.patel@example.com, name: Raj Patel}]
"""


def _forms(secret: str) -> set[str]:
    """The secret as written, lower/upper case, URL-encoded, and base64 at each alignment it can have."""
    forms = {secret, secret.lower(), secret.upper(), quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        start = (8 * shift + 5) // 6  # the first character that only the secret's bits decide
        end = 8 * (shift + len(raw)) // 6
        forms |= {encoded[start:end], encoded[start:end].replace("+", "-").replace("/", "_")}
    return forms


FORMS = {form: secret for secret in SECRETS for form in _forms(secret)}


def test_the_forms_catch_basic_auth_and_encodings() -> None:
    basic = base64.b64encode(f"scan-admin:{QM_PASSWORD}".encode()).decode()
    assert any(form in basic for form in _forms(QM_PASSWORD))
    assert any(form in base64.urlsafe_b64encode(b"x" + PII_KEY.encode()).decode() for form in _forms(PII_KEY))
    assert quote(METTL_PRIVATE_KEY.lower()) in FORMS


@dataclass
class Scan:
    vendors: LiveVendors
    root: Path
    out: Path
    seen: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "reconciler.yaml"

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "HOME": str(self.root), "NO_COLOR": "1",
                "RECONCILER_ALLOWED_BASE_URLS": "http://127.0.0.1:",  # the emulators on loopback
                **self.vendors.env, "WEBHOOK_AUTH": WEBHOOK, "RECONCILER_PII_KEY": PII_KEY}

    def run(self, *args: str | Path, quirks: dict[str, list[str]] | None = None) -> int:
        for name, server in self.vendors.servers.items():
            server.quirks.set((quirks or {}).get(name, ()))
        argv = [*python_at_test_time(), "-c", "from reconciler.cli import main; main()", *(str(a) for a in args),
                "--debug"]
        done = subprocess.run(argv, cwd=self.root, env=self.env(), capture_output=True, timeout=120, check=False)
        label = " ".join(str(a) for a in args)
        self.seen += [(f"{label} (stdout)", done.stdout), (f"{label} (stderr)", done.stderr)]
        return done.returncode

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Every file the commands wrote (the inputs excluded)."""
        inputs = {self.config, self.root / "desired" / "exams.yaml"}
        for path in sorted(p for p in self.root.rglob("*") if p.is_file() and p not in inputs):
            yield str(path.relative_to(self.root)), path.read_bytes()


@pytest.fixture
def scan(tmp_path: Path) -> Iterator[Scan]:
    with live_vendors(CREDENTIALS) as vendors:
        root = tmp_path / "project"
        vendors.write_project(root, timeout=5.0)
        (root / "desired" / "exams.yaml").write_text(DESIRED, encoding="utf-8")
        (root / "out").mkdir()
        yield Scan(vendors, root, root / "out")


def test_no_command_writes_a_secret_in_any_form(scan: Scan) -> None:
    out = scan.out
    codes = {
        "validate": scan.run("validate"),
        **{f"plan {fmt}": scan.run("plan", "--format", fmt, "--out", out / f"plan-{fmt}.json")
           for fmt in ("text", "markdown", "json")},
        "apply": scan.run("apply", "--auto-approve", "--resend-secrets"),
        **{f"drift {fmt}": scan.run("drift", "--format", fmt) for fmt in ("text", "markdown", "json")},
        "import mettl": scan.run("import", "mettl", "--assessment", "769688", "--out", out / "mettl"),
        "import questionmark": scan.run("import", "questionmark", "--assessment", "65433000065433", "--out",
                                        out / "qm"),
        **{f"doctor {fmt}": scan.run("doctor", "--format", fmt) for fmt in ("text", "json")},
        "doctor samples": scan.run("doctor", "--save-samples", out / "samples"),
        "schema": scan.run("schema", "--out", out / "schemas"),
        # error paths: a vendor echoing the write-only header, answers the plan cannot read, HTML, a redirect
        "plan M-07": scan.run("plan", "--format", "json", "--out", out / "plan-m07.json", quirks={"mettl": ["M-07"]}),
        "doctor M-07": scan.run("doctor", "--save-samples", out / "samples-m07", quirks={"mettl": ["M-07"]}),
        "apply no access": scan.run("apply", "--auto-approve", quirks={"mettl": ["mettl-schedule-no-access"]}),
        "plan MaxAttempts": scan.run("plan", quirks={"questionmark": ["qm-max-attempts-text"]}),
        "drift html": scan.run("drift", quirks={"questionmark": ["html-error"]}),
        "import redirect": scan.run("import", "mettl", "--assessment", "769688", "--out", out / "m2",
                                    quirks={"mettl": ["redirect-away"]}),
    }

    ok = ("validate", "plan text", "plan markdown", "plan json", "apply", "drift json", "import mettl",
          "import questionmark", "doctor json", "doctor samples", "schema", "plan M-07")
    assert {name: codes[name] for name in ok} == dict.fromkeys(ok, 0), codes
    assert codes["doctor M-07"] == 1  # doctor fails its write-only check: the header came back in a read
    stored = scan.vendors.mettl.find(769688, "Hooked Exam")
    assert stored is not None and stored["testNotificationBasicAuthHeader"] == WEBHOOK  # the secrets were in use
    assert {codes[k] for k in ("apply no access", "plan MaxAttempts", "drift html", "import redirect")} == {1}
    errors = b"".join(text for label, text in scan.seen if label.endswith("(stderr)"))
    assert errors.count(b"Traceback") >= 4  # --debug really printed the error paths' tracebacks
    written = [*scan.seen, *scan.files()]
    assert len(written) > 40 and any(name.startswith("out/samples/") for name, _ in written)
    leaks = [(name, FORMS[form]) for name, data in written for form in FORMS if form.encode() in data]
    assert leaks == []
