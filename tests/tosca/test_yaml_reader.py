"""Reading YAML into located containers, within limits (issue 2, item 1 and bad input)."""

from __future__ import annotations

import time

import pytest

from cumulo.tosca.yaml_reader import YamlError, YList, YMap, mark_at, read_yaml


def test_every_key_and_value_keeps_its_line_and_column() -> None:
    root, warnings = read_yaml("a:\n  b: [1, two]\n  c: {d: x}\n")
    assert warnings == []
    assert isinstance(root, YMap) and isinstance(root["a"]["b"], YList)
    assert root.key_marks["a"] == (1, 1)
    assert root["a"].key_marks["b"] == (2, 3)
    assert root["a"].value_marks["b"] == (2, 6)
    assert root["a"]["b"].item_marks == [(2, 7), (2, 10)]
    assert mark_at(root, ("a", "c", "d")) == (3, 10)
    assert mark_at(root, ("a", "b", 1)) == (2, 10)
    assert (
        mark_at(root, ("a", "missing", "deeper")) == (1, 1)
        or mark_at(root, ("a", "missing")) == root.value_marks["a"]
    )


def test_scalars_follow_yaml_1_1_like_safe_load() -> None:
    root, _ = read_yaml("i: 0x10\nf: 1.5\nb: yes\nn: ~\ns: '1'\nt: 2001-01-01\nv: 16.04\n")
    expected = {"i": 16, "f": 1.5, "b": True, "n": None, "s": "1", "t": "2001-01-01", "v": 16.04}
    assert root == expected


def test_merge_keys_and_duplicate_keys() -> None:
    root, warnings = read_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\ndup: 1\ndup: 2\n")
    assert root["other"] == {"x": 1, "y": 3}
    assert root["dup"] == 2
    assert [w.code for w in warnings] == ["duplicate-key"] and warnings[0].mark == (6, 1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: [1, 2", "not-yaml"),
        ("a: !!binary aGVsbG8=", "binary-data"),
        ("a: !custom 1", "bad-tag"),
        ("a: &x [*x]", "recursive-alias"),
        ("a: *nothing", "unknown-alias"),
        ("a: 1\n---\nb: 2\n", "many-documents"),
        ("a: 1\x00", "binary-data"),
        ("[" * 200 + "]" * 200, "too-deep"),
        ("? [a, b]\n: c\n", "bad-key"),
    ],
)
def test_bad_input_is_a_located_error(text: str, code: str) -> None:
    with pytest.raises(YamlError) as info:
        read_yaml(text)
    assert info.value.problems[0].code == code


def test_billion_laughs_fails_fast() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    start = time.perf_counter()
    with pytest.raises(YamlError) as info:
        read_yaml("\n".join(lines))
    assert info.value.problems[0].code == "alias-bomb"
    assert time.perf_counter() - start < 1.0


def test_size_limit_and_binary_bytes() -> None:
    with pytest.raises(YamlError) as info:
        read_yaml("a: " + "x" * 2000, max_bytes=1000)
    assert info.value.problems[0].code == "too-large"
    with pytest.raises(YamlError) as info:
        read_yaml(b"\xff\xfe\x00binary")
    assert info.value.problems[0].code == "binary-data"


def test_pure_python_parser_gives_the_same_located_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from cumulo.tosca import yaml_reader

    text = "a: &x {b: [1, 'two', yes, ~, 0x1f]}\nc: *x\nd:\n  <<: *x\n  e: 2.5\n"
    fast, _ = read_yaml(text)
    monkeypatch.setattr(yaml_reader, "_LOADER", yaml.SafeLoader)
    slow, _ = read_yaml(text)
    assert (
        fast
        == slow
        == {
            "a": {"b": [1, "two", True, None, 31]},
            "c": {"b": [1, "two", True, None, 31]},
            "d": {"b": [1, "two", True, None, 31], "e": 2.5},
        }
    )
    assert fast["d"].value_marks == slow["d"].value_marks


LIBRARY = """tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  a.First:
    derived_from: tosca.nodes.Root
    properties:
      p: {type: string, default: x}

  a.Second: {derived_from: a.First}
  a.Third: 7
data_types:
  d.One:
    derived_from: tosca.datatypes.Root
    properties:
      q:
        type: integer
        type: string
"""


def test_lazy_sections_give_the_same_values_and_places() -> None:
    from cumulo.tosca.yaml_reader import LazyValue, materialise

    lazy_root, _ = read_yaml(LIBRARY, lazy_sections=frozenset({"node_types", "data_types"}))
    full_root, warnings = read_yaml(LIBRARY)
    assert isinstance(lazy_root["node_types"]["a.First"], LazyValue)
    for section in ("node_types", "data_types"):
        for name, value in full_root[section].items():
            assert materialise(lazy_root[section][name]) == value
            for path in [(section, name), (section, name, "derived_from")]:
                assert mark_at(lazy_root, path) == mark_at(full_root, path)
    assert mark_at(lazy_root, ("data_types", "d.One", "properties", "q", "type")) == (16, 15)
    # the duplicate key inside a lazy entry is found when the entry is read
    assert [w.code for w in warnings] == ["duplicate-key"]
    assert [p.code for p in lazy_root["data_types"]["d.One"].problems] == ["duplicate-key"]


def test_lazy_reading_falls_back_when_anchors_are_used() -> None:
    from cumulo.tosca.yaml_reader import LazyValue

    text = LIBRARY + "  d.Two: &two {derived_from: d.One}\n  d.Three: *two\n"
    root, _ = read_yaml(text, lazy_sections=frozenset({"node_types", "data_types"}))
    assert not isinstance(root["node_types"]["a.First"], LazyValue)
    assert root["data_types"]["d.Three"] == {"derived_from": "d.One"}


def test_lazy_reading_still_rejects_bad_yaml_anywhere() -> None:
    text = LIBRARY.replace("a.Third: 7", "a.Third: [unclosed")
    with pytest.raises(YamlError) as info:
        read_yaml(text, lazy_sections=frozenset({"node_types"}))
    assert info.value.problems[0].code == "not-yaml"
