"""Real parts for digest and alert tests: aiosmtpd on loopback (plain, STARTTLS + AUTH, implicit TLS), a
self-signed certificate made in the run, and tagged articles stored through the real warehouse functions."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

import warehouse as wh
from newsmon.config import Config, load_config
from newsmon.records import Article, Classification, TaggedArticle
from tests.conftest import write_config
from tests.tls import Certificate, make_certificate

SMTP_USER = "newsmon"
SMTP_PASSWORD = "s3cret-Pa55-never-logged"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    """Keeps every message the server accepted; refuses RCPT for the addresses in `refuse` with 550."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append(auth_data.login.decode())
            ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler
    controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def start_smtp(port: int | None = None, handler: RecordingHandler | None = None, **options: Any) -> SmtpServer:
    handler = handler or RecordingHandler()
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, decode_data=False, **options)
    controller.start()
    return SmtpServer("127.0.0.1", port, handler, controller)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(certificate: Certificate) -> Iterator[SmtpServer]:
    """Refuses mail until STARTTLS, and refuses it after that until AUTH succeeded (submission-port policy)."""
    handler = RecordingHandler()
    server = start_smtp(
        handler=handler,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    yield server
    server.stop()


# --- configs and stored articles -----------------------------------------------------------------------------

NOW = dt.datetime.now(dt.UTC)


def digest_config(tmp_path: Path, server: SmtpServer | None = None, **digest: Any) -> Config:
    """A config whose [digest] points at `server` (plain SMTP unless overridden), or at the outbox without one."""
    table: dict[str, Any] = {
        "to": ["analyst@localhost", "director@localhost"],
        "from": "desk@localhost",
        "tags": ["isis", "returns", "reconciliation"],
    }
    if server is not None:
        table |= {"smtp_host": server.host, "smtp_port": server.port, "smtp_security": "none"}
    table |= digest
    lines = ["[digest]", *(f"{key} = {_toml(value)}" for key, value in table.items())]
    tmp_path.mkdir(parents=True, exist_ok=True)
    return load_config(write_config(tmp_path, [], "\n".join(lines) + "\n"))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def tagged(
    key: str,
    title: str,
    *,
    scores: dict[str, float],
    source: str = "tigris-world",
    lang: str = "en",
    text: str | None = None,
    published_at: dt.datetime | None = None,
    evidence: dict[str, tuple[str, ...]] | None = None,
    url: str | None = None,
) -> TaggedArticle:
    """An article carrying every tag in `scores` (all at or above the default 0.5 threshold count as labels)."""
    published = published_at or NOW - dt.timedelta(hours=3)
    body = text or f"{title}. Officials said on Tuesday that the situation was being followed closely by the province."
    article = Article(
        article_id=hashlib.sha1(key.encode()).hexdigest()[:16],
        url=url or f"https://localhost/articles/{key}",
        source=source,
        title=title,
        author=None,
        published_at=published,
        first_seen_at=NOW - dt.timedelta(minutes=5),
        lang=lang,
        text=body,
        word_count=len(body.split()),
        content_hash=hashlib.sha1(f"{key}:{body}".encode()).hexdigest(),
    )
    labels = tuple(tag for tag, score in scores.items() if score >= 0.5)
    classification = Classification(
        id=article.article_id,
        scores=scores,
        labels=labels,
        evidence=evidence or {tag: (f"{tag} cue",) for tag in labels},
        classifier_version="rules-test",
    )
    return TaggedArticle(article, classification)


def store(config: Config, *items: TaggedArticle) -> None:
    with wh.open_warehouse(config.warehouse.path) as warehouse:
        run_id = wh.start_run(warehouse, dt.datetime.now(dt.UTC), 0)
        wh.store_tagged_articles(warehouse, run_id, list(items), [])


def sent(config: Config, kind: str = "digest") -> list[wh.SentNotification]:
    with wh.open_warehouse(config.warehouse.path) as warehouse:
        return wh.sent_notifications(warehouse, kind)


def part(message: EmailMessage, content_type: str) -> EmailMessage:
    found = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(found) == 1, f"expected one {content_type} part, found {len(found)}"
    assert isinstance(found[0], EmailMessage)
    return found[0]


def text_of(message: EmailMessage, content_type: str = "text/plain") -> str:
    return str(part(message, content_type).get_content())


def visible(html_text: str) -> str:
    """What a reader of the HTML part sees: tags removed, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split()).replace(" :", ":")


def later(minutes: float = 1) -> dt.datetime:
    """An instant after every article stored so far was tagged (the warehouse stamps tagged_at with the clock)."""
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
