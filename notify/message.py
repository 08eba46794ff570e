"""MIME messages: text and HTML alternatives, the chart as an inline image part referenced by Content-ID.

Built with email.message.EmailMessage under policy.SMTP, which refuses a header value containing CR or LF, so
no article field can add a header; subjects are made single-line before they get there anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from newsmon.errors import DigestError
from notify.digest import single_line
from notify.render import Bodies


@dataclass(frozen=True, slots=True)
class InlineImage:
    cid: str  # Content-ID without angle brackets: the HTML refers to it as src="cid:…"
    png: bytes
    filename: str


def sender_domain(sender: str) -> str:
    domain = sender.rpartition("@")[2].strip("<> ")
    return domain or "newsmon.localhost"


def new_content_id(sender: str) -> str:
    """A unique Content-ID (without angle brackets), in the sender's domain."""
    return make_msgid(domain=sender_domain(sender))[1:-1]


def compose_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    bodies: Bodies,
    sent_at: datetime,
    images: Sequence[InlineImage] = (),
    kind: str = "digest",
) -> EmailMessage:
    """One message for every recipient (all in To), UTF-8 throughout, with Date and Message-ID set."""
    message = EmailMessage(policy=policy.SMTP)
    try:
        message["From"] = sender
        if recipients:
            message["To"] = ", ".join(recipients)
        message["Subject"] = single_line(subject, max_chars=200)
    except ValueError as exc:  # policy.SMTP refuses CR/LF in a header value
        raise DigestError(f"cannot build the {kind} message: a header value is invalid ({exc}).") from exc
    message["Date"] = format_datetime(sent_at)
    # No idstring: a longer Message-ID gets folded onto a second line, which some parsers read with a leading space.
    message["Message-ID"] = make_msgid(domain=sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    message.set_content(bodies.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(bodies.html, subtype="html", charset="utf-8", cte="quoted-printable")
    if images:
        html_part = message.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        for image in images:
            html_part.add_related(
                image.png, maintype="image", subtype="png", cid=f"<{image.cid}>", disposition="inline",
                filename=image.filename,
            )  # fmt: skip
    return message
