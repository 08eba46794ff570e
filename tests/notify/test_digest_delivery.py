"""Exactly once: a digest is recorded only after the server accepted it; reruns send nothing new; failures retry."""

from __future__ import annotations

import logging
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from engine import send_digest
from newsmon.errors import DigestError
from tests.notify.conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    Certificate,
    RecordingHandler,
    SmtpServer,
    digest_config,
    free_port,
    later,
    sent,
    start_smtp,
    store,
    tagged,
    text_of,
)


def test_digest_reaches_every_recipient_as_one_message(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Iraqi forces raid Islamic State cell", scores={"isis": 0.8}))
    outcome = send_digest(config, now=later())
    assert outcome.status == "sent"
    assert len(smtp_server.received) == 1, "one message for all recipients, not one each"
    received = smtp_server.received[0]
    assert received.sender == "desk@localhost"
    assert received.recipients == ["analyst@localhost", "director@localhost"]
    assert received.message["To"] == "analyst@localhost, director@localhost"
    assert "Iraqi forces raid Islamic State cell" in text_of(received.message)
    [record] = sent(config)
    assert record.message_id == received.message["Message-ID"]


def test_rerun_after_a_success_sends_nothing(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    assert send_digest(config, now=later(1)).status == "sent"
    assert send_digest(config, now=later(2)).status == "empty"
    assert len(smtp_server.received) == 1
    assert len(sent(config)) == 1


def test_next_digest_carries_only_what_was_tagged_since(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("old", "First story about al-Hol returns", scores={"returns": 0.7}))
    send_digest(config, now=later(1))
    store(config, tagged("new", "Second story about Mosul dialogue", scores={"reconciliation": 0.7}))
    send_digest(config, now=later(2))
    second = text_of(smtp_server.received[1].message)
    assert "Second story about Mosul dialogue" in second
    assert "First story about al-Hol returns" not in second


def test_server_down_fails_clearly_records_nothing_and_the_next_run_sends(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    config = digest_config(tmp_path, SmtpServer("127.0.0.1", port, RecordingHandler()))
    store(config, tagged("a1", "Kirkuk police and residents meet", scores={"reconciliation": 0.8}))
    with pytest.raises(DigestError, match=rf"cannot reach the SMTP server 127\.0\.0\.1:{port}.*Nothing was recorded"):
        send_digest(config, now=later(1))
    assert sent(config) == []

    server = start_smtp(port=port)
    try:
        assert send_digest(config, now=later(2)).status == "sent"
    finally:
        server.stop()
    assert "Kirkuk police and residents meet" in text_of(server.received[0].message)
    assert len(sent(config)) == 1


def test_a_refused_recipient_stops_the_message_for_everyone_and_records_nothing(tmp_path: Path) -> None:
    server = start_smtp(handler=RecordingHandler(refuse={"director@localhost"}))
    try:
        config = digest_config(tmp_path, server)
        store(config, tagged("a1", "Camp closure in Anbar", scores={"returns": 0.9}))
        with pytest.raises(DigestError, match=r"refused recipient\(s\): director@localhost \(550"):
            send_digest(config, now=later(1))
        assert server.received == [], "the accepted recipient must not get a copy that the retry would repeat"
        assert sent(config) == []

        server.handler.refuse.clear()
        assert send_digest(config, now=later(2)).status == "sent"
        assert server.received[0].recipients == ["analyst@localhost", "director@localhost"]
    finally:
        server.stop()


def test_starttls_and_auth_with_the_password_from_the_environment(
    starttls_server: SmtpServer, certificate: Certificate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.setenv("NEWSMON_SMTP_PASSWORD", SMTP_PASSWORD)
    config = digest_config(tmp_path, starttls_server, smtp_security="starttls", smtp_user=SMTP_USER)
    store(config, tagged("a1", "Daesh cell dismantled in Hamrin", scores={"isis": 0.95}))
    caplog.set_level(logging.DEBUG)
    outcome = send_digest(config, now=later(), ssl_context=certificate.client_context())
    assert outcome.status == "sent"
    assert starttls_server.handler.logins == [SMTP_USER]
    assert len(starttls_server.received) == 1

    assert SMTP_PASSWORD not in caplog.text
    for path in config.warehouse.path.parent.rglob("*"):
        if path.is_file():
            assert SMTP_PASSWORD.encode() not in path.read_bytes(), f"the password leaked into {path}"


def test_a_refused_login_is_a_clear_error_without_the_password(
    starttls_server: SmtpServer, certificate: Certificate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("NEWSMON_SMTP_PASSWORD", "wrong-password-123")
    config = digest_config(tmp_path, starttls_server, smtp_security="starttls", smtp_user=SMTP_USER)
    store(config, tagged("a1", "Daesh cell dismantled in Hamrin", scores={"isis": 0.95}))
    with pytest.raises(DigestError, match=r"refused the login as 'newsmon' \(535.*NEWSMON_SMTP_PASSWORD") as failure:
        send_digest(config, now=later(), ssl_context=certificate.client_context())
    assert "wrong-password-123" not in str(failure.value)
    assert sent(config) == []


def test_a_missing_password_names_the_variable(
    starttls_server: SmtpServer, certificate: Certificate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSMON_SMTP_PASSWORD", raising=False)
    config = digest_config(tmp_path, starttls_server, smtp_security="starttls", smtp_user=SMTP_USER)
    store(config, tagged("a1", "Daesh cell dismantled in Hamrin", scores={"isis": 0.95}))
    with pytest.raises(DigestError, match=r"\$NEWSMON_SMTP_PASSWORD is not set"):
        send_digest(config, now=later(), ssl_context=certificate.client_context())


def test_an_untrusted_certificate_is_refused(starttls_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, starttls_server, smtp_security="starttls")
    store(config, tagged("a1", "Daesh cell dismantled in Hamrin", scores={"isis": 0.95}))
    with pytest.raises(DigestError, match=r"TLS failed .*CERTIFICATE_VERIFY_FAILED"):
        send_digest(config, now=later())  # the production default context does not trust a self-signed cert
    assert sent(config) == []


def test_implicit_tls(certificate: Certificate, tmp_path: Path) -> None:
    server = start_smtp(ssl_context=certificate.server_context())
    try:
        config = digest_config(tmp_path, server, smtp_security="tls")
        store(config, tagged("a1", "Repatriation flight lands in Baghdad", scores={"returns": 0.9}))
        assert send_digest(config, now=later(), ssl_context=certificate.client_context()).status == "sent"
        assert len(server.received) == 1
    finally:
        server.stop()


def test_outbox_gets_one_eml_written_aside_then_renamed_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_SMTP_PASSWORD", SMTP_PASSWORD)  # set but unused: must not leak anywhere
    config = digest_config(tmp_path, outbox="data/outbox")
    store(config, tagged("a1", "Reconciliation council meets in Tikrit", scores={"reconciliation": 0.8}))
    outcome = send_digest(config, now=later())
    files = sorted(p.name for p in (tmp_path / "data" / "outbox").iterdir())
    assert len(files) == 1 and re.fullmatch(r"\d{8}T\d{6}Z-digest\.eml", files[0]), files
    eml = (tmp_path / "data" / "outbox" / files[0]).read_bytes()
    assert SMTP_PASSWORD.encode() not in eml
    message = message_from_bytes(eml, policy=policy.default)
    assert message["Message-ID"] == outcome.message["Message-ID"] if outcome.message else False
    assert "Reconciliation council meets in Tikrit" in text_of(message)  # type: ignore[arg-type]
    [record] = sent(config)
    assert record.message_id == message["Message-ID"]

    assert send_digest(config, now=later(2)).status == "empty"
    assert len(list((tmp_path / "data" / "outbox").iterdir())) == 1


def test_an_empty_period_sends_nothing_unless_send_empty(smtp_server: SmtpServer, tmp_path: Path) -> None:
    quiet = digest_config(tmp_path / "quiet", smtp_server)
    assert send_digest(quiet, now=later()).status == "empty"
    assert smtp_server.received == [] and sent(quiet) == []

    chatty = digest_config(tmp_path / "chatty", smtp_server, send_empty=True)
    assert send_digest(chatty, now=later()).status == "sent"
    assert "No new articles." in text_of(smtp_server.received[0].message)
    assert len(sent(chatty)) == 1


def test_a_new_session_shows_the_recorded_digest(smtp_server: SmtpServer, tmp_path: Path) -> None:
    import warehouse as wh

    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    send_digest(config, now=later())
    with wh.open_warehouse(config.warehouse, read_only=True) as analyst:
        assert len(wh.sent_notifications(analyst, "digest")) == 1


def test_a_second_sender_waits_for_the_first_instead_of_sending_twice(smtp_server: SmtpServer, tmp_path: Path) -> None:
    from newsmon.errors import PassAlreadyRunning
    from newsmon.passlock import pass_lock

    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    with pass_lock(config.warehouse.path), pytest.raises(PassAlreadyRunning):
        send_digest(config, now=later(1), lock_wait_s=0)  # a send in progress holds the lock from read to record
    assert smtp_server.received == [] and sent(config) == []
    assert send_digest(config, now=later(2)).status == "sent"
    assert send_digest(config, now=later(3)).status == "empty", "once recorded, never sent again"
    assert len(smtp_server.received) == 1
