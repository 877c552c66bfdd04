"""Email delivery (issue 13 point 5) through a real SMTP server (aiosmtpd, in-process on loopback): what the
server receives, retries with backoff on temporary failures, failures recorded on permanent ones, the setting
refused when it cannot work, and the gateway's own delivery loop."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.models import User
from app.db import table
from app.ids import new_id
from app.main import create_app
from app.notify.delivery import DeliveryPolicy, deliver_pending
from app.notify.models import Notification
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings, load_settings
from app.smtp import parse_smtp_url

NOTIFICATIONS, USERS = table(Notification), table(User)
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    """What the SMTP server received, and the replies it gives to the next messages (then 250)."""

    messages: list[tuple[Message, list[str]]] = field(default_factory=list)
    replies: list[str | None] = field(default_factory=list)  # None: accept
    arrived: threading.Event = field(default_factory=threading.Event)
    sessions: int = 0  # EHLOs: SMTP sessions opened

    async def handle_EHLO(self, _server: Any, session: Any, _envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.sessions += 1
        session.host_name = hostname  # what the server does itself without this hook
        return responses

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        reply = self.replies.pop(0) if self.replies else None
        if reply is not None:
            return reply
        self.messages.append((email.message_from_bytes(envelope.original_content), list(envelope.rcpt_tos)))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, str]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}?from=processgraph@example.com&timeout=5"
    finally:
        controller.stop()


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")  # SMTP carries CRLF line ends


async def pending(engine: AsyncEngine, *, subject: str = "Review ledger is waiting for you",
                  body: str = "Please submit it by Friday.\n\n{{not a template}} <b>not html</b>",
                  name: str = "Dana Demo", address: str = "dana@example.com", seq: int = 1) -> str:
    """A pending notification to the demo user (given a name and an address), as the outbox writes it."""
    notification_id = new_id()
    async with engine.begin() as conn:
        await conn.execute(update(USERS).where(USERS.c.id == DEV_USER_ID).values(name=name, email=address))
        await conn.execute(insert(NOTIFICATIONS).values(
            id=notification_id, workspace_id=DEFAULT_WORKSPACE_ID, user_id=DEV_USER_ID, seq=seq, kind="jobSent",
            subject=subject, body=body, created_at=NOW, delivery_state="pending", delivery_attempts=0))
    return notification_id


async def row(engine: AsyncEngine, notification_id: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(NOTIFICATIONS).where(NOTIFICATIONS.c.id == notification_id))).one()


async def deliver(engine: AsyncEngine, url: str, now: datetime = NOW, **policy: Any) -> Any:
    return await deliver_pending(engine, smtp=parse_smtp_url(url), now=now, policy=DeliveryPolicy(**policy))


async def test_a_pending_notification_arrives_as_plain_text_and_is_recorded_sent(
        engine: AsyncEngine, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    notification_id = await pending(engine)
    counts = await deliver(engine, url)
    assert (counts.sent, counts.retried, counts.failed) == (1, 0, 0)
    [(message, recipients)] = sink.messages
    assert recipients == ["dana@example.com"]
    assert message["Subject"] == "Review ledger is waiting for you"
    assert message["Message-ID"] == f"<{notification_id}@processgraph>"
    assert message["From"] == "Processgraph <processgraph@example.com>"
    assert message["To"] == "Dana Demo <dana@example.com>"
    assert message.get_content_type() == "text/plain"
    assert text_of(message) == \
        "Please submit it by Friday.\n\n{{not a template}} <b>not html</b>\n"
    stored = await row(engine, notification_id)
    assert (stored.delivery_state, stored.delivery_attempts, stored.delivery_last_error) == ("sent", 1, None)
    assert stored.delivered_at is not None
    assert (await deliver(engine, url, NOW + timedelta(days=1))).sent == 0  # never sent twice


async def test_line_breaks_in_a_subject_or_a_name_add_no_header(engine: AsyncEngine,
                                                                smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    await pending(engine, subject="Hello\r\nBcc: thief@evil.example\r\n\r\nInjected body",
                  name="Dana\nBcc: thief@evil.example")
    assert (await deliver(engine, url)).sent == 1
    [(message, recipients)] = sink.messages
    assert recipients == ["dana@example.com"]
    assert message["Bcc"] is None and "thief" not in str(message["To"]).split("<")[1]
    assert message["Subject"] == "Hello Bcc: thief@evil.example Injected body"
    assert text_of(message).startswith("Please submit it")


async def test_a_temporary_failure_is_retried_with_backoff(engine: AsyncEngine, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    sink.replies = ["451 4.3.0 Try again later", "451 4.3.0 Still busy"]
    notification_id = await pending(engine)
    first = await deliver(engine, url, backoff_base=timedelta(seconds=30))
    assert (first.sent, first.retried) == (0, 1)
    stored = await row(engine, notification_id)
    assert stored.delivery_state == "pending" and stored.delivery_attempts == 1
    assert "451" in stored.delivery_last_error
    assert stored.delivery_next_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=30)
    assert (await deliver(engine, url, NOW + timedelta(seconds=29))).retried == 0  # not due yet: untouched
    second = await deliver(engine, url, NOW + timedelta(seconds=30), backoff_base=timedelta(seconds=30))
    assert second.retried == 1
    stored = await row(engine, notification_id)
    assert stored.delivery_next_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=30 + 60)  # doubled
    third = await deliver(engine, url, NOW + timedelta(seconds=90))
    assert third.sent == 1 and len(sink.messages) == 1
    stored = await row(engine, notification_id)
    assert (stored.delivery_state, stored.delivery_attempts) == ("sent", 3)


async def test_a_batch_is_sent_over_one_session_and_one_refusal_does_not_stop_it(
        engine: AsyncEngine, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    ids = [await pending(engine, subject=f"Note {i}", seq=i + 1) for i in range(5)]
    sink.replies = [None, None, "451 4.3.0 Try again later"]  # the third message is refused for now
    counts = await deliver(engine, url)
    assert (counts.sent, counts.retried, counts.failed) == (4, 1, 0)
    assert sink.sessions == 2  # one session, and a new one after the refusal
    stored = [await row(engine, i) for i in ids]
    assert sorted(r.delivery_state for r in stored) == ["pending", "sent", "sent", "sent", "sent"]
    assert sorted(m["Subject"] for m, _ in sink.messages) == sorted(r.subject for r in stored
                                                                   if r.delivery_state == "sent")


async def test_a_relay_that_cannot_be_reached_is_tried_once_per_batch(engine: AsyncEngine) -> None:
    url = f"smtp://127.0.0.1:{free_port()}?from=processgraph@example.com&timeout=2"  # nothing listens
    ids = [await pending(engine, seq=i + 1) for i in range(3)]
    counts = await deliver(engine, url, backoff_base=timedelta(seconds=1))
    assert (counts.sent, counts.retried, counts.failed) == (0, 3, 0)
    for i in ids:
        stored = await row(engine, i)
        assert (stored.delivery_state, stored.delivery_attempts) == ("pending", 1)
        assert stored.delivery_last_error == (await row(engine, ids[0])).delivery_last_error


async def test_a_permanent_failure_stops_with_the_error_recorded(engine: AsyncEngine,
                                                                 smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    sink.replies = ["550 5.1.1 Mailbox unavailable"]
    notification_id = await pending(engine)
    counts = await deliver(engine, url)
    assert (counts.sent, counts.retried, counts.failed) == (0, 0, 1)
    stored = await row(engine, notification_id)
    assert (stored.delivery_state, stored.delivery_attempts) == ("failed", 1)
    assert "550" in stored.delivery_last_error and "Mailbox unavailable" in stored.delivery_last_error
    assert (await deliver(engine, url, NOW + timedelta(days=1))).sent == 0 and sink.messages == []


async def test_a_relay_that_refuses_connections_leaves_the_email_pending_until_attempts_run_out(
        engine: AsyncEngine) -> None:
    url = f"smtp://127.0.0.1:{free_port()}?from=processgraph@example.com&timeout=2"  # nothing listens
    notification_id = await pending(engine)
    counts = await deliver(engine, url, max_attempts=2, backoff_base=timedelta(seconds=1))
    assert counts.retried == 1
    stored = await row(engine, notification_id)
    assert stored.delivery_state == "pending" and stored.delivery_last_error
    counts = await deliver(engine, url, NOW + timedelta(seconds=1), max_attempts=2)
    stored = await row(engine, notification_id)
    assert counts.failed == 1 and stored.delivery_state == "failed"
    assert stored.delivery_last_error.startswith("gave up after 2 attempts")


@pytest.mark.parametrize(("url", "says"), [
    ("http://mail.example.com?from=a@example.com", "scheme"),
    ("smtp://?from=a@example.com", "no host"),
    ("smtp://mail.example.com:99999?from=a@example.com", "port"),
    ("smtp://mail.example.com", "from="),
    ("smtp://mail.example.com?from=a@example.com&tls=yes", "unknown parameter"),
])
def test_an_unusable_smtp_url_is_refused_at_start_up_naming_the_setting(url: str, says: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL") as refused:
        load_settings({"SMTP_URL": url})
    assert says in str(refused.value)


def test_smtp_url_forms() -> None:
    plain = parse_smtp_url("smtp://mail.example.com?from=ops@example.com")
    assert (plain.host, plain.port, plain.security, plain.username) == ("mail.example.com", 25, "none", None)
    starttls = parse_smtp_url("smtp+starttls://user%40corp:p%3Ass@relay:2525?from=ops@example.com&timeout=3")
    assert (starttls.port, starttls.security, starttls.username, starttls.password, starttls.timeout_seconds) == \
        (2525, "starttls", "user@corp", "p:ss", 3.0)
    assert parse_smtp_url("smtps://relay?from=ops@example.com").port == 465


async def test_the_gateway_runs_the_delivery_loop_and_counts_it_in_metrics(
        settings: Settings, engine: AsyncEngine, token: str, smtp: tuple[Sink, str]) -> None:
    sink, url = smtp
    notification_id = await pending(engine)
    app = create_app(Settings(database_url=settings.database_url, smtp_url=url, delivery_poll_seconds=0.05))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as client:
        await asyncio.to_thread(sink.arrived.wait, 20)
        assert [m["Message-ID"] for m, _ in sink.messages] == [f"<{notification_id}@processgraph>"]
        for _ in range(400):  # the loop records the outcome just after the server has the message
            if (await row(engine, notification_id)).delivery_state == "sent":
                break
            await asyncio.sleep(0.05)
        assert (await row(engine, notification_id)).delivery_state == "sent"
        metrics = (await client.get("/metrics")).text
        assert 'processgraph_notification_emails_total{outcome="sent"} 1.0' in metrics
