"""The delivery paths against a real SMTP server (issue 32 point 3): implicit TLS and STARTTLS with a self-signed
certificate trusted through SMTP_CA_FILE (and refused when it is not trusted), SMTP AUTH, a permanent 5xx, and a
relay that accepts connections and never answers. Each through the public interface: a transition made through
GraphQL writes the notification, the gateway's own delivery loop sends it to an aiosmtpd server, the manager reads
`delivery { state }` through GraphQL and the outcomes are counted in /metrics."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import create_user
from app.main import create_app
from app.settings import DEFAULT_WORKSPACE_ID, Settings, SettingsError, load_settings
from tests.helpers import GraphQLClient
from tests.notify.test_delivery import Sink
from tests.run.helpers import create_process, start, task
from tests.servers import free_port

pytestmark = pytest.mark.timeout(90)

RUN_NOTES = """query($id: ID!) { processRun(id: $id) { notifications(first: 10) {
  edges { node { subject recipient { id } delivery { state attempts lastError } } } } } }"""
SENDER = "processgraph@example.com"


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (its own CA), and the key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Relay(Sink):
    """What the server received, and how each message came: over TLS, and as which login."""

    tls: list[bool] = field(default_factory=list)
    logins: list[str | None] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            self.tls.append(server.transport.get_extra_info("ssl_object") is not None)
            self.logins.append(session.auth_data.login.decode() if session.authenticated else None)
        return reply


def authenticator(_server: Any, _session: Any, _envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (mechanism in {"LOGIN", "PLAIN"} and isinstance(auth_data, LoginPassword)
          and (auth_data.login, auth_data.password) == (b"mailer", b"s3cret:pw"))
    return AuthResult(success=ok, handled=False, auth_data=auth_data)  # kept as session.auth_data


@contextmanager
def relay(port: int, **smtp_parameters: Any) -> Iterator[Relay]:
    """A real SMTP server (aiosmtpd) on loopback, with the given TLS and AUTH parameters; stopped on exit."""
    sink = Relay()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **smtp_parameters)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@dataclass
class Gateway:
    """A gateway app (its lifespan runs the delivery loop) with the manager's GraphQL and HTTP clients."""

    gql: GraphQLClient
    http: httpx.AsyncClient
    engine: AsyncEngine

    async def transition(self, title: str = "Ledger") -> str:
        """A run started through GraphQL that sends a task to a person with an address: one pending email."""
        ann = await create_user(self.engine, workspace_id=DEFAULT_WORKSPACE_ID, name=f"Ann {title}",
                                email=f"ann.{title.lower()}@example.com")
        pid = await create_process(self.gql, {"name": title, "children": [task(title, ann)]})
        return str((await start(self.gql, pid))["id"])

    async def delivery(self, run_id: str) -> dict[str, Any]:
        """The run's one notification's `delivery`, as its manager reads it through GraphQL."""
        edges = (await self.gql(RUN_NOTES, {"id": run_id}))["processRun"]["notifications"]["edges"]
        [edge] = edges
        return dict(edge["node"]["delivery"])

    async def watched(self, run_id: str, done: Callable[[dict[str, Any]], bool],
                      seconds: float = 30) -> dict[str, Any]:
        """Its delivery once `done` says so (the loop works in the background)."""
        delivery: dict[str, Any] = {}
        for _ in range(int(seconds / 0.05)):
            delivery = await self.delivery(run_id)
            if done(delivery):
                return delivery
            await asyncio.sleep(0.05)
        raise AssertionError(f"after {seconds} s: {delivery}")

    async def settled(self, run_id: str, state: str) -> dict[str, Any]:
        return await self.watched(run_id, lambda delivery: delivery["state"] == state.upper())

    async def emails(self, outcome: str) -> float:
        """processgraph_notification_emails_total{outcome=...} in /metrics (0 when not counted yet)."""
        for line in (await self.http.get("/metrics")).text.splitlines():
            if line.startswith(f'processgraph_notification_emails_total{{outcome="{outcome}"}} '):
                return float(line.split()[-1])
        return 0.0


@asynccontextmanager
async def gateway(settings: Settings, engine: AsyncEngine, token: str, smtp_url: str,
                  **more: Any) -> AsyncIterator[Gateway]:
    configured = replace(settings, **{"smtp_url": smtp_url, "delivery_poll_seconds": 0.05,
                                      "delivery_backoff_seconds": 0.1, **more})
    app = create_app(configured)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test",
            headers={"Authorization": f"Bearer {token}"}) as client:
        yield Gateway(gql=GraphQLClient(engine=engine, settings=configured), http=client, engine=engine)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path, "relay")


TLS_FORMS = {  # scheme -> the server's TLS parameters
    "smtps": lambda context: {"ssl_context": context},
    "smtp+starttls": lambda context: {"tls_context": context, "require_starttls": True},
}


@pytest.mark.parametrize("scheme", TLS_FORMS)
async def test_tls_with_a_self_signed_certificate_trusted_through_smtp_ca_file(
        scheme: str, settings: Settings, engine: AsyncEngine, token: str, certificate: tuple[Path, Path]) -> None:
    port = free_port()
    with relay(port, **TLS_FORMS[scheme](server_tls(*certificate))) as box:
        async with gateway(settings, engine, token, f"{scheme}://127.0.0.1:{port}?from={SENDER}&timeout=5",
                           smtp_ca_file=str(certificate[0])) as gw:
            run_id = await gw.transition()
            delivery = await gw.settled(run_id, "sent")
            assert (delivery["attempts"], delivery["lastError"]) == (1, None)
            assert await gw.emails("sent") == 1
    [(message, recipients)] = box.messages
    assert recipients == ["ann.ledger@example.com"] and message["Subject"] == "New task: Ledger"
    assert box.tls == [True]


@pytest.mark.parametrize("scheme", TLS_FORMS)
async def test_a_certificate_the_client_does_not_trust_fails_delivery_and_nothing_goes_in_clear(
        scheme: str, settings: Settings, engine: AsyncEngine, token: str, certificate: tuple[Path, Path],
        tmp_path: Path) -> None:
    other, _ = self_signed(tmp_path, "someone-else")  # SMTP_CA_FILE trusts another certificate only
    port = free_port()
    with relay(port, **TLS_FORMS[scheme](server_tls(*certificate))) as box:
        async with gateway(settings, engine, token, f"{scheme}://127.0.0.1:{port}?from={SENDER}&timeout=5",
                           smtp_ca_file=str(other), delivery_max_attempts=2) as gw:
            run_id = await gw.transition()
            delivery = await gw.settled(run_id, "failed")
            assert delivery["attempts"] == 2
            assert delivery["lastError"].startswith("gave up after 2 attempts")
            assert "CERTIFICATE_VERIFY_FAILED" in delivery["lastError"]
            assert (await gw.emails("retried"), await gw.emails("failed"), await gw.emails("sent")) == (1, 1, 0)
    assert box.messages == []


async def test_starttls_asked_of_a_relay_that_does_not_offer_it_sends_nothing(
        settings: Settings, engine: AsyncEngine, token: str) -> None:
    port = free_port()
    with relay(port) as box:  # plain SMTP only: no STARTTLS in its EHLO
        async with gateway(settings, engine, token, f"smtp+starttls://127.0.0.1:{port}?from={SENDER}&timeout=5",
                           delivery_max_attempts=1) as gw:
            delivery = await gw.settled(await gw.transition(), "failed")
            assert "STARTTLS extension not supported" in delivery["lastError"]
    assert box.messages == [] and box.sessions >= 1


@pytest.mark.parametrize(("credentials", "accepted"), [("mailer:s3cret%3Apw", True), ("mailer:wrong", False)])
async def test_smtp_auth_over_starttls(credentials: str, accepted: bool, settings: Settings, engine: AsyncEngine,
                                       token: str, certificate: tuple[Path, Path]) -> None:
    port = free_port()
    with relay(port, tls_context=server_tls(*certificate), require_starttls=True, authenticator=authenticator,
               auth_required=True) as box:
        url = f"smtp+starttls://{credentials}@127.0.0.1:{port}?from={SENDER}&timeout=5"
        async with gateway(settings, engine, token, url, smtp_ca_file=str(certificate[0]),
                           delivery_max_attempts=3) as gw:
            run_id = await gw.transition()
            if accepted:
                assert (await gw.settled(run_id, "sent"))["attempts"] == 1
                assert await gw.emails("sent") == 1
            else:  # the relay's settings are wrong, not the message: retried, then failed after 3 attempts
                delivery = await gw.settled(run_id, "failed")
                assert delivery["attempts"] == 3 and "535" in delivery["lastError"]
                assert (await gw.emails("retried"), await gw.emails("failed"), await gw.emails("sent")) == (2, 1, 0)
    if accepted:
        assert [m["Subject"] for m, _ in box.messages] == ["New task: Ledger"]
        assert (box.tls, box.logins) == ([True], ["mailer"])
    else:
        assert box.messages == []


async def test_a_permanent_5xx_fails_the_email_at_once_visible_to_the_manager_and_in_metrics(
        settings: Settings, engine: AsyncEngine, token: str) -> None:
    port = free_port()
    with relay(port) as box:
        box.replies = ["550 5.1.1 Mailbox unavailable"]
        async with gateway(settings, engine, token, f"smtp://127.0.0.1:{port}?from={SENDER}&timeout=5",
                           delivery_max_attempts=3) as gw:
            refused = await gw.transition("Refused")
            delivery = await gw.settled(refused, "failed")
            # a 5xx is the relay's final answer: failed on the first attempt, well within DELIVERY_MAX_ATTEMPTS
            assert delivery["attempts"] == 1 and "550 5.1.1 Mailbox unavailable" in delivery["lastError"]
            assert await gw.emails("failed") == 1
            after = await gw.transition("After")  # the relay accepts the next one
            await gw.settled(after, "sent")
            await asyncio.sleep(0.3)  # a few more polls: the failed one is not tried again
            assert (await gw.delivery(refused))["attempts"] == 1
            assert (await gw.emails("sent"), await gw.emails("failed"), await gw.emails("retried")) == (1, 1, 0)
    assert [m["Subject"] for m, _ in box.messages] == ["New task: After"]


async def test_temporary_4xx_replies_fail_the_email_after_delivery_max_attempts(
        settings: Settings, engine: AsyncEngine, token: str) -> None:
    port = free_port()
    with relay(port) as box:
        box.replies = ["451 4.3.0 Try again later"] * 3
        async with gateway(settings, engine, token, f"smtp://127.0.0.1:{port}?from={SENDER}&timeout=5",
                           delivery_max_attempts=3) as gw:
            delivery = await gw.settled(await gw.transition(), "failed")
            assert delivery["attempts"] == 3
            assert delivery["lastError"].startswith("gave up after 3 attempts") and "451" in delivery["lastError"]
            assert (await gw.emails("retried"), await gw.emails("failed"), await gw.emails("sent")) == (2, 1, 0)
    assert box.messages == []


async def test_a_relay_that_accepts_and_never_answers_is_bounded_by_the_timeout_and_retried(
        settings: Settings, engine: AsyncEngine, token: str) -> None:
    port = free_port()
    # A listening socket nobody reads: the kernel accepts connections, and no greeting ever comes.
    mute = socket.create_server(("127.0.0.1", port))
    try:
        async with gateway(settings, engine, token, f"smtp://127.0.0.1:{port}?from={SENDER}&timeout=1",
                           delivery_backoff_seconds=2.0) as gw:
            began = time.monotonic()
            first = await gw.transition("First")
            delivery = await gw.watched(first, lambda delivery: delivery["lastError"] is not None)
            assert time.monotonic() - began < 8  # one attempt took about the timeout, not forever
            assert delivery["state"] == "PENDING" and delivery["attempts"] == 1
            assert "Timeout" in delivery["lastError"]
            assert await gw.emails("retried") >= 1
            mute.close()  # the relay comes back on the same port
            with relay(port) as box:
                second = await gw.transition("Second")
                await gw.settled(second, "sent")
                await gw.settled(first, "sent")  # retried after its backoff
                assert await gw.emails("sent") == 2
    finally:
        mute.close()
    assert sorted(m["Subject"] for m, _ in box.messages) == ["New task: First", "New task: Second"]


def test_smtp_ca_file_is_checked_at_start_up(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    assert load_settings({"SMTP_CA_FILE": str(certificate[0])}).smtp_ca_file == str(certificate[0])
    (tmp_path / "junk.pem").write_text("not a certificate")
    for path in (tmp_path / "missing.pem", tmp_path / "junk.pem"):
        with pytest.raises(SettingsError, match="SMTP_CA_FILE"):
            load_settings({"SMTP_CA_FILE": str(path)})


@dataclass
class HangsOnce(Relay):
    """Takes the first message's data and never answers it (until the server stops); accepts the next ones."""

    hung: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hung == 0:
            self.hung += 1
            await asyncio.sleep(3600)
        return await super().handle_DATA(server, session, envelope)


async def test_a_relay_that_never_answers_a_message_is_bounded_by_the_timeout_and_retried(
        settings: Settings, engine: AsyncEngine, token: str) -> None:
    port = free_port()
    box = HangsOnce()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async with gateway(settings, engine, token, f"smtp://127.0.0.1:{port}?from={SENDER}&timeout=1") as gw:
            run_id = await gw.transition()
            delivery = await gw.settled(run_id, "sent")
            assert delivery["attempts"] == 2  # the first attempt timed out waiting for the reply to its data
            assert (await gw.emails("retried"), await gw.emails("sent")) == (1, 1)
    finally:
        controller.stop()
    assert box.hung == 1 and [m["Subject"] for m, _ in box.messages] == ["New task: Ledger"]
