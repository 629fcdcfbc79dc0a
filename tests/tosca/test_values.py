"""check_value: primitives, collections, data types, functions, strict and lenient modes."""

from __future__ import annotations

import datetime as dt

import pytest

from cumulo.tosca.constraints import parse_constraint
from cumulo.tosca.values import (
    MISSING,
    DataTypeInfo,
    Problem,
    Schema,
    check_value,
    is_function,
)

USER = DataTypeInfo(
    "tosca.datatypes.indigo.User",
    None,
    {
        "os_user_name": Schema("string"),
        "os_user_add_to_sudoers": Schema("boolean", required=False, default=False),
        "os_user_ssh_public_key": Schema("string", required=False),
    },
    [],
)
PORT = DataTypeInfo(
    "tosca.datatypes.network.PortDef",
    "integer",
    {},
    [parse_constraint({"in_range": [1, 65535]}, "integer")],
)
PORT_SPEC = DataTypeInfo(
    "tosca.datatypes.network.PortSpec",
    None,
    {
        "protocol": Schema(
            "string",
            required=False,
            default="tcp",
            constraints=[parse_constraint({"valid_values": ["udp", "tcp", "igmp"]}, "string")],
        ),
        "source": Schema("tosca.datatypes.network.PortDef", required=False),
        "target": Schema("tosca.datatypes.network.PortDef", required=False),
    },
    [],
)
NESTED = DataTypeInfo(
    "example.Outer", None, {"users": Schema("list", entry_schema=Schema(USER.name))}, []
)


class Registry:
    types = {t.name: t for t in (USER, PORT, PORT_SPEC, NESTED)}

    def data_type(self, name: str) -> DataTypeInfo | None:
        return self.types.get(name)


LOOKUP = Registry()


def run(value: object, schema: Schema | str, lenient: bool = False):
    if isinstance(schema, str):
        schema = Schema(schema)
    return check_value(value, schema, LOOKUP, lenient=lenient)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.is_warning]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_warning]


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ("text", "string"),
        ("", "string"),
        (3, "integer"),
        (-7, "integer"),
        (2.5, "float"),
        (1, "float"),  # a YAML integer is a valid float (tosca-parser wrongly says no)
        (True, "boolean"),
        (False, "boolean"),
        ("2024-05-01T12:00:00Z", "timestamp"),
        ("2001-12-14 21:59:43.10 -5", "timestamp"),
        ("2002-12-14", "timestamp"),
        (dt.date(2020, 1, 1), "timestamp"),
        (dt.datetime(2020, 1, 1, 10, 0), "timestamp"),
        ("1.0", "version"),
        ("2.1.3", "version"),
        ("2.1.3.beta-4", "version"),
        (16.04, "version"),
        ([1, 5], "range"),
        ([0, "UNBOUNDED"], "range"),
        (["a", 1], "list"),
        ({"a": 1}, "map"),
        ("4 GB", "scalar-unit.size"),
        ("10 m", "scalar-unit.time"),
        ("2 GHz", "scalar-unit.frequency"),
        ("10 Mbps", "scalar-unit.bitrate"),
        ({"anything": [1]}, "any"),
    ],
)
def test_valid_values_have_no_problem(value: object, type_name: str) -> None:
    result, problems = run(value, type_name)
    assert problems == []
    assert result == value


@pytest.mark.parametrize(
    ("value", "type_name", "fragment"),
    [
        ([1], "string", "a list is not a string"),
        ({"a": 1}, "string", "a map is not a string"),
        (True, "integer", "true is not an integer"),
        ("four", "integer", '"four" is not an integer'),
        (2.5, "integer", "2.5 is not an integer"),
        (True, "float", "true is not a float"),
        ("x", "float", '"x" is not a float'),
        ("yes", "boolean", '"yes" is not a boolean'),
        (1, "boolean", "1 is not a boolean"),
        ("2024-13-01", "timestamp", "not a valid timestamp"),
        ("tomorrow", "timestamp", "is not a timestamp"),
        ("1.2.3.4.5", "version", "is not a version"),
        ("1.x", "version", "is not a version"),
        ([5, 1], "range", "lower bound above"),
        ([1], "range", "is not a range"),
        ("1", "list", "is not a list"),
        ([1], "map", "is not a map"),
        ("4", "scalar-unit.size", "write a number and a unit"),
        (4096, "scalar-unit.size", "write a number and a unit"),
        ("4 parsecs", "scalar-unit.size", 'unknown unit "parsecs"'),
        ("10 GB", "scalar-unit.time", 'unknown unit "GB"'),
    ],
)
def test_type_mismatches_are_reported(value: object, type_name: str, fragment: str) -> None:
    result, problems = run(value, type_name)
    assert [p.code for p in problems] == ["type-mismatch"]
    assert fragment in problems[0].message
    assert problems[0].path == ()
    assert result == value


def test_strict_mode_accepts_unambiguous_yaml_scalars_with_a_warning() -> None:
    # deep-oc-mods_mesos-gpu.yml: `type: string`, `default: true`.
    value, problems = run(True, "string")
    assert value == "true"
    assert [p.code for p in problems] == ["type-coerced"]
    assert problems[0].is_warning
    for raw, type_name, expected in [
        (8080, "string", "8080"),
        (16.04, "string", "16.04"),
        ("8", "integer", 8),
        (4.0, "integer", 4),
        ("2.5", "float", 2.5),
        ("True", "boolean", True),
        ("false", "boolean", False),
        (dt.date(2024, 5, 1), "string", "2024-05-01"),
    ]:
        value, problems = run(raw, type_name)
        assert value == expected and type(value) is type(expected)
        assert [p.code for p in problems] == ["type-coerced"], (raw, type_name)


def test_bare_major_version_is_accepted_silently() -> None:
    # catalogue vm.yaml: `version: 12` (Debian 12); tosca-parser reads it too
    value, problems = run(12, "version")
    assert (value, problems) == (12, [])
    _, problems = run("12.x", "version")
    assert [p.code for p in problems] == ["type-mismatch"]


def test_lenient_mode_coerces_form_values_silently() -> None:
    cases = [
        ("4", "integer", 4),
        (" 12 ", "integer", 12),
        ("2.5", "float", 2.5),
        ("true", "boolean", True),
        ("on", "boolean", True),
        ("No", "boolean", False),
        (8080, "string", "8080"),
        ("4 GB", "scalar-unit.size", "4 GB"),
        ('["a", "b"]', "list", ["a", "b"]),
        ('{"A": "1"}', "map", {"A": "1"}),
        (16.04, "version", "16.04"),
    ]
    for raw, type_name, expected in cases:
        value, problems = run(raw, type_name, lenient=True)
        assert problems == [], (raw, type_name, problems)
        assert value == expected


def test_lenient_mode_still_rejects_nonsense() -> None:
    for raw, type_name in [("four", "integer"), ("maybe", "boolean"), ("[1,", "list")]:
        _, problems = run(raw, type_name, lenient=True)
        assert [p.code for p in problems] == ["type-mismatch"]


def test_unit_written_in_wrong_case_is_a_warning() -> None:
    value, problems = run("8 GIB", "scalar-unit.size")
    assert value == "8 GIB"  # scalar-units stay as written
    assert [(p.code, p.is_warning) for p in problems] == [("unit-case", True)]
    assert '"GiB"' in problems[0].message


def test_constraints_checked_after_type() -> None:
    schema = Schema(
        "scalar-unit.size",
        constraints=[parse_constraint({"greater_or_equal": "1 GB"}, "scalar-unit.size")],
    )
    assert run("512 MB", schema)[1][0].code == "constraint-violated"
    assert run("2 GiB", schema)[1] == []
    # the wrong type is reported once, the constraint not evaluated on it
    assert [p.code for p in run("big", schema)[1]] == ["type-mismatch"]


def test_lenient_coercion_then_constraint() -> None:
    schema = Schema("integer", constraints=[parse_constraint({"in_range": [1, 8]}, "integer")])
    assert run("4", schema, lenient=True) == (4, [])
    value, problems = run("16", schema, lenient=True)
    assert value == 16 and problems[0].code == "constraint-violated"
    assert problems[0].message == "16 must be in the range [1, 8]"


def test_list_entries_checked_with_paths() -> None:
    schema = Schema("list", entry_schema=Schema("integer"))
    value, problems = run([1, "x", 3, None], schema)
    assert [(p.path, p.code) for p in problems] == [
        ((1,), "type-mismatch"),
        ((3,), "type-mismatch"),
    ]
    assert value == [1, "x", 3, None]


def test_map_keys_and_entries_checked() -> None:
    schema = Schema("map", entry_schema=Schema("string"), key_schema=Schema("string"))
    _, problems = run({"A": "1", "B": ["x"]}, schema)
    assert [(p.path, p.code) for p in problems] == [(("B",), "type-mismatch")]
    schema = Schema(
        "map",
        entry_schema=Schema("string"),
        key_schema=Schema(
            "string", constraints=[parse_constraint({"pattern": "[A-Z_]+"}, "string")]
        ),
    )
    _, problems = run({"GOOD": "1", "bad-key": "2"}, schema)
    assert [(p.path, p.code) for p in problems] == [(("bad-key",), "constraint-violated")]


def test_complex_data_type_required_defaults_unknown() -> None:
    users = Schema("list", entry_schema=Schema(USER.name))
    value, problems = run([{"os_user_name": "ana"}, {"os_user_nam": "bob"}], users)
    assert value[0] == {"os_user_name": "ana", "os_user_add_to_sudoers": False}
    assert [(p.path, p.code) for p in problems] == [
        ((1, "os_user_nam"), "unknown-property"),
        ((1, "os_user_name"), "missing-property"),
    ]
    assert 'did you mean "os_user_name"' in problems[0].message


def test_nested_data_types_report_deep_paths() -> None:
    value = {"users": [{"os_user_name": "a"}, {"os_user_name": "b", "os_user_add_to_sudoers": "x"}]}
    _, problems = run(value, Schema(NESTED.name))
    assert [(p.path, p.code) for p in problems] == [
        (("users", 1, "os_user_add_to_sudoers"), "type-mismatch")
    ]


def test_data_type_derived_from_primitive_uses_its_constraints() -> None:
    assert run(443, PORT.name) == (443, [])
    _, problems = run(70000, PORT.name)
    assert [p.code for p in problems] == ["constraint-violated"]
    specs = Schema("list", entry_schema=Schema(PORT_SPEC.name))
    value, problems = run([{"source": 80}, {"protocol": "sctp", "target": 0}], specs)
    assert value[0] == {"source": 80, "protocol": "tcp"}
    assert sorted((p.path, p.code) for p in problems) == [
        ((1, "protocol"), "constraint-violated"),
        ((1, "target"), "constraint-violated"),
    ]


def test_complex_type_needs_a_map() -> None:
    _, problems = run("ana", USER.name)
    assert problems[0].code == "type-mismatch" and "expected a map" in problems[0].message
    value, problems = run('{"os_user_name": "ana"}', USER.name, lenient=True)
    assert problems == [] and value["os_user_name"] == "ana"


def test_unknown_type_reported_once() -> None:
    schema = Schema("list", entry_schema=Schema("no.such.Type"))
    _, problems = run([1, 2, 3], schema)
    assert [(p.path, p.code) for p in problems] == [((0,), "unknown-type")]
    assert '"no.such.Type"' in problems[0].message


def test_functions_deferred_anywhere() -> None:
    assert run({"get_input": "x"}, "integer") == ({"get_input": "x"}, [])
    schema = Schema("list", entry_schema=Schema(USER.name))
    value = [{"os_user_name": {"get_input": "user"}}, {"concat": ["a", "b"]}]
    _, problems = run(value, schema)
    assert problems == []
    constrained = Schema("integer", constraints=[parse_constraint({"less_than": 3}, "integer")])
    assert run({"get_attribute": ["n", "count"]}, constrained)[1] == []


def test_is_function() -> None:
    assert is_function({"get_input": "a"})
    assert is_function({"concat": ["a", {"get_input": "b"}]})
    assert is_function({"get_nodes_of_type": "x"})
    assert not is_function({"get_input": "a", "other": 1})
    assert not is_function({"get_inputs": "a"})
    assert not is_function("get_input")
    assert not is_function([{"get_input": "a"}])


def test_null_value() -> None:
    assert run(None, Schema("string", required=False)) == (None, [])
    assert run(None, "string")[1][0].code == "type-mismatch"


def test_deep_nesting_is_bounded() -> None:
    value: object = 1
    schema = Schema("integer")
    for _ in range(200):
        value, schema = [value], Schema("list", entry_schema=schema)
    _, problems = run(value, schema)
    assert [p.code for p in problems] == ["too-deep"]


def test_missing_sentinel() -> None:
    assert Schema("string").default is MISSING
    assert not MISSING
    assert repr(MISSING) == "MISSING"
    assert Schema("string", default=None).default is None
