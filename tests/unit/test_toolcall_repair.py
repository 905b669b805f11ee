"""Tool-call repair, one relay habit at a time, on the assembler itself (fast, exact).

The stream scenarios (test_chat_stream.py) show whole relays survive every cut; these pin each
repair rule and its edge, which mutation testing showed the scenarios leave open.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway_core.chat.toolcalls import (
    ToolCallAssembler,
    new_call_id,
    parse_arguments,
    parse_tool_calls,
)


def fn(name: str | None = None, arguments: Any = None, **item: Any) -> dict[str, Any]:
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    return {**item, "function": function}


def assemble(*chunks: list[Any]) -> tuple[ToolCallAssembler, list[dict[str, Any]]]:
    assembler = ToolCallAssembler()
    fragments: list[dict[str, Any]] = []
    for items in chunks:
        fragments.extend(dict(f) for f in assembler.feed(items))
    return assembler, fragments


def calls(assembler: ToolCallAssembler) -> list[tuple[str, str, dict[str, Any] | None, str | None]]:
    return [(c.id, c.name, c.args, c.error) for c in assembler.finish()]


# ------------------------------------------------------------------ parse_arguments


@pytest.mark.parametrize(("text", "expected"), [
    ("", ({}, None)),
    ("  \n", ({}, None)),
    ('{"a": 1}', ({"a": 1}, None)),
    ('"{\\"a\\": 1}"', ({"a": 1}, None)),  # double-encoded
])
def test_arguments_that_parse(text: str, expected: Any) -> None:
    assert parse_arguments(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("{oops", "arguments are not valid JSON (Expecting property name enclosed in double quotes: "
              "line 1 column 2 (char 1))"),
    ('"not json inside"', "arguments are a JSON string, not an object"),
    ("[1, 2]", "arguments are a JSON list, not an object"),
    ('"[1]"', "arguments are a JSON list, not an object"),
    ("3", "arguments are a JSON int, not an object"),
])
def test_arguments_that_do_not_parse_say_why(text: str, why: str) -> None:
    assert parse_arguments(text) == (None, why)


def test_generated_ids_look_like_openai_ids_and_differ() -> None:
    first, second = new_call_id(), new_call_id()
    assert first.startswith("call_")
    assert len(first) == 5 + 24
    assert first != second


# ------------------------------------------------------------------ non-streamed messages


def test_parse_tool_calls_keeps_valid_and_invalid_calls_in_order() -> None:
    raw = [
        {"id": "a", "function": {"name": "add", "arguments": '{"x": 1}'}},
        "not a call",
        {"id": "b", "function": {"name": "mul", "arguments": {"y": "é"}}},
        {"id": "c", "function": {"name": "now"}},
        {"id": "d", "function": "garbage"},
        {"function": {"name": "bad", "arguments": "{"}},
    ]
    parsed = parse_tool_calls(raw)
    assert [(c.index, c.id, c.name, c.args, c.error is None) for c in parsed[:4]] == [
        (0, "a", "add", {"x": 1}, True),
        (1, "b", "mul", {"y": "é"}, True),
        (2, "c", "now", {}, True),
        (3, "d", "", {}, False),
    ]
    assert parsed[1].arguments == '{"y": "é"}'  # an object is dumped without ASCII escapes
    assert parsed[2].arguments == "{}"  # no arguments become an empty object
    assert parsed[3].error == "the tool call has no function name"
    assert (parsed[4].args, parsed[4].arguments) == (None, "{")
    assert parsed[4].id.startswith("call_")
    assert parse_tool_calls({"id": "x"}) == []


# ------------------------------------------------------------------ streamed repairs


def test_ids_and_names_repeated_in_every_fragment_without_index() -> None:
    assembler, fragments = assemble(
        [fn("add", "", id="call_1", type="function")],
        [fn("add", '{"a": ', id="call_1")],
        [fn("add", "1}", id="call_1")],
    )
    assert calls(assembler) == [("call_1", "add", {"a": 1}, None)]
    assert fragments == [
        {"index": 0, "id": "call_1", "name": "add", "arguments": ""},
        {"index": 0, "id": None, "name": None, "arguments": '{"a": '},
        {"index": 0, "id": None, "name": None, "arguments": "1}"},
    ]


def test_a_repeated_id_keeps_its_call_even_when_the_index_moves() -> None:
    assembler, _ = assemble(
        [fn("add", '{"a"', id="call_1", index=0), fn("mul", '{"b"', id="call_2", index=1)],
        [fn(None, ": 1}", id="call_1", index=5)],
        [fn(None, ": 2}", index=5)],  # index 5 now names call_1
    )
    assert [(c.name, c.arguments) for c in assembler.finish()] == [
        ("add", '{"a": 1}: 2}'), ("mul", '{"b"')]


def test_cumulative_names_give_only_the_new_part() -> None:
    assembler, fragments = assemble(
        [fn("get_", "", id="c1", index=0)],
        [fn("get_weather", '{"city": "Oslo"}', index=0)],
        [fn("get_weather", None, index=0)],
    )
    assert calls(assembler) == [("c1", "get_weather", {"city": "Oslo"}, None)]
    assert [f["name"] for f in fragments] == ["get_", "weather"]


def test_a_name_sent_in_pieces_is_joined() -> None:
    assembler, _ = assemble([fn("get", index=0, id="c1")], [fn("_time", "{}", index=0)])
    assert calls(assembler) == [("c1", "get_time", {}, None)]


def test_a_call_without_a_name_is_invalid_not_dropped() -> None:
    assembler, _ = assemble([fn(None, '{"a": 1}', id="c1", index=0)])
    assert calls(assembler) == [("c1", "", {"a": 1}, "the tool call has no function name")]


def test_empty_arguments_become_an_empty_object() -> None:
    assembler, _ = assemble([fn("now", "", id="c1", index=0)], [fn(None, "  ", index=0)])
    [call] = assembler.finish()
    assert (call.args, call.arguments, call.error) == ({}, "{}", None)


def test_invalid_arguments_keep_their_raw_text() -> None:
    assembler, _ = assemble([fn("add", '{"a": 1', id="c1", index=0)])
    [call] = assembler.finish()
    assert (call.args, call.arguments) == (None, '{"a": 1')
    assert (call.error or "").startswith("arguments are not valid JSON")


def test_an_arguments_object_repeated_is_one_call() -> None:
    assembler, fragments = assemble(
        [fn("add", {"a": 1, "b": "ü"}, id="c1", index=0)],
        [fn("add", {"a": 1, "b": "ü"}, index=0)],
    )
    assert calls(assembler) == [("c1", "add", {"a": 1, "b": "ü"}, None)]
    assert [f["arguments"] for f in fragments] == ['{"a": 1, "b": "ü"}']


def test_an_object_after_text_arguments_keeps_the_text() -> None:
    assembler, _ = assemble([fn("add", '{"a": 1}', id="c1")], [fn(None, {"a": 2}, id="c1")])
    assert calls(assembler) == [("c1", "add", {"a": 1}, None)]


def test_the_full_arguments_repeated_as_text_are_not_doubled() -> None:
    assembler, fragments = assemble(
        [fn("add", '{"a": 1}', id="c1", index=0)], [fn("add", '{"a": 1}', id="c1", index=0)])
    assert calls(assembler) == [("c1", "add", {"a": 1}, None)]
    assert len(fragments) == 1


def test_cumulative_arguments_give_only_the_new_text() -> None:
    assembler, fragments = assemble(
        [fn("add", '{"a"', id="c1", index=0)],
        [fn(None, '{"a": 1', index=0)],
        [fn(None, '{"a": 1}', index=0)],
    )
    assert calls(assembler) == [("c1", "add", {"a": 1}, None)]
    assert [f["arguments"] for f in fragments] == ['{"a"', ": 1", "}"]


def test_a_one_character_prefix_is_appended_not_treated_as_cumulative() -> None:
    # "{" then "{..." could be a cumulative resend, but two characters are needed to tell.
    assembler, _ = assemble([fn("f", "{", id="c1", index=0)], [fn(None, '{"a": 1}', index=0)])
    assert assembler.finish()[0].arguments == '{{"a": 1}'


def test_an_equal_fragment_before_the_arguments_are_complete_is_appended() -> None:
    assembler, _ = assemble([fn("f", "1", id="c1", index=0)], [fn(None, "1", index=0)])
    assert assembler.finish()[0].arguments == "11"


def test_every_call_at_index_0_without_ids_is_split_by_name() -> None:
    assembler, fragments = assemble(
        [fn("add", '{"a": 1}', index=0)],
        [fn("mul", '{"x": 2}', index=0)],
    )
    assert [(c.name, c.args, c.index) for c in assembler.finish()] == [
        ("add", {"a": 1}, 0), ("mul", {"x": 2}, 1)]
    assert [f["id"] is not None for f in fragments] == [True, True]


def test_the_same_name_again_with_a_new_object_is_a_second_call() -> None:
    assembler, _ = assemble(
        [fn("add", '{"a": 1}', index=0)],
        [fn("add", '{"a": 2}', index=0)],
    )
    assert [c.args for c in assembler.finish()] == [{"a": 1}, {"a": 2}]


def test_a_name_alone_after_complete_arguments_announces_the_next_call() -> None:
    assembler, fragments = assemble(
        [fn("add", '{"a": 1}', index=0)],
        [fn("add", index=0)],  # header of the next call, same name
        [fn(None, '{"a": 2}', index=0)],
    )
    assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1}), ("add", {"a": 2})]
    assert [f["name"] for f in fragments] == ["add", "add"]


def test_a_name_alone_before_the_arguments_are_complete_is_a_repeat() -> None:
    assembler, _ = assemble(
        [fn("add", '{"a": ', index=0)], [fn("add", index=0)], [fn(None, "1}", index=0)])
    assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1})]


def test_a_different_name_before_any_arguments_extends_the_name() -> None:
    assembler, _ = assemble([fn("get", index=0)], [fn("time", "{}", index=0)])
    assert [c.name for c in assembler.finish()] == ["gettime"]


def test_calls_without_index_or_id_split_on_a_new_name() -> None:
    assembler, _ = assemble([fn("add", '{"a": 1}')], [fn("mul", '{"b": 2}')],
                            [fn(None, "")])
    assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1}), ("mul", {"b": 2})]


def test_calls_without_index_or_id_continue_the_current_call() -> None:
    assembler, _ = assemble([fn("add", '{"a": ')], [fn(None, "1}")])
    assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1})]


def test_an_id_named_late_is_adopted_by_its_call() -> None:
    assembler, _ = assemble(
        [fn("add", '{"a": ', index=0)], [fn(None, "1}", id="call_late", index=0)],
        [fn(None, "", id="call_late")])
    assert calls(assembler) == [("call_late", "add", {"a": 1}, None)]
    assert len(assembler.calls) == 1


def test_a_different_id_at_a_used_index_is_a_new_call() -> None:
    assembler, _ = assemble(
        [fn("add", '{"a": 1}', id="c1", index=0)], [fn("mul", '{"b": 2}', id="c2", index=0)])
    assert [(c.id, c.name, c.index) for c in assembler.finish()] == [
        ("c1", "add", 0), ("c2", "mul", 1)]


def test_two_calls_in_one_chunk() -> None:
    assembler, _ = assemble([fn("a", "{}", id="c1", index=0), fn("b", "{}", id="c2", index=1)])
    assert [c.name for c in assembler.finish()] == ["a", "b"]


def test_junk_items_and_odd_fields_are_ignored() -> None:
    assembler, fragments = assemble(
        ["text", None, 3, {"id": "c1", "index": 0, "function": "garbage"}],
        [{"id": 7, "index": 0, "function": {"name": "add", "arguments": ""}}],
    )
    assert fragments[0] == {"index": 0, "id": "c1", "name": None, "arguments": ""}
    assert [(c.id, c.name) for c in assembler.finish()] == [("c1", "add")]


def test_a_boolean_index_is_not_an_index() -> None:
    assembler, _ = assemble([fn("a", "{}", id="c1", index=True)],
                            [fn("b", "{}", id="c2", index=True)])
    assert [c.name for c in assembler.finish()] == ["a", "b"]


def test_snapshot_and_truthiness() -> None:
    assembler = ToolCallAssembler()
    assert not assembler
    assembler.feed([fn("add", '{"a"', id="c1", index=0)])
    assert assembler
    assert assembler.snapshot() == [{"index": 0, "id": "c1", "name": "add", "arguments": '{"a"'}]


def test_arguments_objects_are_dumped_without_ascii_escapes() -> None:
    _, fragments = assemble([fn("say", {"text": "你好"}, id="c1", index=0)])
    assert fragments[0]["arguments"] == json.dumps({"text": "你好"}, ensure_ascii=False)


# ------------------------------------------------------------------ the edges of each rule


def test_a_cumulative_name_with_a_new_object_stays_one_call() -> None:
    # Only a *different* name, or the same name again, starts a next call; a cumulative one
    # (the relay resending the name so far) continues the current call.
    assembler, _ = assemble([fn("get", '{"a": 1}', index=0)], [fn("get_time", '{"b": 2}', index=0)])
    assert [(c.name, c.arguments) for c in assembler.finish()] == [
        ("get_time", '{"a": 1}{"b": 2}')]


def test_an_empty_or_non_string_name_is_no_name() -> None:
    assembler, _ = assemble([fn("add", '{"a": ', index=0)], [fn("", "1}", index=0)])
    assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1})]
    for odd in (5, {"n": 1}, ["x"]):
        assembler, fragments = assemble(
            [fn("add", '{"a": ', index=0)],
            [{"index": 0, "function": {"name": odd, "arguments": "1}"}}])
        assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1})]
        assert fragments[1]["name"] is None


def test_the_same_name_with_an_object_before_any_arguments_is_the_same_call() -> None:
    assembler, _ = assemble([fn("add", index=0)], [fn("add", {"a": 1}, index=0)])
    assert [(c.name, c.args) for c in assembler.finish()] == [("add", {"a": 1})]


def test_the_same_name_with_a_new_object_while_arguments_are_incomplete_appends() -> None:
    assembler, _ = assemble([fn("add", '{"a": ', index=0)], [fn("add", '{"b": 1}}', index=0)])
    assert [(c.name, c.arguments) for c in assembler.finish()] == [("add", '{"a": {"b": 1}}')]


def test_cumulative_arguments_from_two_characters_on() -> None:
    assembler, fragments = assemble([fn("f", '{"', id="c1", index=0)],
                                    [fn(None, '{"a": 1}', index=0)])
    assert assembler.finish()[0].args == {"a": 1}
    assert [f["arguments"] for f in fragments] == ['{"', 'a": 1}']


def test_an_equal_incomplete_fragment_is_appended_not_dropped() -> None:
    assembler, _ = assemble([fn("f", '{"', id="c1", index=0)], [fn(None, '{"', index=0)])
    assert assembler.finish()[0].arguments == '{"{"'


def test_an_adopted_id_is_not_adopted_again() -> None:
    assembler, fragments = assemble(
        [fn("add", '{"a": 1}', index=0)],
        [fn(None, "", id="c1", index=0)],  # the relay names the id late: adopted
        [fn(None, "", id="c2", index=0)],  # another id at the same index: another call
    )
    assert [c.id for c in assembler.finish()] == ["c1", "c2"]
    assert fragments[1:] == [{"index": 1, "id": "c2", "name": None, "arguments": ""}]


def test_a_different_id_at_a_used_index_takes_that_index_over() -> None:
    assembler, fragments = assemble(
        [fn("add", '{"a": 1}', id="c1", index=0)],
        [fn("add", "", id="c2", index=0)],
        [fn(None, '{"a": 2}', index=0)],
    )
    assert [(c.id, c.name, c.args, c.index) for c in assembler.finish()] == [
        ("c1", "add", {"a": 1}, 0), ("c2", "add", {"a": 2}, 1)]
    assert fragments[1] == {"index": 1, "id": "c2", "name": "add", "arguments": ""}


def test_without_index_or_id_the_same_name_and_a_new_object_is_a_next_call() -> None:
    assembler, _ = assemble([fn("add", '{"a": 1}')], [fn("add", '{"a": 2}')])
    assert [c.args for c in assembler.finish()] == [{"a": 1}, {"a": 2}]


def test_an_object_without_a_name_after_complete_arguments_is_not_a_next_call() -> None:
    # Without the name repeated nothing says a next call began: the text is appended (and the
    # call reported invalid) rather than guessed into two calls.
    for between in ([], [[fn(None, "", index=0)]]):
        assembler, _ = assemble([fn("add", '{"a": 1}', index=0)], *between,
                                [fn(None, '{"b": 2}', index=0)])
        [call] = assembler.finish()
        assert call.arguments == '{"a": 1}{"b": 2}'
        assert call.error is not None


def test_only_a_repeated_name_carries_over_to_the_next_call() -> None:
    assembler, _ = assemble(
        [fn("add", '{"a": 1}', id="c1", index=0)],
        [fn("add", "", id="c2", index=0)],  # c2 starts with its own name, no arguments yet
        [fn(None, '{"x": 1}', id="c3", index=0)],
    )
    assert [(c.id, c.name) for c in assembler.finish()] == [("c1", "add"), ("c2", "add"),
                                                            ("c3", "")]
