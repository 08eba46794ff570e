"""Tagged articles → a daily digest or an immediate alert, by SMTP or as .eml files in the outbox."""

from notify.chart import weekly_chart_png
from notify.digest import Alert, Digest, DigestItem, TagSection, WeeklyCounts, build_alert, build_digest
from notify.mail import Delivery, deliver, send_smtp, write_outbox
from notify.message import InlineImage, compose_message
from notify.render import Bodies, render_alert, render_digest

__all__ = [
    "Alert",
    "Bodies",
    "Delivery",
    "Digest",
    "DigestItem",
    "InlineImage",
    "TagSection",
    "WeeklyCounts",
    "build_alert",
    "build_digest",
    "compose_message",
    "deliver",
    "render_alert",
    "render_digest",
    "send_smtp",
    "weekly_chart_png",
    "write_outbox",
]
