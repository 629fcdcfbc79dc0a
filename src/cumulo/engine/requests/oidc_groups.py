"""Inputs naming groups of cumulo's OIDC provider (INFN's ``iam_groups`` and
``iam_admin_groups``, the notebooks' hubs): refused at the request, naming the input,
when this cumulo gives its services no OIDC provider, rather than failing the
deployment's configuration later."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cumulo.config import Settings
from cumulo.errors import BadRequest

OIDC_GROUP_INPUTS = ("iam_groups", "iam_admin_groups")


def check_oidc_groups(settings: Settings, inputs: Mapping[str, Any]) -> None:
    """400 when an input of ``OIDC_GROUP_INPUTS`` names groups and no provider is set."""
    if settings.hub_oidc_issuer_url:
        return
    for name in OIDC_GROUP_INPUTS:
        if inputs.get(name):
            raise BadRequest(
                f"inputs.{name}: names groups of an OIDC provider, but this cumulo gives "
                "its services none (CUMULO_OIDC_ISSUERS, CUMULO_HUB_OIDC_ISSUER); leave it "
                "empty to log in with your password"
            )
