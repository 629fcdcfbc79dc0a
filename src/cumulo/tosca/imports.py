"""Resolving ``imports``: relative paths, repositories, URLs via the import map.

Relative paths must stay inside the allowed folders (the template's folder,
the import map's folders); URLs are served from the import map, or fetched
only when the operator allows the network (then cached on disk). A server
fetching for its users injects ``fetch`` (cumulo's egress guard); this package
imports nothing of ours but ``errors``, so the default is a plain download.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from cumulo.errors import CumuloError
from cumulo.tosca.documents import Document, ImportEntry
from cumulo.tosca.import_map import is_url, is_within, map_url, normalise_url
from cumulo.tosca.issues import Issue


@dataclass(frozen=True)
class Resolved:
    path: Path  # the local file to read
    name: str  # what messages call it: the URL when it came from one
    base: Path | str  # what its own relative imports start from


# (url, max_bytes) -> the body; raises CumuloError (or ValueError) saying why not.
Fetch = Callable[[str, int], bytes]


class ImportFailed(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class ImportResolver:
    def __init__(
        self,
        import_map: dict[str, Path],
        allowed_roots: list[Path],
        allow_network: bool,
        cache_dir: Path | None,
        max_bytes: int,
        fetch: Fetch | None = None,
    ) -> None:
        self.fetch = fetch or _download
        self.import_map = import_map
        self.allowed_roots = [Path(r).resolve() for r in allowed_roots]
        self.allow_network = allow_network
        self.cache_dir = cache_dir
        self.max_bytes = max_bytes

    def resolve(self, entry: ImportEntry, doc: Document, extra_roots: list[Path]) -> Resolved:
        ref = entry.file
        if entry.repository is not None:
            ref = self._in_repository(entry, doc)
        if ref.startswith("file://"):
            ref = ref[len("file://") :]
        if is_url(ref):
            return self._url(normalise_url(ref), entry, doc)
        if isinstance(doc.base, str):  # imported from a URL: relative to that URL
            return self._url(normalise_url(urljoin(doc.base, ref)), entry, doc)
        if doc.base is None and not Path(ref).is_absolute():
            raise ImportFailed(
                doc.issue(
                    "import-unresolved",
                    f"cannot import {ref!r}: the template has no folder to resolve it against",
                    entry.path,
                    hint="load the template from a file or pass base_dir",
                )
            )
        path = ((doc.base or Path("/")) / ref).resolve()
        roots = [
            *extra_roots,
            *self.allowed_roots,
            *(p.resolve() for p in self.import_map.values()),
        ]
        if not any(is_within(path, root) for root in roots):
            raise ImportFailed(
                doc.issue(
                    "import-outside-roots",
                    f"import {ref!r} leaves the allowed folders",
                    entry.path,
                    hint="import only files under the template's folder or an import map folder",
                )
            )
        return Resolved(path, str(path), path.parent)

    def _in_repository(self, entry: ImportEntry, doc: Document) -> str:
        repos = doc.root.get("repositories")
        repo = repos.get(entry.repository) if isinstance(repos, dict) else None
        url = repo.get("url") if isinstance(repo, dict) else repo
        if not isinstance(url, str):
            known = list(repos) if isinstance(repos, dict) else []
            from cumulo.tosca.issues import did_you_mean

            raise ImportFailed(
                doc.issue(
                    "unknown-repository",
                    f"import names unknown repository {entry.repository!r}",
                    entry.path,
                    hint=did_you_mean(entry.repository, known),
                )
            )
        return urljoin(url if url.endswith("/") else url + "/", entry.file)

    def _url(self, url: str, entry: ImportEntry, doc: Document) -> Resolved:
        mapped = map_url(url, self.import_map)
        if mapped is not None:
            path, inside = mapped
            if not inside:
                raise ImportFailed(
                    doc.issue("import-outside-roots", f"{url} leaves its mapped folder", entry.path)
                )
            return Resolved(path, url, url)
        if not self.allow_network:
            raise ImportFailed(
                doc.issue(
                    "import-unresolved",
                    f"cannot import {url}: no import map entry serves it "
                    "and network imports are off",
                    entry.path,
                    hint="add --import-map URL_PREFIX=DIR (or CUMULO_IMPORT_MAP)",
                )
            )
        return Resolved(self._fetch(url, entry, doc), url, url)

    def _fetch(self, url: str, entry: ImportEntry, doc: Document) -> Path:
        cache = self.cache_dir or default_cache_dir()
        target = cache / (hashlib.sha256(url.encode()).hexdigest() + ".yaml")
        if target.exists():
            return target
        try:
            data = self.fetch(url, self.max_bytes)
        except (CumuloError, ValueError) as exc:
            raise ImportFailed(
                doc.issue("import-fetch-failed", f"cannot fetch {url}: {exc}", entry.path)
            ) from None
        cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)
        return target


def default_cache_dir() -> Path:
    """Where downloads and parsed type files are kept when no cache folder is given."""
    return Path.home() / ".cache" / "cumulo" / "tosca"


def _download(url: str, max_bytes: int) -> bytes:
    """A plain download, for the processor used as a library by the operator."""
    import httpx

    try:
        with httpx.stream("GET", url, timeout=20, follow_redirects=True) as resp:
            resp.raise_for_status()
            data = b""
            for chunk in resp.iter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise ValueError(f"larger than {max_bytes} bytes")
    except httpx.HTTPError as exc:
        raise ValueError(str(exc)) from None
    return data
