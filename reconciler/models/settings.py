"""The vendors' schedule settings (`mettl:` and `questionmark:` blocks), accommodations and metadata."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    SecretStr,
    model_validator,
)

from .base import (
    Email,
    Frozen,
    IPv4,
    LocalDateTime,
    Secret,
    Url,
)


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
    monitoring: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="The monitoring type by its Name (e.g. UNMONITORED), resolved through `GET MonitoringTypes`; "
        "not with monitoring_type_id. Unset on create: providers.questionmark.monitoring.")
    observer_initiated: bool | None = None
    test_center_id: int | None = None
    rules_of_conduct_id: int | None = None


    @model_validator(mode="after")
    def _one_monitoring(self) -> QuestionmarkSettings:
        if self.monitoring is not None and self.monitoring_type_id is not None:
            raise ValueError("set monitoring (a type's Name) or monitoring_type_id, not both")
        return self


class Accommodation(Frozen):
    """A per-candidate exception (Questionmark exception schedule)."""

    extra_time: int | None = None
    max_attempts: int | None = Field(default=None, ge=1)


MetadataKey = Annotated[str, Field(min_length=1, max_length=200)]
MetadataValue = Annotated[str, Field(max_length=4000)]
