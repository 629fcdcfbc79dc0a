"""Property-based: whatever the processor is given, it raises nothing but ToscaError.

Random bytes, random YAML-ish text, random YAML documents with TOSCA keys, and
random mutations (textual and structural) of real INDIGO templates. Every
input goes through load → check → plan; check must return a report and any
failure must be a ``cumulo.errors.ToscaError`` whose issues render as text.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml
from corpus import CORPUS_DIR, available, import_map, templates
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cumulo.errors import ToscaError
from cumulo.tosca.constraints import OPERATORS as CONSTRAINT_OPERATORS
from cumulo.tosca.processor import Processor

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
VERSIONS = ["tosca_simple_yaml_1_0", "tosca_simple_yaml_1_3", "tosca_simple_yaml_9_9", 1.0, None]
NASTY: list[Any] = [
    None,
    [],
    {},
    "",
    "x",
    0,
    -1,
    1e308,
    True,
    "4 GIB",
    "99 parsecs",
    [1, "UNBOUNDED"],
    {"get_input": "nope"},
    {"get_attribute": ["no_node", "public_address", 0]},
    {"get_property": ["SELF", "a", "b", 7]},
    {"concat": [{"get_input": 1}, None]},
    {"token": ["a", 1]},
    {"join": []},
    {"type": "tosca.nodes.Nothing"},
    {"derived_from": "tosca.nodes.indigo.Compute"},
    [[[[[[["deep"]]]]]]],
    {"a": {"b": {"c": {"d": {"e": {}}}}}},
]


@pytest.fixture(scope="module")
def processor() -> Processor:
    return Processor(import_map=import_map())


def real_templates() -> list[tuple[str, str]]:
    if not available():
        return [("missing.yaml", "tosca_definitions_version: tosca_simple_yaml_1_3\n")]
    return [(str(path.relative_to(CORPUS_DIR)), path.read_text()) for path in templates()]


REAL = real_templates()


def exercise(processor: Processor, data: Any, name: str = "fuzz.yaml", base_dir: Any = None):
    """load → check → plan; only ToscaError may come out, and it must render."""
    try:
        template = processor.load_text(data, name=name, base_dir=base_dir)
    except ToscaError as exc:
        assert exc.issues, "a ToscaError without issues"
        assert str(exc)
        return
    report = processor.check(template)
    assert isinstance(report, list)
    for issue in report:
        assert str(issue)
    try:
        processor.plan(template, {"num_cpus": "2", "unknown_parameter": [1]})
    except ToscaError as exc:
        assert exc.issues and str(exc)


@FAST
@given(data=st.binary(max_size=4000))
def test_random_bytes(processor: Processor, data: bytes) -> None:
    exercise(processor, data)


YAMLISH = st.lists(
    st.sampled_from(
        [*":-[]{}&*!|>'\"#%@`,? \n\t\\abcxyz019._", "tosca", "<<", "---", "...", "  - ", ": "]
    ),
    max_size=200,
).map("".join)


@FAST
@given(text=YAMLISH)
def test_random_yamlish_text(processor: Processor, text: str) -> None:
    exercise(processor, "tosca_definitions_version: tosca_simple_yaml_1_3\n" + text)
    exercise(processor, text)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12)
)
KEYS = st.sampled_from(
    [
        "type",
        "properties",
        "requirements",
        "capabilities",
        "inputs",
        "outputs",
        "node_templates",
        "interfaces",
        "derived_from",
        "constraints",
        "entry_schema",
        "default",
        "value",
        "imports",
        "policies",
        "groups",
        "node",
        "relationship",
        "occurrences",
        "get_input",
        "get_attribute",
        "x",
    ]
) | st.text(max_size=8)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=40,
)


@FAST
@given(
    version=st.sampled_from(VERSIONS),
    topology=DOCUMENTS,
    types=DOCUMENTS,
    imports=st.sampled_from([None, [], ["nowhere.yaml"], ["../../../etc/passwd"], [{"x": 1}]]),
)
def test_random_tosca_documents(
    processor: Processor, version: Any, topology: Any, types: Any, imports: Any
) -> None:
    document: dict[str, Any] = {"tosca_definitions_version": version, "topology_template": topology}
    if imports is not None:
        document["imports"] = imports
    document["node_types"] = types
    exercise(processor, yaml.safe_dump(document, allow_unicode=True))


def mutate_text(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        action = rng.randrange(5)
        if action == 0:
            del lines[i]
        elif action == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif action == 2:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice([":", "- ", "{", "]", "&a ", "*a", "\t", "'"])
        elif action == 3:
            lines[i] = "  " + lines[i]
        else:
            lines = lines[:i]
    return "".join(lines)


def paths(node: Any, prefix: tuple = (), depth: int = 0) -> list[tuple]:
    found = [prefix]
    if depth > 12:
        return found
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key), depth + 1)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += paths(value, (*prefix, i), depth + 1)
    return found


def mutate_structure(text: str, rng: random.Random) -> str | None:
    document = yaml.safe_load(text)
    for _ in range(rng.randint(1, 3)):
        where = rng.choice(paths(document)[1:] or [()])
        if not where:
            return None
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        replacement = rng.choice(NASTY)
        if rng.random() < 0.3 and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = replacement
    return yaml.safe_dump(document)


@FAST
@given(index=st.integers(0, len(REAL) - 1), seed=st.integers(0, 2**32 - 1), textual=st.booleans())
def test_mutated_real_templates(processor: Processor, index: int, seed: int, textual: bool) -> None:
    if not available():
        pytest.skip(f"the INDIGO corpus is not at {CORPUS_DIR}")
    rel, text = REAL[index]
    rng = random.Random(seed)
    mutated = mutate_text(text, rng) if textual else mutate_structure(text, rng)
    if mutated is None:
        return
    exercise(processor, mutated, name=rel, base_dir=(CORPUS_DIR / rel).parent)


# --- the value layer alone: check_value and parse_constraint on anything ------

TYPE_NAMES = st.sampled_from(
    [
        "string",
        "integer",
        "float",
        "boolean",
        "timestamp",
        "version",
        "range",
        "list",
        "map",
        "any",
        "scalar-unit.size",
        "scalar-unit.time",
        "scalar-unit.frequency",
        "scalar-unit.bitrate",
        "tosca.datatypes.indigo.User",
        "tosca.datatypes.network.PortSpec",
        "no.such.Type",
    ]
)
OPERATORS = st.sampled_from([*CONSTRAINT_OPERATORS, "bogus"])
VALUES = st.recursive(
    SCALARS | st.sampled_from(NASTY[:12]) | st.sampled_from(["1 GB", "2 s", "1.0", "[1, 2]"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=15,
)


@pytest.fixture(scope="module")
def lookup(processor: Processor):
    return processor.load_text(
        "tosca_definitions_version: tosca_simple_yaml_1_3\n"
        "imports: [https://cumulo.dev/tosca/indigo/custom_types.yaml]\n",
        name="types.yaml",
    ).registry


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=VALUES,
    type_name=TYPE_NAMES,
    entry=TYPE_NAMES,
    clauses=st.lists(st.tuples(OPERATORS, VALUES), max_size=3),
    lenient=st.booleans(),
)
def test_value_checks_never_raise(
    lookup: Any, value: Any, type_name: str, entry: str, clauses: list, lenient: bool
) -> None:
    from cumulo.tosca.constraints import parse_constraint
    from cumulo.tosca.values import Problem, Schema, check_value

    constraints = []
    for operator, argument in clauses:
        try:
            constraints.append(parse_constraint({operator: argument}, type_name))
        except ValueError as exc:
            assert str(exc)
    schema = Schema(type_name, constraints=constraints, entry_schema=Schema(entry))
    _, problems = check_value(value, schema, lookup, lenient=lenient)
    assert all(isinstance(p, Problem) and p.message for p in problems)
