"""Where a compose file comes from: inline content, or a URL fetched with limits.

``http``/``https`` URLs are fetched through the egress policy (only where the
admin allows, checked at every connection and redirect; ``cumulo.egress``) with
a timeout and a size limit (a server that hangs or sends too much fails the
node, saying so); ``file:`` URLs are read only under the folders the site's
policy lists (none by default), so a user cannot make the server read its own
files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from cumulo.drivers.docker.compose_policy import ComposePolicy
from cumulo.egress import EgressPolicy, FetchFailed
from cumulo.egress import fetch as egress_fetch
from cumulo.errors import SiteError

URL_PROPERTY = "docker_compose_file_url"
CONTENT_PROPERTY = "docker_compose_file_content"


def compose_document(
    node: str, properties: dict[str, Any], policy: ComposePolicy, egress: EgressPolicy
) -> Any:
    """The parsed compose file of a DockerCompose node."""
    content = properties.get(CONTENT_PROPERTY)
    url = properties.get(URL_PROPERTY)
    if content not in (None, ""):
        where, text = f"properties.{CONTENT_PROPERTY}", str(content)
        if len(text.encode()) > policy.max_file_bytes:
            raise SiteError(f"node {node}: {where}: larger than {policy.max_file_bytes} bytes")
    elif url not in (None, ""):
        where = f"properties.{URL_PROPERTY} ({url})"
        text = fetch(node, str(url), policy, egress)
    else:
        raise SiteError(
            f"node {node}: no compose file given "
            f"(properties.{URL_PROPERTY} or properties.{CONTENT_PROPERTY})"
        )
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise SiteError(
            f"node {node}: {where}: the compose file is not YAML{at}: {problem}"
        ) from None
    if not isinstance(doc, dict):
        raise SiteError(f"node {node}: {where}: the compose file is not a YAML map")
    return doc


def fetch(node: str, url: str, policy: ComposePolicy, egress: EgressPolicy) -> str:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        where = f"node {node}: compose file {url}"
        return _read_file(where, Path(unquote(parsed.path)), policy)
    # The URL is left out: a refusal reads the same whatever the address and port.
    where = f"node {node}: properties.{URL_PROPERTY}"
    if parsed.scheme not in ("http", "https"):
        raise SiteError(f"{where}: only http, https and file URLs are accepted")
    try:
        body = egress_fetch(url, egress, policy.max_file_bytes, policy.fetch_timeout_seconds)
    except FetchFailed as exc:
        raise SiteError(f"{where}: {exc}") from None
    return _text(where, body)


def _read_file(where: str, path: Path, policy: ComposePolicy) -> str:
    resolved = path.resolve()
    roots = [Path(r).resolve() for r in policy.file_url_roots]
    if not any(resolved.is_relative_to(root) for root in roots):
        raise SiteError(f"{where}: file URLs are allowed only under {roots or 'no folder'} here")
    try:
        with resolved.open("rb") as f:
            data = f.read(policy.max_file_bytes + 1)
    except OSError as exc:
        raise SiteError(f"{where}: cannot be read: {exc.strerror}") from None
    if len(data) > policy.max_file_bytes:
        raise SiteError(f"{where}: larger than {policy.max_file_bytes} bytes")
    return _text(where, data)


def _text(where: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SiteError(f"{where}: not UTF-8 text") from None
