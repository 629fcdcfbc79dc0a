"""Constraint clauses: parsing (bad clauses rejected with a reason) and checking."""

from __future__ import annotations

import datetime as dt

import pytest

from cumulo.tosca.constraints import OPERATORS, Constraint, parse_constraint
from cumulo.tosca.primitives import describe


def check(raw: dict, type_name: str, value: object) -> str | None:
    return parse_constraint(raw, type_name).check(value)


@pytest.mark.parametrize(
    ("raw", "type_name", "good", "bad"),
    [
        ({"equal": 3}, "integer", 3, 4),
        ({"equal": "a"}, "string", "a", "b"),
        ({"greater_than": 1}, "integer", 2, 1),
        ({"greater_or_equal": 1}, "integer", 1, 0),
        ({"less_than": 10}, "integer", 9, 10),
        ({"less_or_equal": 10}, "integer", 10, 11),
        ({"greater_or_equal": 0.0}, "float", 0, -0.5),
        ({"in_range": [1, 5]}, "integer", 5, 6),
        ({"in_range": [1, 5]}, "integer", 1, 0),
        ({"in_range": [1, "UNBOUNDED"]}, "integer", 10**9, 0),
        ({"valid_values": ["tcp", "udp"]}, "string", "udp", "icmp"),
        ({"valid_values": [1, 2, 4]}, "integer", 4, 3),
        ({"length": 3}, "string", "abc", "ab"),
        ({"min_length": 2}, "string", "ab", "a"),
        ({"max_length": 2}, "list", [1, 2], [1, 2, 3]),
        ({"min_length": 1}, "map", {"a": 1}, {}),
        ({"pattern": "[a-z]+"}, "string", "abc", "abc1"),
        ({"greater_or_equal": "2 GB"}, "scalar-unit.size", "2000 MB", "1 GiB"),
        ({"less_than": "1 GiB"}, "scalar-unit.size", "1 GB", "1024 MiB"),
        ({"in_range": ["1 s", "1 m"]}, "scalar-unit.time", "59 s", "2 m"),
        ({"greater_than": "1 GHz"}, "scalar-unit.frequency", "1001 MHz", "1000 MHz"),
        ({"less_or_equal": "1 Gbps"}, "scalar-unit.bitrate", "125 MBps", "126 MBps"),
        ({"greater_than": "1.9"}, "version", "1.10", "1.8.5"),
        ({"equal": "2.0"}, "version", 2.0, "2.1"),
        ({"greater_than": "2024-01-01T00:00:00Z"}, "timestamp", "2024-06-01", "2023-12-31"),
    ],
)
def test_good_values_pass_bad_values_fail(raw: dict, type_name: str, good: object, bad: object):
    assert check(raw, type_name, good) is None
    message = check(raw, type_name, bad)
    assert message is not None
    assert describe(bad) in message  # the message names the offending value


def test_messages_name_value_and_limit() -> None:
    assert check({"in_range": [1, 3]}, "integer", 4) == "4 must be in the range [1, 3]"
    assert check({"valid_values": ["a", "b"]}, "string", "c") == '"c" must be one of: "a", "b"'
    assert "greater than or equal to 1" in check({"greater_or_equal": 1}, "integer", 0)
    assert "at most 2" in check({"max_length": 2}, "string", "abc")
    assert "does not match the pattern" in check({"pattern": "^x$"}, "string", "y")


def test_pattern_must_match_the_whole_value() -> None:
    assert check({"pattern": "[0-9]+"}, "string", "123") is None
    assert check({"pattern": "[0-9]+"}, "string", "123abc") is not None


def test_scalar_units_compare_across_units_and_case() -> None:
    constraint = parse_constraint({"greater_or_equal": "4 GiB"}, "scalar-unit.size")
    assert constraint.check("4096 MiB") is None
    assert constraint.check("4 GB") is not None  # 4 GB < 4 GiB
    assert constraint.check("4 GIB") is None


def test_timestamp_objects_from_yaml_compare() -> None:
    constraint = parse_constraint({"less_than": dt.date(2025, 1, 1)}, "timestamp")
    assert constraint.check(dt.datetime(2024, 12, 31, 23, 59, tzinfo=dt.UTC)) is None
    assert constraint.check("2025-01-01 00:00:01 +00:00") is not None


def test_function_values_are_deferred() -> None:
    constraint = parse_constraint({"greater_than": 5}, "integer")
    assert constraint.check({"get_input": "n"}) is None
    assert parse_constraint({"min_length": 2}, "list").check([{"get_input": "a"}]) is None


def test_wrong_type_value_is_reported_not_raised() -> None:
    assert "cannot be compared" in check({"greater_than": 5}, "integer", "abc")
    assert "cannot be compared" in check({"greater_than": 5}, "integer", True)
    assert "has no length" in check({"min_length": 1}, "string", 5)


def test_yaml_booleans_in_string_valid_values_are_read_as_text_with_a_warning() -> None:
    # INDIGO's deep-oc templates: `type: string`, `valid_values: [ false, true ]`.
    constraint = parse_constraint({"valid_values": [False, True]}, "string")
    assert constraint.warning is not None and "not a string" in constraint.warning
    assert constraint.check(True) is None
    assert constraint.check("true") is None
    assert constraint.check("maybe") is not None
    assert parse_constraint({"valid_values": ["a"]}, "string").warning is None


def test_int_is_valid_float_argument_without_warning() -> None:
    constraint = parse_constraint({"in_range": [0, 1]}, "float")
    assert constraint.warning is None
    assert constraint.check(0.5) is None


@pytest.mark.parametrize(
    ("raw", "type_name", "fragment"),
    [
        ({"greater_thn": 1}, "integer", 'did you mean "greater_than"'),
        ({"foo": 1}, "integer", 'unknown constraint operator "foo"'),
        ({"equal": 1, "less_than": 2}, "integer", "map of one operator"),
        (["equal", 1], "integer", "map of one operator"),
        ("equal", "integer", "map of one operator"),
        ({"greater_than": "x"}, "integer", '"x" is not an integer'),
        ({"greater_than": True}, "integer", "is not an integer"),
        ({"valid_values": "a"}, "string", "needs a list of values"),
        ({"valid_values": [1, "b"]}, "integer", '"b" is not an integer'),
        ({"in_range": [1]}, "integer", "[lower, upper]"),
        ({"in_range": [5, 1]}, "integer", "lower bound above its upper"),
        ({"in_range": ["1 GB", "2 parsecs"]}, "scalar-unit.size", 'unknown unit "parsecs"'),
        ({"length": -1}, "string", "non-negative integer"),
        ({"min_length": "2"}, "string", "non-negative integer"),
        ({"pattern": "(unclosed"}, "string", "not a valid regular expression"),
        ({"pattern": 5}, "string", "regular expression string"),
        ({"greater_than": "1.x"}, "version", "is not a version"),
        ({"less_than": "yesterday"}, "timestamp", "is not a timestamp"),
        ({"greater_than": True}, "boolean", "does not apply to boolean"),
        ({"equal": [1, 2]}, "integer", "needs a single integer"),
    ],
)
def test_bad_clauses_raise_value_error(raw: object, type_name: str, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_constraint(raw, type_name)
    assert fragment in str(caught.value)


def test_unknown_type_checks_shape_only() -> None:
    # A data type name: the registry knows its primitive, parse_constraint does not.
    constraint = parse_constraint({"valid_values": ["x", 1]}, "my.datatypes.Thing")
    assert constraint.check("x") is None
    assert constraint.check(2) is not None


def test_schema_operator_is_accepted() -> None:
    constraint = parse_constraint({"schema": '{"type": "object"}'}, "string")
    assert constraint.check("{}") is None
    with pytest.raises(ValueError):
        parse_constraint({"schema": 3}, "string")


def test_constraint_is_frozen_and_comparable() -> None:
    a = parse_constraint({"equal": 1}, "integer")
    assert a == Constraint("equal", 1, "integer")
    assert set(OPERATORS) >= {"equal", "in_range", "pattern", "schema", "length"}
    with pytest.raises(AttributeError):
        a.operator = "less_than"  # type: ignore[misc]


def test_constraint_built_directly_still_checks() -> None:
    assert Constraint("in_range", [1, 2]).check(3) is not None
    assert Constraint("in_range", [1, 2], "integer").check(2) is None


def test_in_range_on_a_range_value_checks_both_bounds() -> None:
    # normative PortSpec: source_range: {type: range, constraints: [in_range: [1, 65535]]}
    constraint = parse_constraint({"in_range": [1, 65535]}, "range")
    assert constraint.check([8000, 8080]) is None
    assert constraint.check([0, 10]) is not None
    assert constraint.check([10, "UNBOUNDED"]) is not None


def test_version_constraints_order_numerically() -> None:
    constraint = parse_constraint({"greater_or_equal": "12"}, "version")
    assert constraint.check("12.0") is None
    assert constraint.check(11.9) is not None
