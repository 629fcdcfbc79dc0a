"""Each widget of the form schema renders its own control, and one's values come back."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from cumulo.tosca import Processor
from cumulo.tosca.forms import WIDGETS, form_schema
from cumulo.web.form_values import TABLE_WIDGETS, display_values, parse_form, table_columns
from cumulo.web.render import TEMPLATES

TEMPLATE = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
topology_template:
  inputs:
    name: {type: string, default: demo}
    notes: {type: string, default: ""}
    count: {type: integer, default: 2, constraints: [{in_range: [1, 5]}]}
    ratio: {type: float, default: 0.5}
    enabled: {type: boolean, default: true}
    flavor: {type: string, default: small, constraints: [{valid_values: [small, large]}]}
    disk: {type: scalar-unit.size, default: 10 GB, constraints: [{in_range: [1 GB, 100 GB]}]}
    admin_password: {type: string, default: ""}
    token: {type: string, default: ""}
    contact_email: {type: string, default: "a@b.org"}
    hostname: {type: string, default: "node"}
    tags: {type: list, entry_schema: {type: string}, default: [a, b]}
    labels: {type: map, entry_schema: {type: string}, default: {k: v}}
    users: {type: list, entry_schema: {type: map, entry_schema: {type: string}}, default: []}
    env: {type: map, entry_schema: {type: string}, default: {}}
    ports:
      type: map
      entry_schema: {type: tosca.datatypes.indigo.network.PortSpec}
      default: {http: {protocol: tcp, source: 80}}
    ssh_public_key: {type: string, default: ""}
    internal: {type: string, default: "x"}
"""
OVERLAY = {
    "inputs": {
        "notes": {"type": "textarea"},
        "token": {"type": "random_password"},
        "env": {"type": "key_value"},
        "labels": {"type": "map"},
        "internal": {"type": "hidden"},
    }
}


@pytest.fixture(scope="module")
def fields() -> list[dict[str, Any]]:
    proc = Processor()
    return form_schema(proc.load_text(TEMPLATE), OVERLAY)["inputs"]


def render(fields: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, str]:
    macro = TEMPLATES.env.get_template("_widgets.html").module.field  # type: ignore[attr-defined]
    cols = {f["name"]: table_columns(f) for f in fields if f["widget"] in TABLE_WIDGETS}
    return {f["name"]: str(macro(f, values, None, cols.get(f["name"]), [])) for f in fields}


def test_every_widget_is_exercised(fields):
    assert {f["widget"] for f in fields} == WIDGETS


def test_each_widget_renders_its_control(fields):
    html = render(fields, display_values(fields))
    assert 'type="text"' in html["name"] and 'value="demo"' in html["name"]
    assert "<textarea" in html["notes"]
    assert 'type="number"' in html["count"] and 'min="1"' in html["count"]
    assert 'step="any"' in html["ratio"]
    assert 'type="checkbox"' in html["enabled"] and "checked" in html["enabled"]
    assert "<select" in html["flavor"] and '<option value="large"' in html["flavor"]
    assert 'data-size-unit="GB"' in html["disk"] and "<option selected>GB</option>" in html["disk"]
    assert 'type="password"' in html["admin_password"]
    assert "data-generate" in html["token"]
    assert 'type="email"' in html["contact_email"]
    assert html["tags"].count('name="p.tags"') == 3  # two rows and the template row
    assert 'name="p.labels.key"' in html["labels"] and 'value="k"' in html["labels"]
    assert "Add rule" in html["ports"] and 'value="80"' in html["ports"]
    assert 'name="p.users.key"' in html["users"]
    assert "data-pattern" in html["ssh_public_key"]
    assert html["internal"].strip() == '<input type="hidden" name="p.internal" value="x">'


def test_the_rendered_defaults_come_back_as_the_same_values(fields):
    """What the form shows, submitted unchanged, gives the template's defaults back."""
    import re

    html = "".join(render(fields, display_values(fields)).values())
    html = re.sub(r"<template>.*?</template>", "", html, flags=re.S)
    pairs: list[tuple[str, str]] = []
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        pairs.append((name.group(1), value.group(1) if value else ""))
    for sel in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, flags=re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', sel[1]) or re.search(
            r"<option selected>([^<]*)<", sel[1]
        )
        pairs = [(k, v) for k, v in pairs if k != sel[0]]
        if chosen:
            pairs.append((sel[0], chosen.group(1)))
    parsed = parse_form(FormData(pairs), fields)
    assert parsed.errors == {}
    assert parsed.parameters["count"] == 2 and parsed.parameters["flavor"] == "small"
    assert parsed.parameters["disk"] == "10 GB" and parsed.parameters["enabled"] is True
    assert parsed.parameters["tags"] == ["a", "b"] and parsed.parameters["labels"] == {"k": "v"}
    assert parsed.parameters["ports"] == {"port_80": {"protocol": "tcp", "source": 80}}
