"""What sealed values are for, and the context each is bound to.

A value sealed for one purpose and context opens for no other (``SecretBox``):
the context names the one thing the secret belongs to, so a copy moved to
another row (another deployment, user or key) does not open either.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """What a sealed value is for; each has its own keys."""

    SESSION = "web-session"  # the dashboard's session cookie (context: none)
    OIDC_LOGIN = "oidc-login-flow"  # the OIDC login's state cookie (context: none)
    NOTIFY_LINK = "notify-link"  # the e-mail address in a notify callback URL (context: none)
    DEPLOYMENT_INPUT = "deployment-input"  # deployment_input(...)
    SITE_CREDENTIALS = "site-credentials"  # the site's name
    SSH_PRIVATE_KEY = "ssh-private-key"  # ssh_private_key(...)
    REFRESH_TOKEN = "oidc-refresh-token"  # the user's id


def deployment_input(deployment_id: str, input_name: str) -> str:
    return f"{deployment_id}/{input_name}"


def ssh_private_key(user_id: str, key_id: str) -> str:
    return f"{user_id}/{key_id}"
