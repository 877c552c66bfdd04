"""One notification as an email: plain text, headers built by the standard library's email package.

Subjects, bodies and names are data people typed: the body is sent as plain text exactly as stored (never a
template, never HTML), and line breaks in a header value (a subject, a display name) become spaces, so nobody can
add a header (`Bcc:`) through them."""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """A header value on one line: every kind of line break (and runs of them) becomes one space."""
    return _LINE_BREAKS.sub(" ", text).strip()


def message_id(notification_id: str) -> str:
    """Derived from the notification, so a message sent twice after a crash carries the same Message-ID."""
    return f"<{notification_id}@processgraph>"


def build_message(*, notification_id: str, subject: str, body: str, created_at: datetime, sender: str,
                  recipient_name: str, recipient_email: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(subject) or "(no subject)"
    message["From"] = Address(display_name="Processgraph", addr_spec=sender)
    message["To"] = Address(display_name=one_line(recipient_name), addr_spec=recipient_email)
    message["Date"] = format_datetime(created_at)
    message["Message-ID"] = message_id(notification_id)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: tells auto-responders not to answer
    message.set_content(body)
    return message
