"""Typed settings read from the environment.

Every variable is listed, with its default, in the README. Bad values raise
:class:`ConfigError` with a sentence naming the variable, so a mistyped
deployment fails at start instead of misbehaving later.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from bot.engines.rasa import rasa_url_problem
from handoff import BusinessHours
from live_chat.webhooks.targets import check_url

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value the service cannot run with."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway can be told from outside.

    ``data_dir`` holds the SQLite file, the models and the generated secret.
    ``database_url`` is an SQLAlchemy async URL; ``redis_url`` switches on the
    multi-process mode (Socket.IO emits between processes, on the pub/sub
    ``redis_channel``, which every process of one deployment shares). ``allowed_origins``
    are the web origins whose pages may embed the widget; the gateway's own
    origin is always allowed. ``secret_key`` signs visitor tokens; every
    process of one deployment must share it.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str | None = None
    redis_channel: str = "tsunagu"
    # Connections each Redis client of a process may open; a burst beyond waits.
    redis_max_connections: int = 50
    # After this long without a heartbeat a gateway process counts as dead, and
    # the others close the agent connections and visitor tabs it left.
    host_ttl_s: float = 15.0
    allowed_origins: tuple[str, ...] = ()
    # Reverse proxies whose X-Forwarded-For names the client (addresses or CIDR ranges).
    trusted_proxies: tuple[str, ...] = ()
    # Regular expressions whose matches are masked in every stored text (cards always are).
    mask_patterns: tuple[str, ...] = ()
    # Days after which an ended conversation's texts are blanked (0: kept for ever).
    retention_days: int = 0
    # Visitors one client address may create a minute (each may go on to store a row).
    new_visitors_per_minute: int = 60
    secret_key: str = ""
    identity_secret: str | None = None
    visitor_token_ttl_s: int = 30 * 24 * 3600
    max_text: int = 2000
    rate_limit_messages: int = 10
    rate_limit_window_s: float = 10.0
    # Events one agent may send a minute, all their consoles together.
    agent_events_per_minute: int = 600
    max_payload_bytes: int = 64 * 1024
    # The largest file a visitor or agent may attach, and how long a signed link to one lasts.
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_link_ttl_s: int = 900
    # Where attached files are kept; None: ``<data_dir>/attachments``.
    attachment_dir: Path | None = None
    # Or an S3-compatible bucket (and, for a store that is not AWS, its endpoint URL).
    attachment_s3_bucket: str | None = None
    attachment_s3_endpoint: str | None = None
    attachment_s3_prefix: str = "attachments/"
    agent_session_ttl_s: int = 12 * 3600
    agent_grace_s: float = 60.0
    avg_handle_s: float = 300.0
    abandon_after_s: float = 120.0
    # A visitor whose last tab closed counts as gone after this long (a reload
    # comes back well within it): a waiting one then takes no agent's slot.
    visitor_grace_s: float = 10.0
    business_hours: str = ""
    timezone: str = "UTC"
    # The widget header (live_chat/site_status.py): the team's name, how agents
    # are named under their avatars ("full", "first" word, or "none": initials
    # only), and the hours of human replies the expected reply time is taken from.
    team_name: str | None = None
    widget_agent_names: str = "first"
    reply_time_hours: int = 6
    # The pre-chat form: fields asked for before the first message ("name",
    # "email"), those that must be filled in; () asks nothing.
    prechat_fields: tuple[str, ...] = ()
    prechat_required: tuple[str, ...] = ()
    # Transcripts by e-mail (live_chat/mail/transcripts.py): offered only when both an
    # SMTP host and a From address are set. STARTTLS upgrades a plain connection.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str | None = None
    # Where people reach this gateway (links in Slack/Teams messages); None:
    # http://<host>:<port>.
    public_url: str | None = None
    # Outbound webhooks (live_chat/webhooks/): a Slack or Teams incoming webhook
    # told of every escalation; the hosts subscriptions may post to (empty:
    # any public host); whether private and loopback addresses are allowed
    # (off: a subscription cannot reach the internal network, see README);
    # how often each process looks for work, the first retry's pause (then
    # doubled), the attempts before a delivery fails, one attempt's timeout.
    slack_webhook_url: str | None = None
    teams_webhook_url: str | None = None
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_allow_private: bool = False
    webhook_poll_s: float = 1.0
    webhook_retry_s: float = 10.0
    webhook_max_attempts: int = 8
    webhook_timeout_s: float = 10.0
    # Where visitors' offline messages are e-mailed (live_chat/mail/messages.py);
    # None: they are kept in the record only.
    team_email: str | None = None
    handoff_prefix: str = "tsunagu:handoff:"
    training_data_dir: Path = PACKAGE_ROOT / "training_data"
    nlu_engine: str = "builtin"
    # TSUNAGU_BOT: "builtin" (our policy answers, with TSUNAGU_NLU's intents) or
    # "rasa" (a whole Rasa assistant answers, bot/rasa_assistant.py).
    bot_engine: str = "builtin"
    # The Rasa server of TSUNAGU_NLU=rasa and of TSUNAGU_BOT=rasa (docs/bot.md):
    # base URL, its --auth-token, the confidence below which a message is out
    # of scope (TSUNAGU_NLU=rasa only) and the seconds to wait for each call.
    # rasa_timeout None: the mode's default (RASA_TIMEOUTS), filled in by resolved().
    rasa_url: str | None = None
    rasa_token: str | None = None
    rasa_threshold: float = 0.5
    rasa_timeout: float | None = None
    # TSUNAGU_ANSWER_THRESHOLD: the least confidence the bot answers with, any
    # engine; None: the model's own answer_threshold, else the policy's 0.7.
    answer_threshold: float | None = None
    gate_folds: int = 5
    widget_dir: Path = PACKAGE_ROOT / "widget"
    log_level: str = "INFO"
    # Bearer token that GET /metrics asks for (Prometheus); None: no /metrics.
    metrics_token: str | None = None

    @property
    def sends_email(self) -> bool:
        """Whether this deployment can send e-mail (an SMTP host and a From address)."""
        return bool(self.smtp_host and self.mail_from)

    @property
    def transcript_email(self) -> bool:
        """Whether visitors may ask for their transcript by e-mail."""
        return self.sends_email

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def attachments_dir(self) -> Path:
        """Where attached files are kept (shared by every process of a deployment)."""
        return self.attachment_dir or self.data_dir / "attachments"

    def hours(self) -> BusinessHours | None:
        """The business hours, or None when the desk is always open."""
        if not self.business_hours:
            return None
        try:
            return BusinessHours.parse(self.business_hours, self.timezone)
        except (ValueError, KeyError) as exc:
            raise ConfigError(
                "TSUNAGU_BUSINESS_HOURS / TSUNAGU_TIMEZONE: " + str(exc)
                + " (example: 'mon-fri 09:00-18:00; sat 10:00-14:00' and 'Asia/Tokyo')"
            ) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); ``overrides`` win."""
        env = os.environ if env is None else env
        data_dir = Path(str(overrides.pop("data_dir", env.get("TSUNAGU_DATA_DIR", "data"))))
        values: dict[str, object] = {
            "host": env.get("TSUNAGU_HOST", "127.0.0.1"),
            "port": _int(env, "TSUNAGU_PORT", 8080, minimum=0, maximum=65535),
            "data_dir": data_dir,
            "database_url": env.get("DATABASE_URL", ""),
            "redis_url": env.get("REDIS_URL") or None,
            "redis_channel": env.get("TSUNAGU_REDIS_CHANNEL", "tsunagu"),
            "redis_max_connections": _int(env, "TSUNAGU_REDIS_MAX_CONNECTIONS", 50, minimum=2),
            "host_ttl_s": float(_int(env, "TSUNAGU_HOST_TTL", 15, minimum=1)),
            "allowed_origins": _origins(env.get("TSUNAGU_ALLOWED_ORIGINS", "")),
            "new_visitors_per_minute": _int(env, "TSUNAGU_NEW_VISITORS_PER_MINUTE", 60,
                                            minimum=1),
            "mask_patterns": _patterns(env.get("TSUNAGU_MASK_PATTERNS", "")),
            "retention_days": _int(env, "TSUNAGU_RETENTION_DAYS", 0, minimum=0),
            "trusted_proxies": tuple(p.strip() for p in
                                     env.get("TSUNAGU_TRUSTED_PROXIES", "").split(",")
                                     if p.strip()),
            "secret_key": env.get("TSUNAGU_SECRET_KEY", ""),
            "identity_secret": env.get("TSUNAGU_IDENTITY_SECRET") or None,
            "visitor_token_ttl_s": _int(
                env, "TSUNAGU_VISITOR_TOKEN_TTL", 30 * 24 * 3600, minimum=60
            ),
            "max_text": _int(env, "TSUNAGU_MAX_TEXT", 2000, minimum=1, maximum=100_000),
            "rate_limit_messages": _int(env, "TSUNAGU_RATE_LIMIT", 10, minimum=1),
            "rate_limit_window_s": float(
                _int(env, "TSUNAGU_RATE_WINDOW", 10, minimum=1, maximum=3600)
            ),
            "agent_events_per_minute": _int(env, "TSUNAGU_AGENT_EVENTS_PER_MINUTE", 600,
                                            minimum=1),
            "max_payload_bytes": _int(
                env, "TSUNAGU_MAX_PAYLOAD_BYTES", 64 * 1024, minimum=1024
            ),
            "attachment_max_bytes": _int(env, "TSUNAGU_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024,
                                         minimum=1024, maximum=1024 * 1024 * 1024),
            "attachment_link_ttl_s": _int(env, "TSUNAGU_ATTACHMENT_LINK_TTL", 900, minimum=60,
                                          maximum=7 * 24 * 3600),
            "log_level": env.get("TSUNAGU_LOG_LEVEL", "INFO").upper(),
            "metrics_token": (env.get("TSUNAGU_METRICS_TOKEN") or "").strip() or None,
            "agent_session_ttl_s": _int(env, "TSUNAGU_AGENT_SESSION_TTL", 12 * 3600, minimum=60),
            "agent_grace_s": float(_int(env, "TSUNAGU_AGENT_GRACE", 60, minimum=0)),
            "avg_handle_s": float(_int(env, "TSUNAGU_AVG_HANDLE", 300, minimum=1)),
            "abandon_after_s": float(_int(env, "TSUNAGU_ABANDON_AFTER", 120, minimum=1)),
            "visitor_grace_s": float(_int(env, "TSUNAGU_VISITOR_GRACE", 10, minimum=0)),
            "business_hours": env.get("TSUNAGU_BUSINESS_HOURS", "").strip(),
            "timezone": env.get("TSUNAGU_TIMEZONE", "UTC").strip() or "UTC",
            "handoff_prefix": env.get("TSUNAGU_HANDOFF_PREFIX", "tsunagu:handoff:"),
            "nlu_engine": (env.get("TSUNAGU_NLU") or "builtin").strip().lower(),
            "bot_engine": (env.get("TSUNAGU_BOT") or "builtin").strip().lower(),
            "rasa_url": (env.get("RASA_URL") or "").strip() or None,
            "rasa_token": env.get("RASA_TOKEN") or None,
            "rasa_threshold": _float(env, "RASA_THRESHOLD", 0.5, minimum=0.0, maximum=1.0),
            "rasa_timeout": _float(env, "RASA_TIMEOUT", None, minimum=0.1, maximum=60.0),
            "answer_threshold": _float(env, "TSUNAGU_ANSWER_THRESHOLD", None, minimum=0.0,
                                       maximum=1.0),
            "team_name": (env.get("TSUNAGU_TEAM_NAME") or "").strip()[:80] or None,
            "widget_agent_names": (env.get("TSUNAGU_WIDGET_AGENT_NAMES") or "first")
            .strip().lower(),
            "reply_time_hours": _int(env, "TSUNAGU_REPLY_TIME_HOURS", 6, minimum=1,
                                     maximum=24 * 30),
            "gate_folds": _int(env, "TSUNAGU_GATE_FOLDS", 5, minimum=2, maximum=10),
        }
        values.update(
            smtp_host=(env.get("TSUNAGU_SMTP_HOST") or "").strip() or None,
            smtp_port=_int(env, "TSUNAGU_SMTP_PORT", 587, minimum=1, maximum=65535),
            smtp_user=env.get("TSUNAGU_SMTP_USER") or None,
            smtp_password=env.get("TSUNAGU_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "TSUNAGU_SMTP_STARTTLS", True),
            mail_from=(env.get("TSUNAGU_MAIL_FROM") or "").strip() or None,
            team_email=(env.get("TSUNAGU_TEAM_EMAIL") or "").strip() or None,
        )
        values.update(
            public_url=(env.get("TSUNAGU_PUBLIC_URL") or "").strip().rstrip("/") or None,
            slack_webhook_url=(env.get("TSUNAGU_SLACK_WEBHOOK_URL") or "").strip() or None,
            teams_webhook_url=(env.get("TSUNAGU_TEAMS_WEBHOOK_URL") or "").strip() or None,
            webhook_allowed_hosts=tuple(
                h.strip().lower() for h in env.get("TSUNAGU_WEBHOOK_ALLOWED_HOSTS", "").split(",")
                if h.strip()),
            webhook_allow_private=_flag(env, "TSUNAGU_WEBHOOK_ALLOW_PRIVATE", False),
            webhook_poll_s=_seconds(env, "TSUNAGU_WEBHOOK_POLL", 1.0),
            webhook_retry_s=_seconds(env, "TSUNAGU_WEBHOOK_RETRY", 10.0),
            webhook_max_attempts=_int(env, "TSUNAGU_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1,
                                      maximum=20),
            webhook_timeout_s=_seconds(env, "TSUNAGU_WEBHOOK_TIMEOUT", 10.0),
        )
        fields, required = prechat_spec(env.get("TSUNAGU_PRECHAT", ""))
        values.update(prechat_fields=fields, prechat_required=required)
        if env.get("TSUNAGU_ATTACHMENT_DIR"):
            values["attachment_dir"] = Path(env["TSUNAGU_ATTACHMENT_DIR"])
        values["attachment_s3_bucket"] = env.get("TSUNAGU_ATTACHMENT_S3_BUCKET") or None
        values["attachment_s3_endpoint"] = env.get("TSUNAGU_ATTACHMENT_S3_ENDPOINT") or None
        values["attachment_s3_prefix"] = env.get("TSUNAGU_ATTACHMENT_S3_PREFIX", "attachments/")
        if env.get("TSUNAGU_TRAINING_DATA"):
            values["training_data_dir"] = Path(env["TSUNAGU_TRAINING_DATA"])
        values.update(overrides)
        return cls(**values).resolved()  # type: ignore[arg-type]

    def resolved(self) -> Settings:
        """Fill the defaults that depend on ``data_dir`` and check the URLs."""
        database_url = self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'tsunagu.db'}"
        if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ConfigError(
                "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {database_url.split(':', 1)[0]}:…)"
            )
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://")):
            raise ConfigError("REDIS_URL must start with redis:// or rediss://")
        if self.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError("TSUNAGU_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        if self.nlu_engine not in ("builtin", "rasa"):
            raise ConfigError(f"TSUNAGU_NLU must be builtin or rasa, not {self.nlu_engine!r}")
        if self.bot_engine not in ("builtin", "rasa"):
            raise ConfigError(f"TSUNAGU_BOT must be builtin or rasa, not {self.bot_engine!r}")
        # One check for both Rasa modes: the gateway reads RASA_* nowhere else.
        mode = ("TSUNAGU_BOT=rasa" if self.bot_engine == "rasa"
                else "TSUNAGU_NLU=rasa" if self.nlu_engine == "rasa" else None)
        if mode is not None:
            if not self.rasa_url:
                raise ConfigError(f"{mode} needs RASA_URL, the Rasa server's base URL "
                                  "(e.g. http://127.0.0.1:5005)")
            problem = rasa_url_problem(self.rasa_url)
            if problem:
                raise ConfigError(problem)
        rasa_timeout = self.rasa_timeout
        if rasa_timeout is None:
            rasa_timeout = RASA_TIMEOUTS["bot" if self.bot_engine == "rasa" else "nlu"]
        if self.widget_agent_names not in ("full", "first", "none"):
            raise ConfigError("TSUNAGU_WIDGET_AGENT_NAMES must be full, first or none, "
                              f"not {self.widget_agent_names!r}")
        if self.mail_from is not None and not _MAIL_FROM.match(self.mail_from):
            raise ConfigError("TSUNAGU_MAIL_FROM must be an e-mail address such as "
                              f"support@shop.example (got {self.mail_from!r})")
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise ConfigError("TSUNAGU_METRICS_TOKEN must be at least 16 characters")
        if self.public_url is not None and not self.public_url.startswith(("http://",
                                                                           "https://")):
            raise ConfigError("TSUNAGU_PUBLIC_URL must look like https://chat.shop.example "
                              f"(got {self.public_url!r})")
        for name, url in (("TSUNAGU_SLACK_WEBHOOK_URL", self.slack_webhook_url),
                          ("TSUNAGU_TEAMS_WEBHOOK_URL", self.teams_webhook_url)):
            if url is not None:
                try:
                    check_url(url, self.webhook_allowed_hosts,
                              allow_private=self.webhook_allow_private)
                except ValueError as exc:
                    raise ConfigError(f"{name}: {exc}") from None
        if self.webhook_timeout_s > 60:  # a delivery claim outlasts 50 of them (delivery.py)
            raise ConfigError("TSUNAGU_WEBHOOK_TIMEOUT must be at most 60 seconds "
                              f"(got {self.webhook_timeout_s:g})")
        if self.team_email is not None and not _MAIL_FROM.match(self.team_email):
            raise ConfigError("TSUNAGU_TEAM_EMAIL must be an e-mail address such as "
                              f"support@shop.example (got {self.team_email!r})")
        self.hours()  # raises on a bad TSUNAGU_BUSINESS_HOURS or TSUNAGU_TIMEZONE
        try:
            for proxy in self.trusted_proxies:
                ipaddress.ip_network(proxy, strict=False)
        except ValueError as exc:
            raise ConfigError(f"TSUNAGU_TRUSTED_PROXIES: {exc}") from None
        secret = self.secret_key or _stored_secret(self.data_dir)
        if len(secret) < 16:
            raise ConfigError("TSUNAGU_SECRET_KEY must be at least 16 characters")
        return replace(self, database_url=database_url, secret_key=secret,
                       rasa_timeout=rasa_timeout)


#: RASA_TIMEOUT's default, in seconds: a classification (TSUNAGU_NLU=rasa) is
#: quick; a whole assistant's turn (TSUNAGU_BOT=rasa) runs its policies and
#: maybe custom actions, and is two calls (REST channel, then the tracker).
RASA_TIMEOUTS = {"nlu": 2.0, "bot": 10.0}

PRECHAT_FIELDS = ("name", "email")
# A From address: one line, something@domain (a display name is not accepted here).
_MAIL_FROM = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def prechat_spec(raw: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``TSUNAGU_PRECHAT`` (or a widget's ``data-prechat``): the fields of the
    pre-chat form, comma-separated, a ``*`` after a field making it required;
    ``"name,email*"`` → ``(("name", "email"), ("email",))``. Empty or ``off``
    asks nothing."""
    text = raw.strip().lower()
    if text in ("", "off", "none"):
        return (), ()
    fields: list[str] = []
    required: list[str] = []
    for part in text.split(","):
        name = part.strip().rstrip("*").strip()
        if name not in PRECHAT_FIELDS:
            raise ConfigError(f"TSUNAGU_PRECHAT: unknown field {part.strip()!r} "
                              "(use name and email, e.g. 'name,email*')")
        if name not in fields:
            fields.append(name)
        if part.strip().endswith("*") and name not in required:
            required.append(name)
    return tuple(fields), tuple(required)


def _patterns(raw: str) -> tuple[str, ...]:
    """``TSUNAGU_MASK_PATTERNS``: a JSON list of regular expressions (commas are common in them)."""
    if not raw.strip():
        return ()
    try:
        patterns = json.loads(raw)
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise ValueError("not a list of strings")
        for pattern in patterns:
            re.compile(pattern)
    except (ValueError, re.error) as exc:
        raise ConfigError(f"TSUNAGU_MASK_PATTERNS must be a JSON list of regular "
                          f"expressions ({exc})") from None
    return tuple(patterns)


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int,
         maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ConfigError(f"{name} must be {bound} (got {value})")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive duration in seconds (fractions allowed), at most a day."""
    raw = (env.get(name) or "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {raw!r})") from None
    if not 0.01 <= value <= 86400:
        raise ConfigError(f"{name} must be between 0.01 and 86400 seconds (got {raw})")
    return value


def _float(env: Mapping[str, str], name: str, default: float | None, *, minimum: float,
           maximum: float) -> float | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (got {raw!r})") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum:g} and {maximum:g} (got {raw})")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (got {raw!r})")


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError(
                f"TSUNAGU_ALLOWED_ORIGINS entries must look like https://shop.example "
                f"(got {origin!r})"
            )
    return origins


def _stored_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data folder, made on first start.

    A single-process install then needs no configuration; a multi-process
    deployment sets TSUNAGU_SECRET_KEY so all processes agree.
    """
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
