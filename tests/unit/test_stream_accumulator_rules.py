"""StreamAccumulator rules, one at a time, found unpinned by mutation testing: which choice is
read, legacy ``function_call``, refusals, logprobs, metadata that arrives late or never, what an
error event or a broken stream carries, and the exact words each failure uses."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gateway_core.chat import StreamAccumulator
from gateway_core.chat.stream import attach_partial
from gateway_core.chat.types import ChatDelta
from gateway_core.errors import (
    APIError,
    DeadlineExceededError,
    GatewayConnectionError,
    GatewayError,
    IncompleteStreamError,
)


def data(delta: dict[str, Any] | None = None, finish: str | None = None, *,
         choices: list[dict[str, Any]] | None = None, **top: Any) -> str:
    if choices is None:
        choices = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    return json.dumps({"choices": choices, **top})


def feed_all(*events: str, **settings: Any) -> StreamAccumulator:
    acc = StreamAccumulator(**settings)
    for event in events:
        acc.feed(event)
    return acc


# ------------------------------------------------------------------ which choice


def test_choice_zero_is_read_wherever_it_is_in_the_list() -> None:
    acc = StreamAccumulator()
    delta = acc.feed(data(choices=[{"index": 1, "delta": {"content": "B"}},
                                   {"index": 0, "delta": {"content": "A"}}]))
    assert delta is not None
    assert delta.text == "A"
    assert acc.feed(data(choices=[{"index": 1, "delta": {"content": "B"}}])) is None
    assert acc.feed(data(choices=[{"delta": {"content": "C"}}])) is not None  # no index: 0
    assert acc.text == "AC"


def test_a_whole_message_instead_of_a_delta_is_read() -> None:
    acc = feed_all(data(choices=[{"index": 0, "message": {"content": "hi"},
                                  "finish_reason": "stop"}]))
    assert (acc.text, acc.finish().finish_reason) == ("hi", "stop")


# ------------------------------------------------------------------ what a chunk adds


def test_the_delta_of_a_finishing_chunk_carries_its_finish_reason() -> None:
    delta = StreamAccumulator().feed(data({"content": "end"}, "length"))
    assert delta == ChatDelta("end", "", None, "length")


def test_legacy_function_call_becomes_a_tool_call() -> None:
    acc = StreamAccumulator()
    first = acc.feed(data({"function_call": {"name": "add", "arguments": '{"a": '}}))
    acc.feed(data({"function_call": {"arguments": "1}"}}, "function_call"))
    assert first is not None
    assert first.tool_calls is not None
    assert first.tool_calls[0]["index"] == 0
    [call] = acc.finish().tool_calls
    assert (call.name, call.args) == ("add", {"a": 1})


def test_function_call_is_ignored_when_tool_calls_came_in_the_same_delta() -> None:
    acc = feed_all(data({"tool_calls": [{"index": 0, "id": "c1", "function": {
        "name": "add", "arguments": "{}"}}], "function_call": {"name": "old", "arguments": "{}"}},
        "tool_calls"))
    assert [c.name for c in acc.finish().tool_calls] == ["add"]


def test_text_and_a_tool_call_in_one_delta_are_both_read() -> None:
    # relays in front of Claude send the words before a call and the call in one chunk
    acc = StreamAccumulator()
    delta = acc.feed(data({"content": "Checking.", "tool_calls": [{"index": 0, "id": "c1",
                          "function": {"name": "add", "arguments": "{}"}}]}))
    assert delta is not None
    assert delta.text == "Checking."
    assert delta.tool_calls is not None
    acc.feed(data({}, "tool_calls"))
    assert [c.name for c in acc.finish().tool_calls] == ["add"]


def test_text_and_a_refusal_in_one_delta_are_both_read() -> None:
    acc = feed_all(data({"content": "Sorry:", "refusal": "I cannot."}, "stop"))
    assert (acc.text, acc.finish().refusal) == ("Sorry:", "I cannot.")


def test_refusals_are_joined_across_chunks() -> None:
    acc = feed_all(data({"refusal": "I can"}), data({"refusal": "not."}, "stop"))
    assert acc.finish().refusal == "I cannot."


def test_reasoning_that_is_not_text_is_ignored() -> None:
    acc = StreamAccumulator()
    delta = acc.feed(data({"reasoning_content": {"odd": 1}, "content": "ok"}, "stop"))
    assert delta == ChatDelta("ok", "", None, "stop")
    assert (acc.reasoning, acc.text) == ("", "ok")
    acc = feed_all(data({"reasoning": ["odd"], "content": "<think>r</think>t"}, "stop"))
    assert (acc.reasoning, acc.text) == ("r", "t")


def test_content_sent_as_parts_is_text() -> None:
    acc = feed_all(data({"content": [{"type": "text", "text": "a"},
                                     {"type": "text", "text": "b"}]}, "stop"))
    assert acc.text == "ab"


def test_think_tags_add_to_reasoning_sent_in_the_same_chunk() -> None:
    acc = feed_all(data({"reasoning_content": "field ", "content": "<think>tag</think>answer"},
                        "stop"))
    assert (acc.reasoning, acc.text) == ("field tag", "answer")


def test_a_held_back_tag_fragment_is_released_as_reasoning_by_flush() -> None:
    acc = feed_all(data({"content": "<think>still thinking</thi"}))
    assert acc.reasoning == "still thinking"
    assert acc.flush() == ChatDelta("", "</thi")
    assert acc.reasoning == "still thinking</thi"
    assert acc.flush() is None


def test_text_held_back_by_the_splitter_is_released_by_flush() -> None:
    acc = feed_all(data({"content": "<thi"}))
    assert acc.text == ""
    assert acc.flush() == ChatDelta("<thi", "")


# ------------------------------------------------------------------ metadata


def test_metadata_comes_from_the_first_chunk_that_names_a_model() -> None:
    acc = feed_all(
        data({"role": "assistant"}),  # no model yet: nothing is taken from it
        data({"content": "x"}, id="c-1", model="m", created=7, service_tier="flex"),
        data({}, "stop", id="c-2", model="other", system_fingerprint="fp-late"),
    )
    result = acc.finish()
    assert (result.id, result.model, result.created, result.service_tier) == (
        "c-1", "m", 7, "flex")
    assert result.system_fingerprint == "fp-late"  # only the finishing chunk had one


def test_an_early_system_fingerprint_is_not_replaced() -> None:
    acc = feed_all(data({"content": "x"}, model="m", system_fingerprint="fp-1"),
                   data({}, "stop", system_fingerprint="fp-2"))
    assert acc.finish().system_fingerprint == "fp-1"


def test_a_stream_without_metadata_leaves_it_unset() -> None:
    result = feed_all(data({"content": "x"}, "stop")).finish()
    assert (result.id, result.model, result.created, result.system_fingerprint,
            result.service_tier, result.logprobs, result.usage, result.refusal) == (
        None, None, None, None, None, None, None, None)


def test_logprobs_are_collected_across_chunks() -> None:
    token = {"token": "a", "logprob": -0.1}
    acc = feed_all(
        data(choices=[{"index": 0, "delta": {"content": "a"}, "logprobs": {"content": [token]}}]),
        data(choices=[{"index": 0, "delta": {"content": "b"}, "logprobs": {"content": None}}]),
        data(choices=[{"index": 0, "delta": {"content": "c"}, "logprobs": ["odd"]}]),
        data(choices=[{"index": 0, "delta": {}, "finish_reason": "stop",
                       "logprobs": {"content": [token, token]}}]),
    )
    assert acc.finish().logprobs == [token, token, token]


def test_media_links_use_the_media_kind() -> None:
    acc = feed_all(data({"content": "see https://cdn.example/out"}, "stop"),
                   media_kind="video")
    [link] = acc.finish().media
    assert (link.url, link.kind) == ("https://cdn.example/out", "video")


# ------------------------------------------------------------------ odd events


def test_json_after_leading_whitespace_is_still_a_chunk() -> None:
    acc = StreamAccumulator()
    assert acc.feed("  " + data({"content": "x"}, "stop")) == ChatDelta("x", "", None, "stop")


@pytest.mark.parametrize("event", ["  ", "PING", "Keep-Alive", " heartbeat ", "[ping]", "42",
                                   '"text"', "[1, 2]", "null"])
def test_keepalives_and_bare_scalars_add_nothing(event: str) -> None:
    acc = StreamAccumulator()
    assert acc.feed(event) is None
    assert not acc.done


def test_data_that_is_not_json_says_so_with_a_snippet() -> None:
    acc = feed_all(data({"content": "so far"}))
    with pytest.raises(IncompleteStreamError) as caught:
        acc.feed("garbage " + "z" * 300)
    assert caught.value.message == (
        f"The gateway sent a stream event that is not JSON ({'garbage ' + 'z' * 112!r}); the "
        "answer may be incomplete. The text received so far is on the error (partial_text).")
    assert caught.value.partial_text == "so far"


def test_a_chunk_of_an_unexpected_shape_is_a_typed_error() -> None:
    acc = feed_all(data({"content": "so far"}))
    event = json.dumps({"choices": [{"index": 0, "delta": "oops"}], "pad": "p" * 200})
    with pytest.raises(IncompleteStreamError) as caught:
        acc.feed(event)
    assert caught.value.message == (
        "The gateway sent a stream chunk of an unexpected shape (delta is not an object; chunk "
        f"{event[:120]!r}). The text received so far is on the error (partial_text).")
    assert caught.value.partial_text == "so far"


@pytest.mark.parametrize(("chunk", "what"), [
    ({"choices": {"0": {}}}, "choices is not a list of objects"),
    ({"choices": [1]}, "choices is not a list of objects"),
    ({"choices": [{"delta": {"content": 5}}]}, "content is neither text nor a list of parts"),
    ({"choices": [{"delta": {"tool_calls": {"id": "x"}}}]}, "tool_calls is not a list"),
    ({"choices": [{"delta": {"function_call": "f"}}]}, "function_call is not an object"),
])
def test_each_wrong_shape_is_named(chunk: dict[str, Any], what: str) -> None:
    acc = feed_all(data({"content": "kept"}))
    with pytest.raises(IncompleteStreamError, match=re.escape(f"({what}; chunk ")) as caught:
        acc.feed(json.dumps(chunk))
    assert caught.value.partial_text == "kept"


def test_a_bug_in_our_own_code_is_not_blamed_on_the_gateway(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Before, a catch-all turned any TypeError into "the gateway sent…": a bug looked like a
    # relay's fault and the property tests could not fail.
    from gateway_core.chat import reasoning

    def broken(self: Any, piece: str) -> tuple[str, str]:
        raise TypeError("a bug of ours")

    monkeypatch.setattr(reasoning.ThinkSplitter, "feed", broken)
    with pytest.raises(TypeError, match="a bug of ours"):
        feed_all(data({"content": "hello"}))


def test_named_events_other_than_error_carry_nothing() -> None:
    acc = StreamAccumulator()
    assert acc.feed_event(data({"content": "x"}), "ping") is None
    assert acc.feed_event(data({"content": "y"})) == ChatDelta("y")
    assert acc.text == "y"


# ------------------------------------------------------------------ errors carry what came


def partial_stream() -> StreamAccumulator:
    return feed_all(data({"reasoning_content": "think"}), data({"content": "half"}),
                    data({"tool_calls": [{"index": 0, "id": "c1", "function": {
                        "name": "f", "arguments": "{"}}]}),
                    request_id="rid-9", secrets=("sk-secret-1",))


PARTIAL_CALLS = [{"index": 0, "id": "c1", "name": "f", "arguments": "{"}]


def test_an_error_event_raises_with_everything_received() -> None:
    acc = partial_stream()
    with pytest.raises(GatewayError) as caught:
        acc.feed_event(json.dumps({"error": {"message": "upstream died sk-secret-1"}}), "error")
    error: Any = caught.value
    assert (error.status_code, error.request_id) == (200, "rid-9")
    assert error.message.startswith("Chat stream failed: upstream died ")
    assert "sk-secret-1" not in error.message
    assert (error.partial_text, error.partial_reasoning, error.partial_tool_calls,
            error.partial) == ("half", "think", PARTIAL_CALLS, None)


@pytest.mark.parametrize(("code", "status"), [(400, 400), (429, 429), (599, 599), (399, 200),
                                              (600, 200), ("rate_limit", 200), (None, 200)])
def test_an_error_chunk_uses_a_numeric_code_as_its_status(code: Any, status: int) -> None:
    acc = partial_stream()
    with pytest.raises(APIError) as caught:
        acc.feed(json.dumps({"error": {"message": "stop sk-secret-1", "code": code}}))
    error: Any = caught.value
    assert (error.status_code, error.request_id) == (status, "rid-9")
    assert error.message.startswith("Chat stream failed: stop ")
    assert "sk-secret-1" not in error.message
    assert (error.partial_text, error.partial_reasoning, error.partial_tool_calls) == (
        "half", "think", PARTIAL_CALLS)


def test_attach_partial_sets_every_partial_field() -> None:
    error = attach_partial(GatewayError("x"), "t", "r", PARTIAL_CALLS, partial=["kept"])
    assert (error.partial_text, error.partial_reasoning, error.partial_tool_calls,  # type: ignore[attr-defined]
            error.partial) == ("t", "r", PARTIAL_CALLS, ["kept"])  # type: ignore[attr-defined]


def test_a_broken_stream_says_why_and_keeps_the_text() -> None:
    acc = partial_stream()
    error = acc.broken(GatewayConnectionError("The connection dropped."))
    assert error is not None
    assert error.message == (
        "The stream broke before the answer was complete: The connection dropped. The text "
        "received so far is on the error (partial_text).")
    assert (error.partial_text, error.partial_reasoning, error.request_id) == (
        "half", "think", "rid-9")


@pytest.mark.parametrize(("done", "ended"), [(True, "after [DONE]"),
                                             (False, "when the connection closed")])
def test_no_finish_reason_says_how_the_stream_ended(done: bool, ended: str) -> None:
    acc = feed_all(data({"content": "cut"}), *(["[DONE]"] if done else []))
    with pytest.raises(IncompleteStreamError) as caught:
        acc.finish()
    assert caught.value.message == (
        f"The stream ended {ended} without a finish_reason, so the answer may be cut off "
        "(relays append [DONE] even after a truncated upstream). The text received so far is "
        "on the error (partial_text).")


# ------------------------------------------------------------------ what counts as one JSON chunk


@pytest.mark.parametrize("tail", [" ", "\t", "  \r\n "])
def test_a_chunk_followed_by_whitespace_is_read(tail: str) -> None:
    acc = feed_all(data({"content": "Hi"}) + tail, data({}, "stop"))
    assert acc.text == "Hi"
    assert acc.finish().finish_reason == "stop"


@pytest.mark.parametrize("extra", ["x", "}", data({"content": "again"}), ",", "]"])
def test_a_chunk_with_anything_but_whitespace_after_its_object_is_not_json(extra: str) -> None:
    acc = feed_all(data({"content": "Hi"}))
    with pytest.raises(IncompleteStreamError, match="not JSON") as caught:
        acc.feed(data({"content": " there"}) + extra)
    assert caught.value.partial_text == "Hi"


@pytest.mark.parametrize("cut", ['{"choices": [', '{"choices"', "{", '{"a": "unterminated'])
def test_an_object_cut_short_is_not_json(cut: str) -> None:
    with pytest.raises(IncompleteStreamError, match="not JSON"):
        StreamAccumulator().feed(cut)


# ------------------------------------------------------------------ found open by mutation


def test_an_empty_or_non_text_refusal_is_no_refusal() -> None:
    acc = feed_all(data({"content": "a", "refusal": ""}), data({"refusal": 7}, "stop"))
    assert acc.finish().refusal is None


def test_a_list_of_choices_with_anything_but_objects_is_a_shape_error() -> None:
    # choice 0 first, then junk: the list as a whole is malformed, not only a later choice.
    acc = feed_all(data({"content": "kept"}))
    with pytest.raises(IncompleteStreamError,
                       match=re.escape("(choices is not a list of objects; chunk ")):
        acc.feed(data(choices=[{"index": 0, "delta": {"content": "x"}}, "junk"]))
    assert acc.text == "kept"


def test_usage_inside_the_choice_is_read() -> None:
    # Kimi puts usage in the last choice instead of at the top level.
    acc = feed_all(data({"content": "hi"}),
                   data(choices=[{"index": 0, "delta": {}, "finish_reason": "stop",
                                  "usage": {"prompt_tokens": 3, "completion_tokens": 4}}]))
    usage = acc.finish().usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (3, 4, 7)


def test_an_error_array_in_the_stream_raises_the_typed_error() -> None:
    # Gemini's streamGenerateContent: [{"error": …}] as one event.
    acc = feed_all(data({"content": "half"}), request_id="rid-3")
    event = json.dumps([{"error": {"code": 429, "message": "Resource has been exhausted",
                                   "status": "RESOURCE_EXHAUSTED"}}])
    with pytest.raises(APIError) as caught:
        acc.feed(event)
    error: Any = caught.value
    assert type(error).__name__ == "RateLimitError"
    assert (error.status_code, error.request_id, error.partial_text) == (429, "rid-3", "half")
    assert error.message.startswith("Chat stream failed: Resource has been exhausted.")


def test_a_completions_shaped_chunk_is_read_as_content() -> None:
    acc = feed_all(data(choices=[{"index": 0, "text": "Hel", "finish_reason": None}]),
                   data(choices=[{"index": 0, "text": "lo", "finish_reason": "stop"}]))
    assert (acc.text, acc.finish().finish_reason) == ("Hello", "stop")


def test_a_completions_text_that_is_not_text_adds_nothing() -> None:
    acc = StreamAccumulator()
    assert acc.feed(data(choices=[{"index": 0, "text": 5}])) is None
    assert acc.feed(data(choices=[{"index": 0, "text": ["a"]}])) is None
    assert acc.text == ""


@pytest.mark.parametrize("cause", [GatewayConnectionError("The connection dropped."),
                                   DeadlineExceededError("The overall deadline passed.")])
def test_a_break_after_the_finish_reason_takes_nothing_away(cause: GatewayError) -> None:
    # a relay that drops the connection after its last event ("incomplete chunked read")
    acc = partial_stream()
    assert acc.broken(cause) is not None
    acc.feed(data({}, "stop"))
    assert acc.broken(cause) is None
    assert acc.finish().text == "half"


def test_the_callers_deadline_keeps_its_class_and_gets_the_partial_output() -> None:
    acc = partial_stream()
    deadline = DeadlineExceededError("The overall deadline of 5 s passed.")
    error: Any = acc.broken(deadline)
    assert error is deadline
    assert (error.partial_text, error.partial_reasoning, error.partial_tool_calls) == (
        "half", "think", PARTIAL_CALLS)


def test_an_error_event_without_data_names_the_200_it_came_in() -> None:
    with pytest.raises(APIError) as caught:
        StreamAccumulator().feed_event("", "error")
    assert caught.value.status_code == 200
    assert caught.value.message.startswith(
        "Chat stream failed: The gateway answered HTTP 200 with an empty body.")
