"""Delivery: to an SMTP server (STARTTLS, implicit TLS or plain), or as an .eml file in the outbox.

A delivery either succeeds whole or raises DigestError: a recipient refused at RCPT stops the message before
DATA, so no recipient gets a digest that is then resent to everyone on the next run.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from newsmon.config import SMTP_PASSWORD_ENV, DigestConfig
from newsmon.errors import DigestError

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 30.0  # per network operation; a server slower than this is treated as down and retried next run
RETRY_NOTE = "Nothing was recorded: the next run sends it again."


@dataclass(frozen=True, slots=True)
class Delivery:
    transport: str  # smtp | outbox
    outbox_file: Path | None  # the .eml written, outbox transport only


def deliver(
    message: EmailMessage,
    config: DigestConfig,
    *,
    kind: str,
    sent_at: datetime,
    ssl_context: ssl.SSLContext | None = None,
) -> Delivery:
    """Send through `config.smtp_host`, or, without one, write `<outbox>/<timestamp>-<kind>.eml`.

    `ssl_context` defaults to ssl.create_default_context() (system CAs, hostname checked); tests pass one that
    trusts their own certificate.
    """
    if config.smtp_host is None:
        return Delivery("outbox", write_outbox(message, config.outbox, kind=kind, sent_at=sent_at))
    send_smtp(message, config, ssl_context=ssl_context)
    return Delivery("smtp", None)


def write_outbox(message: EmailMessage, outbox: Path, *, kind: str, sent_at: datetime) -> Path:
    """Write the message aside, then rename it into place: a reader of the outbox never sees half a file."""
    stamp = sent_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    data = message.as_bytes(policy=message.policy.clone(linesep="\n"))
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        target = outbox / f"{stamp}-{kind}.eml"
        counter = 2
        while target.exists():
            target = outbox / f"{stamp}-{kind}-{counter}.eml"
            counter += 1
        temporary = outbox / f".{target.name}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as exc:
        raise DigestError(f"{outbox}: cannot write the {kind} to the outbox: {exc}. {RETRY_NOTE}") from exc
    log.info("%s written to %s", kind, target)
    return target


def send_smtp(
    message: EmailMessage,
    config: DigestConfig,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout_s: float = SMTP_TIMEOUT_S,
) -> None:
    """Hand the message to the server for every recipient at once, or raise DigestError saying why not."""
    assert config.smtp_host is not None
    where = f"SMTP server {config.smtp_host}:{config.smtp_port}"
    recipients = list(config.to)
    if not recipients:
        raise DigestError("[digest] to is empty: list at least one recipient, or remove smtp_host to use the outbox.")
    password = config.smtp_password
    if config.smtp_user and not password:
        raise DigestError(
            f"[digest] smtp_user = {config.smtp_user!r} but ${SMTP_PASSWORD_ENV} is not set. "
            "Set it in the environment of the process that sends digests."
        )
    context = ssl_context or ssl.create_default_context()
    client: smtplib.SMTP | None = None
    try:
        if config.smtp_security == "tls":
            client = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=timeout_s, context=context)
        else:
            client = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=timeout_s)
        client.ehlo()
        if config.smtp_security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if config.smtp_user and password:
            client.login(config.smtp_user, password)
        _transmit(client, message, config.sender, recipients, where)
    except DigestError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DigestError(
            f"{where} refused the login as {config.smtp_user!r} ({exc.smtp_code} {_text(exc.smtp_error)}). "
            f"Check [digest] smtp_user and ${SMTP_PASSWORD_ENV}. {RETRY_NOTE}"
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DigestError(
            f'{where} does not support {exc}. With smtp_security = "{config.smtp_security}" the server must '
            f"offer STARTTLS (and AUTH when smtp_user is set); check [digest] smtp_security. {RETRY_NOTE}"
        ) from exc
    except ssl.SSLError as exc:
        raise DigestError(
            f"{where}: TLS failed ({exc.reason or exc}). Check smtp_port and smtp_security "
            f'("tls" is usually port 465, "starttls" port 587) and the server\'s certificate. {RETRY_NOTE}'
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DigestError(f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}. {RETRY_NOTE}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        reason = "timed out" if isinstance(exc, socket.timeout | TimeoutError) else str(exc) or type(exc).__name__
        raise DigestError(f"cannot reach the {where}: {reason}. {RETRY_NOTE}") from exc
    finally:
        if client is not None:
            _close_quietly(client)
    log.info("sent to %s recipient(s) through %s", len(recipients), where)


def _transmit(client: smtplib.SMTP, message: EmailMessage, sender: str, recipients: Sequence[str], where: str) -> None:
    """MAIL, RCPT for each recipient, then DATA only if every recipient was accepted."""
    code, reply = client.mail(sender)
    if code != 250:
        client.rset()
        raise DigestError(f"{where} refused the sender {sender!r}: {code} {_text(reply)}. {RETRY_NOTE}")
    refused = []
    for recipient in recipients:
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            refused.append(f"{recipient} ({code} {_text(reply)})")
    if refused:
        client.rset()
        raise DigestError(
            f"{where} refused recipient(s): {'; '.join(refused)}. The message went to no one; fix [digest] to "
            f"or the server's policy. {RETRY_NOTE}"
        )
    code, reply = client.data(message.as_bytes())
    if code != 250:
        raise DigestError(f"{where} did not accept the message: {code} {_text(reply)}. {RETRY_NOTE}")


def _close_quietly(client: smtplib.SMTP) -> None:
    # After DATA was accepted, a failing QUIT must not turn a delivered message into a "failed" one (and a resend).
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
