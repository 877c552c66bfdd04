"""The SMTP relay setting: `SMTP_URL` parsed once, refused at start-up when it cannot work. Standard library only
(app/settings.py validates with it)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from urllib.parse import parse_qs, unquote, urlsplit

# scheme -> (transport security, default port)
SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to hand email over: `security` is none, starttls (upgrade after connecting) or tls (implicit)."""

    host: str
    port: int
    security: str
    from_address: str
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0
    ca_file: str | None = None  # SMTP_CA_FILE: certificates trusted besides the system's


def check_ca_file(path: str) -> None:
    """SMTP_CA_FILE must be readable PEM certificates; ValueError saying what is wrong."""
    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot be read as PEM certificates ({exc})") from None


def parse_smtp_url(url: str) -> SmtpConfig:
    """`smtp://[user:password@]host[:port]?from=noreply@example.com` (also `smtp+starttls://`, `smtps://`, and
    `timeout=SECONDS`); ValueError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"the scheme must be one of {', '.join(s + '://' for s in SCHEMES)}, not {parts.scheme!r}")
    security, default_port = SCHEMES[parts.scheme]
    if not parts.hostname:
        raise ValueError("it names no host")
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ValueError(f"its port is not a number from 1 to 65535 ({exc})") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - {"from", "timeout"})
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}: only from and timeout are read")
    sender = query.get("from", "")
    if "@" not in sender:
        raise ValueError("it needs the sender's address as ?from=name@example.com")
    try:
        Address(addr_spec=sender)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"from={sender!r} is not an email address ({exc})") from None
    try:
        timeout = float(query.get("timeout", "10"))
    except ValueError:
        raise ValueError("timeout must be a number of seconds") from None
    if timeout <= 0:
        raise ValueError("timeout must be more than 0 seconds")
    return SmtpConfig(host=parts.hostname, port=port, security=security, from_address=sender,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None, timeout_seconds=timeout)
