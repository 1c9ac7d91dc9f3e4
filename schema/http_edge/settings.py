"""Environment → typed settings, read once at the edge and passed inward.

Every variable is listed, with its default, in the README's configuration table.
Secrets are wrapped in :class:`Secret` so that a repr or a log line never prints them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

from crypto.errors import UrlFormatError
from crypto.qr import normalize_base_url
from schema.db import DatabaseUrlError, tortoise_config
from schema.http_edge.client import IpNetwork, parse_networks
from schema.sms import check_provider_spec

__all__ = ["Secret", "Settings", "SettingsError", "load_settings"]

Environment = Literal["development", "production", "test"]


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


class Secret:
    """A secret value that never shows itself in ``repr`` or ``str``."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, kw_only=True)
class Settings:
    env: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    # uvicorn worker processes for `ecert serve` (stateless: docs/scaling.md).
    workers: int = 1
    data_dir: Path = Path("var")
    database_url: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    pii_hmac_key: Secret = field(default_factory=lambda: Secret(b""))
    pii_encryption_key: Secret = field(default_factory=lambda: Secret(b""))
    # Older PII encryption keys: they only open, during and before `ecert rotate-pii-key`.
    pii_previous_encryption_keys: tuple[Secret, ...] = ()
    signing_passphrase: Secret = field(default_factory=lambda: Secret(b""))
    session_ttl_hours: int = 12
    cookie_secure: bool = True
    log_level: str = "INFO"
    trusted_proxies: tuple[IpNetwork, ...] = ()
    # Collection jobs: how long a worker's claim on a job lasts without progress (a killed
    # worker's job is taken over after it), rows per committed chunk, and whether the web
    # process runs jobs itself (the SQLite default; on PostgreSQL `ecert worker` does).
    import_lease_seconds: int = 60
    import_chunk_rows: int = 1000
    inprocess_worker: bool = True
    # PostgreSQL only: how long the holder's QR route may keep a session's row in memory
    # (emptied at once by the database's change notifications; schema.services.access_cache);
    # 0 turns the cache off (e.g. behind a transaction-mode pooler, where LISTEN fails).
    access_cache_seconds: int = 10
    # The HTTP edge (README "Deployment", docs/deployment.md): /graphql requests per client
    # address (a token bucket per worker process: `graphql_burst` at once, refilled at
    # `graphql_requests_per_minute`; 0 turns it off), the query limits, /metrics' token.
    graphql_requests_per_minute: int = 600
    graphql_burst: int = 200
    graphql_max_cost: int = 10_000
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    metrics_token: Secret | None = None

    @property
    def hsts(self) -> bool:
        """Strict-Transport-Security is sent when the public origin is https."""
        return self.public_base_url.startswith("https://")

    # Who sends one-time SMS codes (schema.sms): log (development), none, or module:factory.
    sms_provider: str = "log"

    @property
    def is_postgres(self) -> bool:
        return not self.database_url.startswith("sqlite://")

    @property
    def graphiql_enabled(self) -> bool:
        return self.env == "development"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _int(name: str, raw: str, *, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def _key(name: str, raw: str) -> Secret:
    """Keys are 32 random bytes, given as urlsafe base64 (``ecert gen-secret`` prints one)."""
    try:
        value = base64.urlsafe_b64decode(raw.strip() + "=" * (-len(raw.strip()) % 4))
    except ValueError:
        raise SettingsError(f"{name} must be urlsafe base64") from None
    if len(value) != 32:
        raise SettingsError(f"{name} must decode to 32 bytes")
    return Secret(value)


def _dev_secrets(data_dir: Path) -> dict[str, str]:
    """Development only: keys made once and kept under the data directory (mode 0600)."""
    path = data_dir / "dev-secrets.json"
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError(f"ECERT_DATA_DIR {data_dir} is not a directory")
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"ECERT_DATA_DIR {data_dir}: {exc.strerror}") from None
    values = {
        "ECERT_PII_HMAC_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ECERT_PII_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ECERT_SIGNING_PASSPHRASE": secrets.token_urlsafe(32),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(values, fh)
    return values


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the mapping given, for tests)."""
    env_map = dict(os.environ if environ is None else environ)
    raw_env = env_map.get("ECERT_ENV", "development")
    if raw_env not in get_args(Environment):
        raise SettingsError("ECERT_ENV must be development, production or test")
    env = cast("Environment", raw_env)  # one of its values, checked just above
    data_dir = Path(env_map.get("ECERT_DATA_DIR", "var")).resolve()
    database_url = env_map.get("ECERT_DATABASE_URL") or f"sqlite://{data_dir / 'ecert.sqlite3'}"
    try:
        scheme = urlsplit(database_url).scheme
    except ValueError as exc:
        raise SettingsError(f"ECERT_DATABASE_URL: {exc}") from None
    if scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
        raise SettingsError(
            "ECERT_DATABASE_URL must be a sqlite:// or postgres:// (postgresql://) URL"
        )
    try:
        tortoise_config(database_url)
    except (DatabaseUrlError, OSError, ValueError) as exc:
        raise SettingsError(f"ECERT_DATABASE_URL: {exc}") from None

    secret_names = ("ECERT_PII_HMAC_KEY", "ECERT_PII_ENCRYPTION_KEY", "ECERT_SIGNING_PASSPHRASE")
    missing = [n for n in secret_names if not env_map.get(n) and not env_map.get(n + "_FILE")]
    fallback: dict[str, str] = {}
    if missing:
        if env == "production":
            raise SettingsError("production requires " + ", ".join(missing))
        fallback = _dev_secrets(data_dir)

    def secret_text(name: str) -> str:
        if env_map.get(name + "_FILE"):
            path = Path(env_map[name + "_FILE"])
            try:
                return path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                raise SettingsError(f"{name}_FILE: cannot read {path}: {reason}") from None
        return env_map.get(name) or fallback[name]

    previous_name = "ECERT_PII_PREVIOUS_ENCRYPTION_KEYS"
    previous_text = (
        Path(env_map[previous_name + "_FILE"]).read_text(encoding="utf-8")
        if env_map.get(previous_name + "_FILE")
        else env_map.get(previous_name, "")
    )
    previous_keys = tuple(
        _key(previous_name, k) for k in previous_text.replace("\n", ",").split(",") if k.strip()
    )

    host = env_map.get("ECERT_HOST", "127.0.0.1")
    port = _int("ECERT_PORT", env_map.get("ECERT_PORT", "8000"), low=0, high=65535)
    workers = _int("ECERT_WORKERS", env_map.get("ECERT_WORKERS", "1"), low=1, high=64)
    # Development default: the address this server answers on, so its QR codes open.
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    public_base_url = env_map.get(
        "ECERT_PUBLIC_BASE_URL", f"http://{local_host}:{port or 8000}"
    ).rstrip("/")
    parts = urlsplit(public_base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise SettingsError(
            "ECERT_PUBLIC_BASE_URL must be an origin such as https://verify.example"
        )
    try:
        normalize_base_url(public_base_url)
    except UrlFormatError as exc:
        raise SettingsError(f"ECERT_PUBLIC_BASE_URL: {exc}") from None
    if env == "production" and parts.scheme != "https":
        raise SettingsError("ECERT_PUBLIC_BASE_URL must use https in production")

    try:
        sms_provider = check_provider_spec(
            env_map.get("ECERT_SMS_PROVIDER", "none" if env == "production" else "log").strip(),
            production=env == "production",
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None

    return Settings(
        env=env,
        host=host,
        port=port,
        workers=workers,
        data_dir=data_dir,
        database_url=database_url,
        public_base_url=public_base_url,
        pii_hmac_key=_key("ECERT_PII_HMAC_KEY", secret_text("ECERT_PII_HMAC_KEY")),
        pii_encryption_key=_key(
            "ECERT_PII_ENCRYPTION_KEY", secret_text("ECERT_PII_ENCRYPTION_KEY")
        ),
        pii_previous_encryption_keys=previous_keys,
        signing_passphrase=Secret(secret_text("ECERT_SIGNING_PASSPHRASE").encode()),
        session_ttl_hours=_int(
            "ECERT_SESSION_TTL_HOURS", env_map.get("ECERT_SESSION_TTL_HOURS", "12"), low=1, high=720
        ),
        cookie_secure=_bool(
            "ECERT_COOKIE_SECURE",
            env_map.get("ECERT_COOKIE_SECURE", "true" if env == "production" else "false"),
        ),
        log_level=env_map.get("ECERT_LOG_LEVEL", "INFO").upper(),
        trusted_proxies=_networks(
            "ECERT_TRUSTED_PROXIES", env_map.get("ECERT_TRUSTED_PROXIES", "")
        ),
        import_lease_seconds=_int(
            "ECERT_IMPORT_LEASE_SECONDS",
            env_map.get("ECERT_IMPORT_LEASE_SECONDS", "60"),
            low=1,
            high=3600,
        ),
        import_chunk_rows=_int(
            "ECERT_IMPORT_CHUNK_ROWS", env_map.get("ECERT_IMPORT_CHUNK_ROWS", "1000"), low=1, high=5000
        ),
        inprocess_worker=_bool(
            "ECERT_INPROCESS_WORKER",
            env_map.get(
                "ECERT_INPROCESS_WORKER", "true" if scheme == "sqlite" else "false"
            ),
        ),
        access_cache_seconds=_int(
            "ECERT_ACCESS_CACHE_SECONDS",
            env_map.get("ECERT_ACCESS_CACHE_SECONDS", "10"),
            low=0,
            high=300,
        ),
        **_edge_settings(env_map, secret_text),

        sms_provider=sms_provider,
    )


def _networks(name: str, raw: str) -> tuple[IpNetwork, ...]:
    try:
        return parse_networks(raw.split(","))
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _edge_settings(env_map: dict[str, str], secret_text: Callable[[str], str]) -> dict[str, Any]:
    """The HTTP edge's limits and the metrics token (optional secret: unset serves no
    /metrics)."""

    def limit(name: str, default: int, low: int, high: int) -> int:
        return _int(name, env_map.get(name, str(default)), low=low, high=high)

    token = ""
    if env_map.get("ECERT_METRICS_TOKEN") or env_map.get("ECERT_METRICS_TOKEN_FILE"):
        token = secret_text("ECERT_METRICS_TOKEN")
        if len(token) < 16:
            raise SettingsError("ECERT_METRICS_TOKEN must be at least 16 characters")
    return {
        "graphql_requests_per_minute": limit(
            "ECERT_GRAPHQL_REQUESTS_PER_MINUTE", 600, 0, 1_000_000
        ),
        "graphql_burst": limit("ECERT_GRAPHQL_BURST", 200, 1, 1_000_000),
        "graphql_max_cost": limit("ECERT_GRAPHQL_MAX_COST", 10_000, 100, 10_000_000),
        "graphql_max_depth": limit("ECERT_GRAPHQL_MAX_DEPTH", 10, 3, 100),
        "graphql_max_aliases": limit("ECERT_GRAPHQL_MAX_ALIASES", 30, 1, 1000),
        "graphql_max_tokens": limit("ECERT_GRAPHQL_MAX_TOKENS", 2000, 100, 1_000_000),
        "metrics_token": Secret(token.encode()) if token else None,
    }
