"""E-mail when a deployment is complete: the dashboard's own callback, as INDIGO's dashboard does.

The wizard sets the deployment's ``callback`` to ``/ui/notify/<token>``, the
token being the address encrypted with the installation's secret box; the
engine POSTs the deployment's JSON there at its final status (see
``cumulo.engine.callbacks``) and this module sends the mail over SMTP.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from cumulo.config import Settings
from cumulo.engine.callbacks import OWN_NOTIFY_PATH
from cumulo.engine.runtime import Engine
from cumulo.secrets import SEALED_PREFIX, Purpose

NOTIFY_PATH = OWN_NOTIFY_PATH


def notify_url(engine: Engine, address: str) -> str:
    # The admin's public URL, never the request's Host header: the callback sender trusts
    # this one destination (``cumulo.engine.callbacks.is_own``) past the egress policy.
    base = engine.settings.public_base_url
    token = engine.secrets.seal(address, Purpose.NOTIFY_LINK).removeprefix(SEALED_PREFIX)
    return f"{base}{NOTIFY_PATH}{token}"


def address_of(engine: Engine, token: str) -> str:
    """The address a token stands for (``SecretError`` when it is not ours)."""
    return engine.secrets.open(SEALED_PREFIX + token, Purpose.NOTIFY_LINK)


def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.mail_from, to, subject
    msg.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)
