"""What `reconciler doctor` found: one row per check, rendered as a table or as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["pass", "fail", "manual", "skipped"]
MARKS: dict[Status, str] = {"pass": "✓", "fail": "✗", "manual": "–", "skipped": "–"}
DOCUMENTED = "documented"
REPORT_ADVICE = ("do not apply against this tenant until it is understood: open an issue with the samples of "
                 "`reconciler doctor --save-samples DIR`")


@dataclass(frozen=True)
class Result:
    """One check's outcome. `assumption` is an id of docs/vendor-assumptions.md or "documented"."""

    provider: str
    name: str
    assumption: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def mark(self) -> str:
        return MARKS[self.status]


@dataclass(frozen=True)
class Check:
    """A check's identity, used to build its results."""

    provider: str
    name: str
    assumption: str = DOCUMENTED

    def passed(self, detail: str) -> Result:
        return Result(self.provider, self.name, self.assumption, "pass", detail)

    def failed(self, detail: str, fix: str = "") -> Result:
        """A ✗; without a specific fix, the advice for a tenant that breaks what the tool relies on."""
        if not fix:
            what = "this documented behaviour" if self.assumption == DOCUMENTED else f"assumption {self.assumption}"
            fix = f"the tool relies on {what}; {REPORT_ADVICE}"
        return Result(self.provider, self.name, self.assumption, "fail", detail, fix)

    def skipped(self, detail: str) -> Result:
        return Result(self.provider, self.name, self.assumption, "skipped", detail)

    def manual(self, how: str) -> Result:
        return Result(self.provider, self.name, self.assumption, "manual", f"manual: {how}")


CREDENTIALS_FAILED = "skipped: the credentials check failed"


def skip_all(checks: tuple[Check, ...], reason: str = CREDENTIALS_FAILED) -> list[Result]:
    return [c.skipped(reason) for c in checks]


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        counts = {s: sum(1 for r in self.results if r.status == s) for s in MARKS}
        providers = ", ".join(dict.fromkeys(r.provider for r in self.results)) or "no provider"
        return (f"doctor ({providers}): {counts['pass']} passed, {counts['fail']} failed, "
                f"{counts['manual']} manual, {counts['skipped']} skipped")


def render_text(report: Report) -> str:
    """A table: status, check, assumption, detail; the fix under each ✗."""
    width = max([len("check"), *(len(r.name) for r in report.results)])
    lines = [f"   {'check':<{width}}  {'assumption':<10}  detail"]
    for r in report.results:
        lines.append(f"{r.mark}  {r.name:<{width}}  {r.assumption:<10}  {r.detail}")
        if r.fix:
            lines.append(f"   {'':<{width}}  {'':<10}  fix: {r.fix}")
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """The same rows as JSON: {"ok", "summary", "checks": [{status, mark, provider, name, assumption, ...}]}."""
    checks = [{"mark": r.mark, **asdict(r)} for r in report.results]
    data = {"ok": not report.failed, "summary": report.summary(), "checks": checks}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
