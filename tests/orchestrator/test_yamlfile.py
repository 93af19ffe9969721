"""YAML that cannot be turned against us: no aliases, bounded depth and size, duplicate keys named."""

from __future__ import annotations

import pytest

from orchestrator.yamlfile import MAX_DEPTH, MAX_NODES, parse_yaml
from stages.errors import InputError


def problem(text: str) -> str:
    with pytest.raises(InputError) as err:
        parse_yaml(text, "spec.yaml")
    return str(err.value)


def alias_bomb(levels: int) -> str:
    """The "billion laughs" document: each level a list of ten aliases of the level below."""
    rows = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(rows) + "\n"


def test_plain_yaml_keeps_data_and_lines():
    data, lines = parse_yaml("studio: s\ncharacters:\n  林晚: {seed: 3}\nepisodes: [1, 2]\n", "spec.yaml")
    assert data == {"studio": "s", "characters": {"林晚": {"seed": 3}}, "episodes": [1, 2]}
    assert lines[("characters", "林晚", "seed")] == 3 and lines[("episodes", 1)] == 4


def test_alias_bomb_is_refused_at_the_first_anchor():
    message = problem(alias_bomb(9))
    assert message.startswith("spec.yaml:1: not valid YAML: YAML anchors (&name) are not allowed")


def test_alias_without_anchor_is_refused():
    assert "aliases (*name) are not allowed" in problem("a: *nothing\n")


def test_merge_keys_need_aliases_so_are_refused_too():
    assert "anchors" in problem("base: &b {x: 1}\nother:\n  <<: *b\n")


@pytest.mark.parametrize("opener,closer", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused_not_a_recursion_error(opener, closer):
    text = "x: " + opener * 600 + "1" + closer * 600 + "\n"
    assert f"nested deeper than {MAX_DEPTH} levels" in problem(text)


def test_block_nesting_just_inside_the_limit_is_fine():
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH - 1)) + "  " * (MAX_DEPTH - 1) + "leaf: 1\n"
    data, _ = parse_yaml(text, "spec.yaml")
    assert "k0" in data


def test_too_many_values_are_refused():
    text = "x: [" + ",".join(["1"] * (MAX_NODES + 10)) + "]\n"
    assert f"more than {MAX_NODES} values" in problem(text)


def test_duplicate_key_names_both_lines():
    message = problem("studio: a\ntitle: t\nstudio: b\n")
    assert message == "spec.yaml:3: studio: duplicate key 'studio': first on line 1, again on line 3"


def test_nested_duplicate_key_is_named_with_its_path():
    message = problem("characters:\n  林晚:\n    seed: 1\n    seed: 2\n")
    assert "characters.林晚.seed: duplicate key 'characters.林晚.seed': first on line 3, again on line 4" in message


def test_unhashable_key_is_a_yaml_error():
    assert "not valid YAML" in problem("? [a, b]\n: 1\n")


def test_empty_document_is_none():
    assert parse_yaml("", "spec.yaml") == (None, {})
