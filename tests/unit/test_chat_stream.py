"""The stream accumulator against every relay quirk, with the SSE bytes cut at every position.

Each scenario is an SSE body as a relay sends it and the result it must give. The body is fed
whole and cut in two at every byte; the final result must not change, and the deltas (what the
adapters emit per chunk) must add up to it.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_core.chat import StreamAccumulator
from gateway_core.errors import APIError, IncompleteStreamError, RateLimitError
from tests.unit.chat_streams import chunk, joined, run, splits, sse, summary, usage_chunk

TOOL_ADD = {"index": 0, "id": "call_1", "type": "function",
            "function": {"name": "add", "arguments": ""}}


def args_piece(text: str, index: int | None = 0, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"function": {"arguments": text}, **extra}
    if index is not None:
        item["index"] = index
    return item


SCENARIOS: dict[str, tuple[bytes, dict[str, Any]]] = {
    "plain text, role chunk, usage-only chunk": (
        sse([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}),
             chunk({"content": "lo 世界"}), chunk({}, "stop"), usage_chunk(5, 7)]),
        {"text": "Hello 世界", "reasoning": "", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": (5, 7, 12, None, None)},
    ),
    "reasoning_content then content, usage details": (
        sse([chunk({"role": "assistant", "reasoning_content": "Let me"}),
             chunk({"reasoning_content": " think."}), chunk({"content": "42"}),
             chunk({}, "stop"),
             usage_chunk(10, 20, prompt_tokens_details={"cached_tokens": 4},
                         completion_tokens_details={"reasoning_tokens": 15})]),
        {"text": "42", "reasoning": "Let me think.", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": (10, 20, 30, 4, 15)},
    ),
    "reasoning field (OpenRouter style)": (
        sse([chunk({"reasoning": "Hmm"}), chunk({"reasoning": "..."}), chunk({"content": "Yes"}),
             chunk({}, "stop")]),
        {"text": "Yes", "reasoning": "Hmm...", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": None},
    ),
    "think tags inside content": (
        sse([chunk({"content": "<think>\nplan "}), chunk({"content": "carefully\n</think>"}),
             chunk({"content": "\n\nAnswer: 4"}), chunk({}, "stop")]),
        {"text": "Answer: 4", "reasoning": "plan carefully", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": None},
    ),
    "standard tool call by index": (
        sse([chunk({"role": "assistant", "tool_calls": [TOOL_ADD]}),
             chunk({"tool_calls": [args_piece('{"a": 1,')]}),
             chunk({"tool_calls": [args_piece(' "b": 2}')]}), chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "tool_calls": [("call_1", "add", {"a": 1, "b": 2})],
         "invalid": [], "finish_reason": "tool_calls", "usage": None},
    ),
    "tool call without index": (
        sse([chunk({"tool_calls": [{"id": "call_1", "type": "function",
                                    "function": {"name": "add", "arguments": '{"a"'}}]}),
             chunk({"tool_calls": [args_piece(': 1}', index=None)]}),
             chunk({"tool_calls": [{"id": "call_2", "type": "function",
                                    "function": {"name": "mul", "arguments": '{"x": 2}'}}]}),
             chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "invalid": [], "finish_reason": "tool_calls",
         "tool_calls": [("call_1", "add", {"a": 1}), ("call_2", "mul", {"x": 2})],
         "usage": None},
    ),
    "id and name repeated in every chunk": (
        sse([chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                    "function": {"name": "add", "arguments": piece}}]})
             for piece in ('{"a"', ": 1", "}")] + [chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "tool_calls": [("call_1", "add", {"a": 1})],
         "invalid": [], "finish_reason": "tool_calls", "usage": None},
    ),
    "arguments as an object": (
        sse([chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                    "function": {"name": "add", "arguments": {"a": 1}}}]}),
             chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "tool_calls": [("call_1", "add", {"a": 1})],
         "invalid": [], "finish_reason": "tool_calls", "usage": None},
    ),
    "two calls in one chunk": (
        sse([chunk({"tool_calls": [
                {"index": 0, "id": "call_1", "type": "function",
                 "function": {"name": "add", "arguments": '{"a": 1}'}},
                {"index": 1, "id": "call_2", "type": "function",
                 "function": {"name": "mul", "arguments": '{"x": 2}'}}]}),
             chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "invalid": [], "finish_reason": "tool_calls",
         "tool_calls": [("call_1", "add", {"a": 1}), ("call_2", "mul", {"x": 2})],
         "usage": None},
    ),
    "every call at index 0 with distinct ids": (
        sse([chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                    "function": {"name": "add", "arguments": '{"a": 1}'}}]}),
             chunk({"tool_calls": [{"index": 0, "id": "call_2", "type": "function",
                                    "function": {"name": "mul", "arguments": '{"x": 2}'}}]}),
             chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "invalid": [], "finish_reason": "tool_calls",
         "tool_calls": [("call_1", "add", {"a": 1}), ("call_2", "mul", {"x": 2})],
         "usage": None},
    ),
    "arguments that are not JSON": (
        sse([chunk({"tool_calls": [TOOL_ADD]}), chunk({"tool_calls": [args_piece("{a: 1,")]}),
             chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "tool_calls": [],
         "invalid": [("call_1", "add", "{a: 1,")], "finish_reason": "tool_calls",
         "usage": None},
    ),
    "cumulative arguments repeated whole": (
        sse([chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                    "function": {"name": "add", "arguments": text}}]})
             for text in ('{"a"', '{"a": 1', '{"a": 1}', '{"a": 1}')]
            + [chunk({}, "tool_calls")]),
        {"text": "", "reasoning": "", "tool_calls": [("call_1", "add", {"a": 1})],
         "invalid": [], "finish_reason": "tool_calls", "usage": None},
    ),
    "usage on every chunk counted once": (
        sse([chunk({"content": "a"}, usage={"prompt_tokens": 5, "completion_tokens": 1,
                                             "total_tokens": 6}),
             chunk({"content": "b"}, usage={"prompt_tokens": 5, "completion_tokens": 2,
                                             "total_tokens": 7}),
             chunk({}, "stop", usage={"prompt_tokens": 5, "completion_tokens": 2,
                                      "total_tokens": 7})]),
        {"text": "ab", "reasoning": "", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": (5, 2, 7, None, None)},
    ),
    "keep-alive comments, empty and named events, CRLF": (
        sse([": PING\n\n", chunk({"content": "x"}), "data: \n\n", "event: ping\ndata: {}\n\n",
             ": keep-alive\n\n", chunk({"content": "y"}), chunk({}, "stop")], crlf=True),
        {"text": "xy", "reasoning": "", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": None},
    ),
    "finish_reason without [DONE] (connection closed)": (
        sse([chunk({"content": "ok"}), chunk({}, "stop")], done=False),
        {"text": "ok", "reasoning": "", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": None},
    ),
    "choices null on the usage chunk": (
        sse([chunk({"content": "ok"}, "stop"),
             {"id": "c", "model": "m", "choices": None,
              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}]),
        {"text": "ok", "reasoning": "", "tool_calls": [], "invalid": [],
         "finish_reason": "stop", "usage": (1, 1, 2, None, None)},
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_survives_every_cut(name: str) -> None:
    body, expected = SCENARIOS[name]
    for pieces in splits(body):
        deltas, accumulator = run(pieces)
        result = accumulator.finish()
        assert summary(result) == expected, pieces
        text, reasoning, calls = joined(deltas)
        assert (text, reasoning) == (result.text, result.reasoning)
        for call in result.all_tool_calls:
            assert calls[call.index] == {"id": call.id, "name": call.name,
                                         "arguments": call.arguments}


def tool_item(name: str | None = None, arguments: Any = "", index: int | None = 0,
              call_id: str | None = None) -> dict[str, Any]:
    """One ``delta.tool_calls`` item; without ``call_id`` it has no ``id`` (unnumbered relays)."""
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    item: dict[str, Any] = {"type": "function", "function": function}
    if index is not None:
        item["index"] = index
    if call_id is not None:
        item["id"] = call_id
    return item


def tool_stream(*items: dict[str, Any]) -> bytes:
    return sse([chunk({"tool_calls": [item]}) for item in items] + [chunk({}, "tool_calls")])


# Relays that send every call at index 0 (or without index) and without ids. Expected calls are
# (id, name, args); an id of None means "one we generated" (any ``call_…``, distinct from the rest).
REUSED_INDEX: dict[str, tuple[bytes, list[tuple[str | None, str, dict[str, Any]]]]] = {
    "two calls at index 0 without ids, different names": (
        tool_stream(tool_item("add"), tool_item(None, '{"a": 1}'),
                    tool_item("mul"), tool_item(None, '{"x": 2}')),
        [(None, "add", {"a": 1}), (None, "mul", {"x": 2})],
    ),
    "two calls at index 0 without ids, name and arguments in one chunk each": (
        tool_stream(tool_item("add", '{"a":1}'), tool_item("mul", '{"x":2}')),
        [(None, "add", {"a": 1}), (None, "mul", {"x": 2})],
    ),
    "two calls at index 0 without ids, same name": (
        tool_stream(tool_item("add"), tool_item(None, '{"a"'), tool_item(None, ": 1}"),
                    tool_item("add"), tool_item(None, '{"a": 2'), tool_item(None, "}")),
        [(None, "add", {"a": 1}), (None, "add", {"a": 2})],
    ),
    "two calls at index 0 without ids, same name, arguments with the name": (
        tool_stream(tool_item("add", '{"a": 1}'), tool_item("add", ' {"a": 2}')),
        [(None, "add", {"a": 1}), (None, "add", {"a": 2})],
    ),
    "two calls at index 0 without ids, arguments as objects": (
        tool_stream(tool_item("add", {"a": 1}), tool_item("add", {"a": 2})),
        [(None, "add", {"a": 1}), (None, "add", {"a": 2})],
    ),
    "two calls without index or ids": (
        tool_stream(tool_item("add", '{"a": 1}', index=None),
                    tool_item("mul", '{"x"', index=None), tool_item(None, ": 2}", index=None)),
        [(None, "add", {"a": 1}), (None, "mul", {"x": 2})],
    ),
    "first call without id, second with one, both at index 0": (
        tool_stream(tool_item("add", '{"a": 1}'), tool_item("mul", '{"x": 2}', call_id="call_2")),
        [(None, "add", {"a": 1}), ("call_2", "mul", {"x": 2})],
    ),
    "name repeated in every chunk without ids, then once more": (
        tool_stream(*[tool_item("add", piece) for piece in ('{"a"', ": 1", "}", "")]),
        [(None, "add", {"a": 1})],
    ),
    "name and whole arguments repeated without ids": (
        tool_stream(*[tool_item("add", '{"a": 1}') for _ in range(3)]),
        [(None, "add", {"a": 1})],
    ),
    "name and cumulative arguments repeated without ids": (
        tool_stream(*[tool_item("add", text) for text in ('{"a"', '{"a": 1', '{"a": 1}')]),
        [(None, "add", {"a": 1})],
    ),
    "id named late is adopted": (
        tool_stream(tool_item("add"), tool_item(None, '{"a"', call_id="call_1"),
                    tool_item(None, ": 1}")),
        [("call_1", "add", {"a": 1})],
    ),
    "id named late with the name repeated is adopted": (
        tool_stream(tool_item("add"), tool_item("add", '{"a"', call_id="call_1"),
                    tool_item("add", ": 1}", call_id="call_1")),
        [("call_1", "add", {"a": 1})],
    ),
}


@pytest.mark.parametrize("name", list(REUSED_INDEX))
def test_calls_at_a_reused_index_survive_every_cut(name: str) -> None:
    body, expected = REUSED_INDEX[name]
    for pieces in splits(body):
        deltas, accumulator = run(pieces)
        result = accumulator.finish()
        assert result.invalid_tool_calls == [], pieces
        calls = result.tool_calls
        assert [(c.name, c.args) for c in calls] == [(n, a) for _, n, a in expected], pieces
        assert [c.index for c in calls] == list(range(len(expected)))
        for call, (call_id, _, _) in zip(calls, expected, strict=True):
            assert call.id == call_id if call_id else call.id.startswith("call_")
        assert len({c.id for c in calls}) == len(calls)
        fragments = joined(deltas)[2]
        if "late" in name:  # the generated id already went out in the first fragment
            for fragment in fragments.values():
                fragment["id"] = calls[0].id
        assert fragments == {c.index: {"id": c.id, "name": c.name, "arguments": c.arguments}
                             for c in calls}


def test_deltas_carry_clean_tool_fragments_for_repeating_relays() -> None:
    body, _ = SCENARIOS["id and name repeated in every chunk"]
    deltas, accumulator = run([body])
    fragments = [f for d in deltas for f in d.tool_calls or ()]
    assert [f["id"] for f in fragments] == ["call_1", None, None]
    assert [f["name"] for f in fragments] == ["add", None, None]
    assert accumulator.finish().tool_calls[0].name == "add"


def test_request_id_and_metadata_are_kept() -> None:
    body = sse([chunk({"content": "a"}, system_fingerprint="fp_1"),
                chunk({"content": "b"}, "stop", id="other-id")])
    _, accumulator = run([body], request_id="req-9")
    result = accumulator.finish()
    assert (result.id, result.model, result.request_id) == ("chatcmpl-1", "gpt-4o-mini", "req-9")
    assert result.system_fingerprint == "fp_1"
    assert result.created == 1700000000


# --------------------------------------------------------------------------- think tags


THINK_CONTENT = "<think>\nplan: a < b </ c\n</think>\n\nAnswer </think> kept"


def _content_chunks(pieces: list[str]) -> bytes:
    return sse([chunk({"content": piece}) for piece in pieces] + [chunk({}, "stop")])


def test_think_tags_split_across_chunks_at_every_pair_of_positions() -> None:
    content = THINK_CONTENT
    for first, second in itertools.combinations(range(1, len(content)), 2):
        pieces = [content[:first], content[first:second], content[second:]]
        deltas, accumulator = run([_content_chunks(pieces)])
        result = accumulator.finish()
        assert (result.text, result.reasoning) == ("Answer </think> kept", "plan: a < b </ c")
        assert joined(deltas)[:2] == (result.text, result.reasoning)


@settings(deadline=None)
@given(st.text(alphabet="<>/thinkab \n", max_size=40), st.data())
def test_think_splitting_does_not_depend_on_where_chunks_end(content: str, data: Any) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(content) - 1)), max_size=4)))
    bounds = zip([0, *cuts], [*cuts, len(content)], strict=True)
    pieces = [content[i:j] for i, j in bounds if content[i:j]]
    _, whole = run([_content_chunks([content] if content else [])])
    _, cut = run([_content_chunks(pieces)])
    assert (cut.finish().text, cut.finish().reasoning) == (
        whole.finish().text, whole.finish().reasoning)


def test_think_tag_later_in_the_answer_is_not_reasoning() -> None:
    _, accumulator = run([_content_chunks(["Use <think>", " tags</think> like this"])])
    result = accumulator.finish()
    assert result.text == "Use <think> tags</think> like this"
    assert result.reasoning == ""


def test_think_tags_can_be_turned_off() -> None:
    _, accumulator = run([_content_chunks(["<think>x</think>y"])], think_tags=False)
    assert accumulator.finish().text == "<think>x</think>y"


def test_unclosed_think_block_is_reasoning() -> None:
    _, accumulator = run([_content_chunks(["<think>still thinking"])])
    result = accumulator.finish()
    assert (result.text, result.reasoning) == ("", "still thinking")


# --------------------------------------------------------------------------- failures


def test_stream_without_finish_reason_raises_with_everything_so_far() -> None:
    body = sse([chunk({"reasoning_content": "hmm"}), chunk({"content": "partial"}),
                chunk({"tool_calls": [TOOL_ADD]}),
                chunk({"tool_calls": [args_piece('{"a": 1}')]})])
    for pieces in splits(body):
        _, accumulator = run(pieces, request_id="rid")
        with pytest.raises(IncompleteStreamError) as caught:
            accumulator.finish()
        error = caught.value
        assert (error.partial_text, error.partial_reasoning) == ("partial", "hmm")
        assert error.partial_tool_calls == [
            {"index": 0, "id": "call_1", "name": "add", "arguments": '{"a": 1}'}]
        assert error.request_id == "rid"
        assert "[DONE]" in str(error)


def test_stream_closed_without_done_or_finish_reason_raises() -> None:
    _, accumulator = run([sse([chunk({"content": "cut"})], done=False)])
    with pytest.raises(IncompleteStreamError, match="connection closed") as caught:
        accumulator.finish()
    assert caught.value.partial_text == "cut"


def test_error_event_mid_stream_raises_the_typed_error_with_partial_output() -> None:
    body = sse([chunk({"content": "so far"}),
                {"error": {"message": "当前分组上游负载已饱和，请稍后再试 (request id: abc)",
                           "type": "upstream_error", "code": 429}}])
    for pieces in splits(body):
        with pytest.raises(RateLimitError) as caught:
            run(pieces)
        error = caught.value
        assert error.partial_text == "so far"  # type: ignore[attr-defined]
        assert error.request_id == "abc"
        assert "request id: abc" not in error.gateway_message  # type: ignore[attr-defined]


def test_error_event_with_a_string_code() -> None:
    body = sse([{"error": {"message": "upstream exploded", "type": "upstream_error",
                           "code": "bad_response"}}])
    with pytest.raises(APIError, match="upstream exploded"):
        run([body])


def test_named_error_event_raises() -> None:
    body = b'event: error\ndata: {"message": "overloaded"}\n\n'
    for pieces in splits(body):
        with pytest.raises(APIError, match="overloaded"):
            run(pieces)


def test_malformed_event_raises_incomplete_with_partial_text() -> None:
    body = sse([chunk({"content": "good"}), 'data: {"choices": [{"delta": \n\n'])
    for pieces in splits(body):
        with pytest.raises(IncompleteStreamError, match="not JSON") as caught:
            run(pieces)
        assert caught.value.partial_text == "good"


def test_bare_keepalive_words_and_scalars_are_ignored() -> None:
    body = sse(["data: ping\n\n", "data: 1\n\n", "data: []\n\n", chunk({"content": "x"}, "stop")])
    _, accumulator = run([body])
    assert accumulator.finish().text == "x"


def test_events_after_done_are_ignored() -> None:
    late = b'data: {"choices": [{"delta": {"content": "late"}}]}\n\n'
    body = sse([chunk({"content": "x"}, "stop")]) + late
    _, accumulator = run([body])
    assert accumulator.finish().text == "x"


def test_running_totals_for_per_chunk_consumers() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed(json.dumps(chunk({"reasoning_content": "r", "content": "a"})))
    accumulator.feed(json.dumps(chunk({"tool_calls": [TOOL_ADD]})))
    assert (accumulator.text, accumulator.reasoning) == ("a", "r")
    assert accumulator.has_tool_calls
    assert accumulator.tool_calls_so_far()[0]["name"] == "add"


def test_the_chatfire_seed_stream() -> None:
    # ChatfireAPI (seeds/000): a new id on every chunk; null function_call/refusal/tool_calls.
    ids = ["SzLczL7e2uAxMAGi5ZUYAC", "eFUbVUpcX7bKNifRDuB6rz", "E9BNxHWcfwZJNoFdPptXDG"]
    events = [
        {"id": i, "choices": [{"delta": {"content": c, "function_call": None, "refusal": None,
                                         "role": None, "tool_calls": None},
                               "finish_reason": f, "index": 0, "logprobs": None}],
         "created": 1734586291, "model": "chat-seededit", "object": "chat.completion.chunk",
         "service_tier": None, "system_fingerprint": None, "usage": None}
        for i, c, f in zip(ids, [">", " ", "🖌"], [None, None, "stop"], strict=True)
    ]
    _, accumulator = run([sse(events)])
    result = accumulator.finish()
    assert result.text == "> 🖌"
    assert result.id == ids[0]
    assert result.tool_calls == []
    assert result.refusal is None
