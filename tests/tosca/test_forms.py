"""The form schema: widgets, choices, bounds, units, entry schemas, tabs and overlays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from corpus import CORPUS_DIR, available, import_map, templates

from cumulo.errors import ToscaError
from cumulo.tosca.forms import WIDGETS, form_schema
from cumulo.tosca.processor import Processor

CATALOGUE = Path(__file__).resolve().parents[2] / "src" / "cumulo" / "catalogue" / "templates"

TEMPLATE = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
metadata:
  display_name: Everything
description: A template with every kind of input.
topology_template:
  inputs:
    enable_gpu: {type: boolean, default: false}
    admin_password: {type: string, description: The admin's password}
    contact_email: {type: string, required: false}
    server_hostname: {type: string}
    notes: {type: string}
    compose_file_content: {type: string}
    replicas:
      type: integer
      default: 2
      constraints: [{in_range: [1, 10]}]
    workers:
      type: integer
      constraints: [{greater_than: 0}, {less_than: 100}]
    ratio:
      type: float
      constraints: [{greater_than: 0.0}, {less_or_equal: 1}]
    flavor:
      type: string
      default: small
      constraints: [{valid_values: [small, medium, large]}]
    disk:
      type: scalar-unit.size
      default: 20 GiB
      constraints: [{in_range: [10 GiB, 1 TiB]}]
    timeout: {type: scalar-unit.time, default: 5 m}
    start: {type: timestamp, required: false}
    username:
      type: string
      constraints: [{pattern: "[a-z][a-z0-9]*"}, {min_length: 2}, {max_length: 16}]
    packages: {type: list, default: [], entry_schema: {type: string}}
    env: {type: map, default: {}, entry_schema: {type: string}}
    env_rows:
      type: list
      default: []
      entry_schema: {type: map, entry_schema: {type: string}}
    port_rules:
      type: list
      default: []
      entry_schema: {type: tosca.datatypes.indigo.network.PortSpec}
    port_map:
      type: map
      required: false
      entry_schema: {type: tosca.datatypes.network.PortSpec}
    users:
      type: list
      required: false
      entry_schema: {type: tosca.datatypes.indigo.User}
    port: {type: tosca.datatypes.network.PortDef, default: 8080}
  node_templates:
    server:
      type: tosca.nodes.indigo.Compute
"""


@pytest.fixture(scope="module")
def processor() -> Processor:
    return Processor()


@pytest.fixture(scope="module")
def form(processor: Processor) -> dict:
    return form_schema(processor.load_text(TEMPLATE, name="everything.yaml"))


def by_name(form: dict) -> dict[str, dict]:
    return {field["name"]: field for field in form["inputs"]}


def test_every_input_once_in_template_order(form: dict) -> None:
    names = [f["name"] for f in form["inputs"]]
    assert names[:3] == ["enable_gpu", "admin_password", "contact_email"]
    assert len(names) == len(set(names)) == 21
    assert all(f["widget"] in WIDGETS for f in form["inputs"])
    json.dumps(form)  # plain JSON all the way down


def test_widgets_by_type_and_name(form: dict) -> None:
    widgets = {name: f["widget"] for name, f in by_name(form).items()}
    assert widgets == {
        "enable_gpu": "boolean",
        "admin_password": "password",
        "contact_email": "email",
        "server_hostname": "hostname",
        "notes": "text",
        "compose_file_content": "textarea",
        "replicas": "integer",
        "workers": "integer",
        "ratio": "float",
        "flavor": "select",
        "disk": "size",
        "timeout": "text",
        "start": "text",
        "username": "text",
        "packages": "list",
        "env": "key_value",
        "env_rows": "list_of_maps",
        "port_rules": "ports",
        "port_map": "ports",
        "users": "list_of_maps",
        "port": "integer",
    }


def test_labels_descriptions_defaults_required(form: dict) -> None:
    fields = by_name(form)
    assert fields["admin_password"]["label"] == "Admin password"
    assert fields["admin_password"]["description"] == "The admin's password"
    assert fields["admin_password"]["required"] is True
    assert "default" not in fields["admin_password"]
    assert fields["contact_email"]["required"] is False
    assert fields["replicas"]["default"] == 2
    assert fields["enable_gpu"]["default"] is False
    assert fields["flavor"]["updatable"] is False
    assert form["template"] == {
        "display_name": "Everything",
        "description": "A template with every kind of input.",
        "icon": None,
    }


def test_choices_from_valid_values(form: dict) -> None:
    assert by_name(form)["flavor"]["choices"] == [
        {"value": "small", "label": "small"},
        {"value": "medium", "label": "medium"},
        {"value": "large", "label": "large"},
    ]


def test_bounds_from_range_and_comparisons(form: dict) -> None:
    fields = by_name(form)
    assert (fields["replicas"]["min"], fields["replicas"]["max"]) == (1, 10)
    # integer strict bounds become inclusive ones
    assert (fields["workers"]["min"], fields["workers"]["max"]) == (1, 99)
    assert fields["ratio"]["min"] == 0.0 and fields["ratio"]["min_exclusive"] is True
    assert fields["ratio"]["max"] == 1 and "max_exclusive" not in fields["ratio"]
    # the bounds of the data type itself (PortDef: in_range [1, 65535])
    assert (fields["port"]["min"], fields["port"]["max"]) == (1, 65535)
    username = fields["username"]
    assert (username["pattern"], username["min_length"], username["max_length"]) == (
        "[a-z][a-z0-9]*",
        2,
        16,
    )


def test_sizes_get_a_unit_and_numeric_bounds_in_it(form: dict) -> None:
    disk = by_name(form)["disk"]
    assert disk["unit"] == "GiB"
    assert disk["default"] == "20 GiB"
    assert (disk["min"], disk["max"]) == (10, 1024)
    assert by_name(form)["timeout"]["unit"] == "m"


def test_entry_schemas(form: dict) -> None:
    fields = by_name(form)
    assert fields["packages"]["entry_schema"] == {"type": "string", "widget": "text"}
    assert fields["env"]["entry_schema"]["type"] == "string"
    rows = fields["env_rows"]["entry_schema"]
    assert rows["widget"] == "key_value" and rows["entry_schema"]["type"] == "string"
    rules = fields["port_rules"]["entry_schema"]
    assert rules["widget"] == "ports"
    columns = {f["name"]: f for f in rules["fields"]}
    assert set(columns) >= {"protocol", "source", "source_range", "target", "remote_cidr"}
    assert [c["value"] for c in columns["protocol"]["choices"]] == ["udp", "tcp", "icmp"]
    assert columns["protocol"]["default"] == "tcp"
    assert (columns["source"]["min"], columns["source"]["max"]) == (1, 65535)
    users = {f["name"]: f for f in fields["users"]["entry_schema"]["fields"]}
    assert users["os_user_add_to_sudoers"]["widget"] == "boolean"
    assert users["os_user_ssh_public_key"]["widget"] == "ssh_key"


def test_all_in_the_default_tab_without_overlay(form: dict) -> None:
    assert form["tabs"] == ["Configuration"]
    assert {f["tab"] for f in form["inputs"]} == {"Configuration"}
    assert form["warnings"] == []


def test_catalogue_vm_with_its_overlay(processor: Processor) -> None:
    template = processor.load_file(CATALOGUE / "vm.yaml")
    overlay = yaml.safe_load((CATALOGUE / "vm.meta.yaml").read_text())
    form = form_schema(template, overlay)
    fields = by_name(form)
    assert form["tabs"] == ["Configuration", "Ports", "Operating system"]
    assert fields["ssh_public_key"]["widget"] == "ssh_key"
    assert fields["ssh_public_key"]["label"] == "SSH public key"
    assert fields["num_cpus"]["widget"] == "select"
    assert [c["value"] for c in fields["num_cpus"]["choices"]] == [1, 2, 4]
    assert fields["mem_size"]["unit"] == "GB"
    assert (fields["mem_size"]["min"], fields["mem_size"]["max"]) == (0.512, 8)
    # the overlay's {value, label} constraints become the choices
    assert fields["os_distribution"]["choices"] == [{"value": "debian", "label": "Debian"}]
    assert fields["os_distribution"]["tab"] == "Operating system"
    assert form["template"]["display_name"] == "Virtual machine"


def test_catalogue_run_docker_with_its_overlay(processor: Processor) -> None:
    template = processor.load_file(CATALOGUE / "run-docker.yaml")
    overlay = yaml.safe_load((CATALOGUE / "run-docker.meta.yaml").read_text())
    fields = by_name(form_schema(template, overlay))
    assert fields["docker_ports"]["widget"] == "list"
    # docker run -p syntax (8080:80, 80, 127.0.0.1:8080:80): strings with a pattern
    assert fields["docker_ports"]["entry_schema"]["type"] == "string"
    assert fields["docker_ports"]["entry_schema"]["pattern"]
    assert fields["environment_variables"]["widget"] == "key_value"
    assert fields["docker_image"]["placeholder"] == "cumulo/httpd"
    assert fields["mem_size"]["unit"] == "MB"
    assert fields["num_cpus"]["min"] == 0 and fields["num_cpus"]["min_exclusive"] is True
    assert fields["num_cpus"]["tab"] == "Resources"


def test_overlay_overrides_and_group_overrides(processor: Processor) -> None:
    template = processor.load_text(TEMPLATE, name="everything.yaml")
    overlay = {
        "tabs": ["Main", "Advanced"],
        "inputs": {
            "notes": {"type": "textarea", "tab": "Advanced", "updatable": True},
            "admin_password": {"type": "random_password", "required": False},
            "flavor": {
                "display_name": "Size",
                "group_overrides": {
                    "gpu-team": {
                        "constraints": [{"value": "gpu", "label": "GPU node"}],
                        "default": "gpu",
                    }
                },
            },
            "replicas": {"type": "hidden"},
            "timeout": {"type": "slider"},
            "no_such_input": {"tab": "Main"},
        },
    }
    plain = by_name(form_schema(template, overlay))
    assert plain["notes"]["widget"] == "textarea" and plain["notes"]["updatable"] is True
    assert plain["notes"]["tab"] == "Advanced" and plain["enable_gpu"]["tab"] == "Main"
    assert plain["admin_password"]["widget"] == "random_password"
    assert plain["admin_password"]["required"] is False
    assert plain["replicas"]["widget"] == "hidden"
    assert plain["flavor"]["label"] == "Size" and plain["flavor"]["default"] == "small"
    team = by_name(form_schema(template, overlay, group="gpu-team"))
    assert team["flavor"]["choices"] == [{"value": "gpu", "label": "GPU node"}]
    assert team["flavor"]["default"] == "gpu"
    warnings = form_schema(template, overlay)["warnings"]
    assert any('unknown widget "slider"' in w for w in warnings)
    assert any('"no_such_input" is not an input' in w for w in warnings)
    assert plain["timeout"]["widget"] == "text"  # chosen by type despite the bad widget


class RawTemplate:
    """A template as only its raw inputs: form_schema needs no more."""

    def __init__(self, inputs: object) -> None:
        self.inputs = inputs


def test_malformed_definitions_are_skipped_with_warnings() -> None:
    form = form_schema(
        RawTemplate(
            {
                "good": {
                    "type": "integer",
                    "constraints": [{"in_range": [5, 1]}, {"less_than": 9}],
                },
                "bad": "not a map",
                "odd": {"type": "no.such.Type", "default": {"a": [1]}},
            }
        ),
        {"inputs": {"good": "not a map"}, "tabs": "nonsense"},
    )
    fields = by_name(form)
    assert set(fields) == {"good", "odd"}
    assert fields["good"]["max"] == 8 and "min" not in fields["good"]
    assert fields["odd"]["widget"] == "text" and fields["odd"]["default"] == {"a": [1]}
    assert any('"bad"' in w for w in form["warnings"])
    assert any("lower bound above" in w for w in form["warnings"])
    assert any('overlay for input "good"' in w for w in form["warnings"])
    assert form["tabs"] == ["Configuration"]
    assert any("overlay tabs must be a list" in w for w in form["warnings"])


@pytest.fixture(scope="module")
def corpus_processor() -> Processor:
    if not available():
        pytest.skip(f"the INDIGO corpus is not at {CORPUS_DIR}")
    return Processor(import_map=import_map())


def test_every_corpus_template_gives_a_json_form(corpus_processor: Processor) -> None:
    forms = 0
    for path in templates():
        try:
            template = corpus_processor.load_file(path)
        except ToscaError:
            continue  # not loadable: the compat doc says why
        form = form_schema(template)
        json.dumps(form)
        assert [f["name"] for f in form["inputs"]] == [str(n) for n in template.inputs], path
        assert all(f["widget"] in WIDGETS for f in form["inputs"]), path
        forms += 1
    assert forms >= 100


def test_corpus_choices_lists_and_yaml_booleans(corpus_processor: Processor) -> None:
    web = corpus_processor.load_file(
        CORPUS_DIR / "tosca-types/examples/indigo_job_output_upload_web.yaml"
    )
    fields = by_name(form_schema(web))
    assert fields["output_protocol"]["widget"] == "select"
    assert fields["output_protocol"]["default"] == "http"
    assert [c["value"] for c in fields["output_protocol"]["choices"]][:3] == [
        "http",
        "https",
        "webdav",
    ]
    assert fields["input_urls"]["widget"] == "list"
    assert fields["input_urls"]["entry_schema"]["type"] == "string"
    assert fields["output_password"]["widget"] == "password"
    # `type: string` with `valid_values: [ false, true ]`: choices keep the YAML values
    mods = corpus_processor.load_file(
        CORPUS_DIR / "tosca-templates/deep-oc/deep-oc-marathon-webdav.yml"
    )
    privileged = by_name(form_schema(mods))["docker_privileged"]
    assert privileged["widget"] == "select"
    assert privileged["choices"] == [
        {"value": False, "label": "false"},
        {"value": True, "label": "true"},
    ]
