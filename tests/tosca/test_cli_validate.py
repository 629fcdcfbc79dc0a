"""``cumulo validate`` and ``cumulo inputs``: exit codes, compiler-style errors, JSON."""

from __future__ import annotations

import json

from tosca_helpers import DATA
from typer.testing import CliRunner

from cumulo.cli.main import app

runner = CliRunner()


def test_valid_template_prints_a_summary() -> None:
    result = runner.invoke(app, ["validate", str(DATA / "valid_webapp.yaml"), "-p", "replicas=2"])
    assert result.exit_code == 0, result.output
    assert "server: tosca.nodes.Compute x2" in result.output
    assert "order: data -> server -> web -> app" in result.output
    assert "valid" in result.output


def test_invalid_template_shows_the_line_and_a_caret() -> None:
    result = runner.invoke(app, ["validate", str(DATA / "invalid_webapp.yaml")])
    assert result.exit_code == 1
    out = result.output
    assert "invalid_webapp.yaml:12:9: error:" in out
    assert "     12 |         component_verison: 1.0" in out
    assert "        |         ^" in out
    assert "hint: did you mean 'component_version'?" in out


def test_json_output() -> None:
    result = runner.invoke(app, ["validate", str(DATA / "invalid_webapp.yaml"), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["valid"] is False
    first = data["errors"][0]
    assert {"code", "message", "file", "line", "column", "path", "hint"} <= set(first)
    ok = runner.invoke(app, ["validate", str(DATA / "valid_webapp.yaml"), "--json"])
    assert json.loads(ok.output)["summary"]["instances"] == 4


def test_bad_parameters_and_usage_errors() -> None:
    bad_value = runner.invoke(app, ["validate", str(DATA / "valid_webapp.yaml"), "-p", "cpus=3"])
    assert bad_value.exit_code == 1 and "inputs.cpus" in bad_value.output
    assert (
        runner.invoke(app, ["validate", str(DATA / "valid_webapp.yaml"), "-p", "x"]).exit_code == 2
    )
    assert runner.invoke(app, ["validate", str(DATA / "nope.yaml")]).exit_code == 2
    bad_map = runner.invoke(app, ["validate", str(DATA / "valid_webapp.yaml"), "--import-map", "x"])
    assert bad_map.exit_code == 2


def test_params_file_and_import_map(tmp_path) -> None:
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"replicas": 3}))
    result = runner.invoke(
        app, ["validate", str(DATA / "valid_webapp.yaml"), "--params", str(params)]
    )
    assert result.exit_code == 0 and "x3" in result.output
    tpl = tmp_path / "t.yaml"
    tpl.write_text(
        "tosca_definitions_version: tosca_simple_yaml_1_0\n"
        "imports: ['https://example.org/t/types.yaml']\n"
        "topology_template:\n  node_templates:\n    t: {type: mapped.nodes.Thing}\n"
    )
    result = runner.invoke(
        app, ["validate", str(tpl), "--import-map", f"https://example.org/t/={DATA / 'mapped'}"]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(tpl)]).exit_code == 1


def test_inputs_prints_the_form_schema() -> None:
    result = runner.invoke(app, ["inputs", str(DATA / "valid_webapp.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in json.loads(result.output)["inputs"]]
    assert names == ["cpus", "mem", "replicas"]


def test_without_parameters_required_inputs_are_listed_not_demanded(tmp_path) -> None:
    tpl = tmp_path / "t.yaml"
    tpl.write_text(
        "tosca_definitions_version: tosca_simple_yaml_1_3\n"
        "topology_template:\n  inputs:\n    key: {type: string}\n"
        "  node_templates:\n    vm: {type: tosca.nodes.Compute}\n"
    )
    preview = runner.invoke(app, ["validate", str(tpl)])
    assert preview.exit_code == 0, preview.output
    assert "required inputs not given (pass -p NAME=VALUE): key" in preview.output
    other = tmp_path / "p.json"
    other.write_text("{}")
    strict = runner.invoke(app, ["validate", str(tpl), "--params", str(other)])
    assert strict.exit_code == 1 and "'key' is required" in strict.output


def test_warnings_about_imported_files_are_counted_unless_verbose(tmp_path) -> None:
    (tmp_path / "lib.yaml").write_text(
        "tosca_definitions_version: tosca_simple_yaml_1_3\ndescription: a\ndescription: b\n"
    )
    tpl = tmp_path / "t.yaml"
    tpl.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\nimports: [lib.yaml]\n")
    quiet = runner.invoke(app, ["validate", str(tpl)])
    assert quiet.exit_code == 0 and "1 warning(s) in imported files (-v shows them)" in quiet.output
    loud = runner.invoke(app, ["validate", str(tpl), "-v"])
    assert "lib.yaml:3:1: warning: duplicate key 'description'" in loud.output


def _repository(tmp_path):
    """A repository of templates: types beside templates, imported through ``..``."""
    (tmp_path / "types" / "common").mkdir(parents=True)
    (tmp_path / "templates").mkdir()
    v13 = "tosca_definitions_version: tosca_simple_yaml_1_3\n"
    (tmp_path / "types" / "common" / "base.yaml").write_text(
        v13 + "node_types:\n  r.Base:\n    derived_from: tosca.nodes.Root\n"
    )
    # nested: relative to the importing file, not to the template
    (tmp_path / "types" / "x.yaml").write_text(
        v13 + "imports: [common/base.yaml]\nnode_types:\n  r.X:\n    derived_from: r.Base\n"
    )
    template = tmp_path / "templates" / "t.yaml"
    template.write_text(
        v13 + "imports: [../types/x.yaml]\n"
        "topology_template:\n  node_templates:\n    x: {type: r.X}\n"
    )
    return template


def test_parent_folder_imports_need_a_root_on_the_command_line(tmp_path) -> None:
    template = _repository(tmp_path)
    confined = runner.invoke(app, ["validate", str(template)])
    assert confined.exit_code == 1 and "--root DIR" in confined.output
    result = runner.invoke(app, ["validate", "--root", str(tmp_path), str(template)])
    assert result.exit_code == 0, result.output
    (tmp_path / ".git").mkdir()  # a checkout: its top is the default root
    assert runner.invoke(app, ["validate", str(template)]).exit_code == 0


def test_fast_start_words_load_only_what_they_need() -> None:
    import subprocess
    import sys

    from cumulo.cli import main

    probe = (
        "import sys; sys.argv = ['cumulo', WORD]; import cumulo.cli.main as m; "
        "names = [c.name or c.callback.__name__ for c in m.app.registered_commands]; "
        "names += [g.name for g in m.app.registered_groups]; "
        "print(sorted(names), 'httpx' in sys.modules, 'cumulo.config' in sys.modules)"
    )
    for word in main.FAST_PATHS:
        out = subprocess.run(
            [sys.executable, "-c", probe.replace("WORD", repr(word))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out[-2:] == ["False", "False"], (word, out)  # neither the client nor settings
        assert word in " ".join(out[:-2]), (word, out)  # the word is a command it registers
    assert main.modules_for(["cumulo", "deploy"]) == ("cumulo.cli.client_commands",)
    assert main.modules_for(["cumulo", "doctor"]) == main.COMMAND_MODULES
    assert main.modules_for(["pytest", "version"]) == main.COMMAND_MODULES
