"""Loading: versions, imports in every form, import maps, confinement, cycles, caching."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from tosca_helpers import DATA, V13, check, codes, load_error, only

from cumulo.errors import ToscaError
from cumulo.tosca import Processor, parse_import_map
from cumulo.tosca.import_map import import_map_from_env, map_url


@pytest.mark.parametrize("version", ["1_0", "1_1", "1_2", "1_3"])
def test_versions_1_0_to_1_3_are_accepted(version: str) -> None:
    report = check(f"tosca_definitions_version: tosca_simple_yaml_{version}\n")
    assert report.ok, report


def test_unknown_version_is_located_with_a_hint() -> None:
    issues = load_error("# c\ntosca_definitions_version: tosca_simple_yaml_1_4\n")
    issue = only(issues, "unknown-version")
    assert (issue.location.line, issue.location.column) == (2, 28)
    assert "did you mean" in (issue.hint or "")


def test_missing_version_and_not_a_map() -> None:
    assert "missing-version" in codes(load_error("description: x\n"))
    assert "not-a-map" in codes(load_error("- a\n- b\n"))
    assert "not-a-map" in codes(load_error(""))


def test_unknown_top_level_key_is_an_error_with_hint() -> None:
    report = check(V13 + "node_template: {}\n")
    issue = only(report.errors, "unknown-field")
    assert issue.hint == "did you mean 'node_types'?" or "topology_template" in (issue.hint or "")


def test_imports_in_every_form_are_loaded_once() -> None:
    proc = Processor()
    tpl = proc.load_file(DATA / "imports" / "main.yaml")
    names = [Path(d.name).name for d in tpl.imports]
    assert sorted(names) == ["base_types.yaml", "more_types.yaml"]  # each once
    plan = proc.plan(tpl)
    app = plan.instances_of("app")[0]
    assert app.types[:2] == ("example.nodes.WebApp", "example.nodes.App")
    assert app.properties == {"port": 8080, "path": "/"}
    assert app.host == "server"


def test_import_escaping_the_template_folder_is_refused() -> None:
    proc = Processor()
    with pytest.raises(ToscaError) as info:
        proc.load_file(DATA / "imports" / "escape.yaml")
    issue = only(info.value.issues, "import-outside-roots")
    assert issue.location.line == 3


def test_relative_import_without_a_folder_is_explained() -> None:
    issue = only(load_error(V13 + "imports: [x.yaml]\n"), "import-unresolved")
    assert issue.location.line == 2


def test_import_cycle_is_reported() -> None:
    with pytest.raises(ToscaError) as info:
        Processor().load_file(DATA / "cycle" / "a.yaml")
    assert "import-cycle" in codes(info.value.issues)


def test_url_imports_use_the_longest_import_map_prefix(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(DATA / "mapped" / "longer.yaml", other / "types.yaml")
    proc = Processor(
        import_map={
            "https://example.org/tosca/": DATA / "mapped",
            "https://example.org/tosca/v2/": other,
        }
    )
    tpl = proc.load_text(
        V13 + "imports:\n  - https://example.org/tosca/types.yaml\n"
        "  - https://example.org/tosca/v2/types.yaml\n"
    )
    assert tpl.registry.find("node_types", "mapped.nodes.Thing") is not None
    assert tpl.registry.find("node_types", "mapped.nodes.Longer") is not None


def test_mapped_url_cannot_climb_out_of_its_folder() -> None:
    proc = Processor(import_map={"https://example.org/t/": DATA / "mapped"})
    issues = load_error(V13 + "imports: ['https://example.org/t/../../x.yaml']\n", proc=proc)
    assert codes(issues) & {"import-unresolved", "import-outside-roots"}


def test_unmapped_url_without_network_is_an_error_with_hint() -> None:
    issues = load_error(V13 + "imports: ['https://nowhere.example/t.yaml']\n")
    issue = only(issues, "import-unresolved")
    assert "--import-map" in (issue.hint or "")


def test_cumulo_types_are_served_by_the_default_import_map() -> None:
    report = check(V13 + "imports: ['https://cumulo.dev/tosca/normative.yaml']\n")
    assert report.ok, report


def test_repository_and_namespace_prefix() -> None:
    proc = Processor(import_map={"https://example.org/repo/": DATA / "mapped"})
    tpl = proc.load_text(
        V13
        + "repositories:\n  mine: {url: 'https://example.org/repo'}\n"
        + "imports:\n  - {file: types.yaml, repository: mine, namespace_prefix: m}\n"
        + "topology_template:\n  node_templates:\n    t: {type: 'm:mapped.nodes.Thing'}\n"
    )
    report = proc.check(tpl)
    assert report.ok, report
    issues = load_error(V13 + "imports:\n  - {file: types.yaml, repository: nope}\n", proc=proc)
    assert "unknown-repository" in codes(issues)


def test_import_map_parsing_and_environment() -> None:
    parsed = parse_import_map("https://a/=/x ; https://b/=/y\nhttps://c/=/z")
    assert parsed == {"https://a/": Path("/x"), "https://b/": Path("/y"), "https://c/": Path("/z")}
    with pytest.raises(ValueError, match="not URL_PREFIX=DIR"):
        parse_import_map("https://a/")
    assert import_map_from_env({"CUMULO_IMPORT_MAP": "https://a/=/x"}) == {"https://a/": Path("/x")}
    assert map_url("https://a/b/../c.yaml", {"https://a/": Path("/x")})[0] == Path("/x/c.yaml")


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(V13 + "description: " + "x" * 5000 + "\n")
    with pytest.raises(ToscaError) as info:
        Processor(max_bytes=1000).load_file(big)
    assert codes(info.value.issues) == {"too-large"}


def test_parsed_imports_are_cached_and_reloaded_when_changed(tmp_path: Path) -> None:
    shutil.copytree(DATA / "imports", tmp_path / "imports")
    proc = Processor()
    first = proc.load_file(tmp_path / "imports" / "main.yaml")
    again = proc.load_file(tmp_path / "imports" / "main.yaml")
    assert [id(d) for d in first.imports] == [id(d) for d in again.imports]
    assert first.registry.parent is again.registry.parent or first.registry is again.registry
    base = tmp_path / "imports" / "base_types.yaml"
    base.write_text(base.read_text().replace("in_range: [1, 65535]", "in_range: [1, 80]"))
    os.utime(base, ns=(1, 1))
    changed = proc.load_file(tmp_path / "imports" / "main.yaml")
    report = proc.check(changed)
    assert "constraint-violated" in codes(report.errors)


def test_one_processor_serves_threads() -> None:
    proc = Processor()
    results: list[int] = []

    def work() -> None:
        for _ in range(5):
            plan = proc.plan(proc.load_file(DATA / "valid_webapp.yaml"), {"replicas": "2"})
            results.append(len(plan.instances))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [5] * 20  # server x2, data, web, app


def test_network_imports_only_when_allowed_and_then_cached(tmp_path: Path) -> None:
    import http.server

    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(DATA / "mapped" / "types.yaml", served / "types.yaml")
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(served), **kw)

        def log_message(self, *args) -> None:
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/types.yaml"
        text = V13 + f"imports: ['{url}']\n"
        assert "import-unresolved" in codes(load_error(text))
        cache = tmp_path / "cache"
        for _ in range(2):  # a new Processor each time: the second reads the disk cache
            proc = Processor(allow_network=True, cache_dir=cache)
            tpl = proc.load_text(text)
            assert tpl.registry.find("node_types", "mapped.nodes.Thing") is not None
        assert len(hits) == 1 and len(list(cache.glob("*.yaml"))) == 1  # one download
        missing = V13 + f"imports: ['{url[:-10]}nope.yaml']\n"
        issues = load_error(missing, proc=Processor(allow_network=True, cache_dir=cache))
        assert "import-fetch-failed" in codes(issues)
    finally:
        server.shutdown()


def test_one_shot_functions() -> None:
    import cumulo.tosca as tosca

    tpl = tosca.load_file(DATA / "valid_webapp.yaml")
    assert tosca.check(tpl).ok
    assert len(tosca.plan(tpl, {"replicas": 3}).instances_of("server")) == 3
    text = V13 + "imports: ['https://example.org/t/types.yaml']\n"
    mapped = tosca.load_text(text, import_map={"https://example.org/t/": DATA / "mapped"})
    assert mapped.registry.find("node_types", "mapped.nodes.Thing") is not None
