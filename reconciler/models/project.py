"""The project file (`reconciler.yaml`): providers, safety, limits, secrets, prune."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    SecretStr,
    model_validator,
)

from .base import (
    PROVIDERS,
    Frozen,
    Secret,
    Url,
    ZoneName,
)

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


class QuestionmarkSignIn(Frozen):
    """How a participant this tool creates signs in (`providers.questionmark.sign_in`)."""

    welcome_email: bool = Field(
        default=True, description="Call the documented `Participants(id)/SendWelcomeEmail` after creating a "
        "participant: Questionmark's standard welcome email lets them log in without an administrator's help.")
    sso_id: Literal["none", "email"] = Field(
        default="none", description="`email`: set the new participant's SsoId to their email (single sign-on "
        "tenants whose identity provider identifies people by email); `none`: leave it empty.")

    def describe(self) -> str:
        """How a new participant signs in, for the plan."""
        ways = ["welcome email"] if self.welcome_email else []
        ways += ["SSO id = email"] if self.sso_id == "email" else []
        return " + ".join(ways) or "no welcome email, no SSO id (an administrator must set their password)"


class QuestionmarkProviderConfig(Frozen):
    base_url: Url = "https://ondemand.questionmark.com/deliveryodata/000000"
    username: Annotated[str | None, Secret("QUESTIONMARK_USERNAME")] = None
    password: Annotated[SecretStr | None, Secret("QUESTIONMARK_PASSWORD")] = None
    timeout: float = Field(default=30.0, gt=0)
    max_workers: int = Field(default=8, ge=1, le=64)
    prune: bool | None = Field(default=None, description=_PRUNE_HERE)
    sign_in: QuestionmarkSignIn = Field(default_factory=QuestionmarkSignIn)
    monitoring: str = Field(
        default="UNMONITORED", min_length=1, max_length=200,
        description="The monitoring type (its Name in `GET MonitoringTypes`) of a schedule created without "
        "questionmark.monitoring or monitoring_type_id (assumption Q-20).")
    max_participants_scanned: int = Field(
        default=100_000, ge=0, le=10_000_000,
        description="A candidate not found by login name is looked for by PrimaryEmail in the Participants feed, "
        "read once per run (100 a page) and at most this many; a feed longer than that stops the lookup and "
        "such candidates are not created (give them questionmark_login). 0: no lookup (logins are emails).")
    qmwise_url: Url | None = Field(
        default=None,
        description="The tenant's QMWISe SOAP endpoint (an .asmx URL from Questionmark, e.g. "
        "https://ondemand.questionmark.com/qmwise/123456/qmwise.asmx): group membership is changed there.")
    qmwise_username: Annotated[str | None, Secret("QUESTIONMARK_QMWISE_USERNAME")] = Field(
        default=None, description="QMWISe login (HTTP Basic); unset: `username`.")
    qmwise_password: Annotated[SecretStr | None, Secret("QUESTIONMARK_QMWISE_PASSWORD")] = Field(
        default=None, description="QMWISe password (HTTP Basic); unset: `password`.")
    qmwise_batch: int = Field(
        default=500, ge=1, le=1000,
        description="Participant IDs per AddGroupParticipantList/DeleteGroupParticipantList call (the vendor "
        "documents no limit; assumption Q-14).")
    access: Literal["membership", "seats"] | None = Field(
        default=None,
        description="How a schedule's candidate list reaches Questionmark: `membership` (one group schedule, "
        "the candidates are the group's members, changed through QMWISe) or `seats` (a disabled anchor and one "
        "schedule per candidate, OData only). Unset: membership when qmwise_url is set, else seats.")

    @model_validator(mode="after")
    def _membership_needs_qmwise(self) -> QuestionmarkProviderConfig:
        if self.access == "membership" and not self.qmwise_url:
            raise ValueError("access: membership needs qmwise_url (the tenant's QMWISe .asmx URL)")
        return self

    @property
    def access_mode(self) -> Literal["membership", "seats"]:
        """The effective access mode (see `access`)."""
        if self.access is not None:
            return self.access
        return "membership" if self.qmwise_url else "seats"


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
    max_run_seconds: float = Field(
        default=3600.0, gt=0, le=86_400,
        description="Every vendor call of one plan, apply or drift run ends by this many seconds after the "
        "providers are set up; a call past it is not sent, and the run stops with an error naming it.")


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
    time_zone: ZoneName | None = Field(
        default=None,
        description="The zone of every schedule window that names none (an IANA zone such as Asia/Kolkata, or "
        "UTC). Unset: a window without time_zone is an error.")
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    shard: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,15}$",
        description="This project's shard of a shared vendor account: its ownership marks (Questionmark "
        "ExternalID `reconciler:v1@<shard>:…`, Mettl sourceApp `<source_app>/<shard>`), apply lock and baseline "
        "tag carry it, so shards never retire or report each other's schedules. Unset: the unsharded marks.")
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
