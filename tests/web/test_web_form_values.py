"""The wizard's form → parameters conversion, with messages per field."""

from __future__ import annotations

from typing import Any

from cumulo.web.form_values import display_values, merge_tosca_errors, parse_form

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOl3uBNUq0Bz0uG7pGZCjY2s0kCq0p4Vj1g9iYp9A3Zb me@host"


class Form:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def getlist(self, key: str) -> list[Any]:
        v = self.data.get(key, [])
        return v if isinstance(v, list) else [v]


def spec(name: str, widget: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "widget": widget, "required": True, **kw}


def test_scalars_are_converted_and_checked_against_their_bounds():
    fields = [
        spec("n", "integer", min=1, max=4),
        spec("f", "float", min=0, min_exclusive=True),
        spec("mem", "size", unit="GB", min=0.512, max=8),
        spec("os", "select", choices=[{"value": 12, "label": "12"}]),
        spec("on", "boolean", default=False),
    ]
    ok = parse_form(
        Form({"p.n": "2", "p.f": "0.5", "p.mem": "1024", "p.mem.unit": "MB", "p.os": "12"}),
        fields,
    )
    assert ok.errors == {}
    assert ok.parameters == {"n": 2, "f": 0.5, "mem": "1024 MB", "os": 12, "on": False}
    bad = parse_form(
        Form({"p.n": "9", "p.f": "0", "p.mem": "9", "p.mem.unit": "GB", "p.os": "11"}), fields
    )
    assert bad.errors == {
        "n": "Must be at most 4",
        "f": "Must be more than 0",
        "mem": "Must be at most 8 GB",
        "os": "Choose one of the listed values",
    }
    assert parse_form(Form({"p.n": "two"}), fields[:1]).errors == {"n": "Enter a whole number"}


def test_required_without_default_is_demanded_and_optional_empty_is_left_out():
    fields = [spec("image", "text"), spec("tag", "text", default="latest")]
    parsed = parse_form(Form({"p.image": "  ", "p.tag": ""}), fields)
    assert parsed.errors == {"image": "This field is required"}
    assert parsed.parameters == {}


def test_ssh_key_email_and_hostname_are_checked():
    fields = [spec("k", "ssh_key"), spec("m", "email"), spec("h", "hostname")]
    good = parse_form(Form({"p.k": KEY, "p.m": "a@b.org", "p.h": "node-1.example.org"}), fields)
    assert good.errors == {} and good.parameters["k"] == KEY
    bad = parse_form(Form({"p.k": "hello", "p.m": "nope", "p.h": "-x"}), fields)
    assert set(bad.errors) == {"k", "m", "h"}
    assert "SSH public key" in bad.errors["k"]


def test_key_value_rows_become_a_map_and_empty_rows_are_ignored():
    f = [spec("env", "key_value", default={}, entry_schema={"type": "string", "widget": "text"})]
    parsed = parse_form(Form({"p.env.key": ["A", "", "B"], "p.env.value": ["1", "", "x y"]}), f)
    assert parsed.parameters == {"env": {"A": "1", "B": "x y"}}
    dup = parse_form(Form({"p.env.key": ["A", "A"], "p.env.value": ["1", "2"]}), f)
    assert dup.errors == {"env": "The name 'A' is given twice"}
    nameless = parse_form(Form({"p.env.key": [""], "p.env.value": ["1"]}), f)
    assert "has no name" in nameless.errors["env"]


def test_port_rules_become_port_specs():
    f = [spec("ports", "ports", type="map", default={})]
    form = Form(
        {
            "p.ports.protocol": ["tcp", "udp"],
            "p.ports.port": ["8080", "9000-9010"],
            "p.ports.remote_cidr": ["", "192.0.2.0/24"],
        }
    )
    assert parse_form(form, f).parameters == {
        "ports": {
            "port_8080": {"protocol": "tcp", "source": 8080},
            "port_9000": {
                "protocol": "udp",
                "source_range": [9000, 9010],
                "remote_cidr": "192.0.2.0/24",
            },
        }
    }
    bad = Form({"p.ports.protocol": ["tcp"], "p.ports.port": ["70000"]})
    assert "between 1 and 65535" in parse_form(bad, f).errors["ports"]


def test_lists_of_integers_and_lists_of_maps():
    f = [
        spec("ports", "list", default=[], entry_schema={"widget": "integer", "min": 1}),
        spec("users", "list_of_maps", default=[], entry_schema={"entry_schema": {}}),
    ]
    parsed = parse_form(
        Form({"p.ports": ["80", "", "443"], "p.users.key": ["u"], "p.users.value": ["v"]}), f
    )
    assert parsed.parameters == {"ports": [80, 443], "users": [{"u": "v"}]}
    assert parse_form(Form({"p.ports": ["0"]}), f[:1]).errors == {
        "ports": "ports[0]: Must be at least 1"
    }


def test_display_values_show_defaults_then_what_was_typed():
    fields = [
        spec("mem", "size", unit="GB", default="1 GB"),
        spec("env", "key_value", default={"A": "1"}),
        spec("ports", "ports", default={"ssh": {"protocol": "tcp", "source": 22}}),
        spec("on", "boolean", default=True),
    ]
    shown = display_values(fields)
    assert shown["mem"] == {"number": "1", "unit": "GB"}
    assert shown["env"] == [{"key": "A", "value": "1"}]
    assert shown["ports"] == [{"protocol": "tcp", "port": "22", "remote_cidr": ""}]
    assert shown["on"] == "true"
    again = display_values(fields, {"p.mem": ["2"], "p.mem.unit": ["MB"], "p.env.key": ["B"]})
    assert again["mem"] == {"number": "2", "unit": "MB"}
    assert again["env"] == [{"key": "B", "value": ""}]
    assert again["on"] == ""


def test_processor_issues_are_put_next_to_their_input():
    class Issue:
        def __init__(self, path: str, message: str, is_error: bool = True) -> None:
            self.path, self.message, self.is_error = path, message, is_error

    by_field, general = merge_tosca_errors(
        [
            Issue("inputs.n", "input n: 3 must be one of: 1, 2"),
            Issue("topology_template.x", "something else"),
            Issue("inputs.n", "a warning", is_error=False),
        ],
        [spec("n", "integer")],
    )
    assert by_field == {"n": "3 must be one of: 1, 2"} and general == ["something else"]


def test_key_value_rows_are_sent_in_the_shape_the_template_declares():
    """A map input gets a map; a list input (INDIGO's compose variables) a list of one-entry
    maps, which the template would refuse as a map."""
    form = Form(
        {
            "p.as_map.key": ["A", "B"],
            "p.as_map.value": ["1", "2"],
            "p.as_list.key": ["A", "B", "C"],
            "p.as_list.value": ["1", "2", "x=y"],
        }
    )
    fields = [
        spec("as_map", "key_value", type="map", entry_schema={"widget": "text"}),
        spec(
            "as_list",
            "key_value",
            type="list",
            entry_schema={"type": "map", "widget": "key_value", "entry_schema": {"widget": "text"}},
        ),
    ]
    parsed = parse_form(form, fields)
    assert parsed.errors == {}
    assert parsed.parameters == {
        "as_map": {"A": "1", "B": "2"},
        "as_list": [{"A": "1"}, {"B": "2"}, {"C": "x=y"}],
    }
