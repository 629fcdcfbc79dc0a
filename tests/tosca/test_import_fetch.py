"""Network imports through an injected fetch: how a server puts them behind its egress policy
(this package imports nothing of cumulo's but ``errors``)."""

from __future__ import annotations

from pathlib import Path

from tosca_helpers import V13, codes, load_error, only

from cumulo.errors import CumuloError
from cumulo.tosca import Processor

TYPES = V13 + "node_types:\n  fetched.nodes.Thing:\n    derived_from: tosca.nodes.Root\n"


def test_the_injected_fetch_serves_network_imports_and_its_refusal_is_the_issue(
    tmp_path: Path,
) -> None:
    asked: list[tuple[str, int]] = []

    def fetch(url: str, max_bytes: int) -> bytes:
        asked.append((url, max_bytes))
        if "refused" in url:
            raise CumuloError("not allowed here")
        return TYPES.encode()

    proc = Processor(allow_network=True, cache_dir=tmp_path, max_bytes=100_000, fetch=fetch)
    tpl = proc.load_text(V13 + "imports: ['https://types.example.org/t.yaml']\n")
    assert tpl.registry.find("node_types", "fetched.nodes.Thing") is not None
    assert asked == [("https://types.example.org/t.yaml", 100_000)]
    issues = load_error(V13 + "imports: ['http://refused.example.org/t.yaml']\n", proc=proc)
    issue = only(issues, "import-fetch-failed")
    assert issue.message == "cannot fetch http://refused.example.org/t.yaml: not allowed here"
    off = Processor(cache_dir=tmp_path / "off", fetch=fetch)  # network imports off: never asked
    assert "import-unresolved" in codes(load_error(V13 + "imports: ['https://x.org/y.yaml']\n",
                                                   proc=off))  # fmt: skip
    assert len(asked) == 2
