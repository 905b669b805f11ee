"""Every branch of the error classification and of body parsing, with the exact words the user
reads. Mutation testing showed the advice sentences and several body shapes were unpinned; the
advice is part of the contract (it says what to do), so each one is checked in full."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway_core import errors as e
from gateway_core.errors import error_from_response, parse_error_body

QUOTA = "The key or account has run out of quota: top up or use another key. Not retried."
NO_CHANNEL = ("No channel of your key's group serves this model: check the model name "
              "(`gateway-kit models`) and the key's group. Not retried.")
RATE = ("The gateway is rate-limiting this key or its upstream is saturated: wait and retry, "
        "lower concurrency, or raise max_retries.")
AUTH = "The API key was refused: check api_key / GATEWAY_API_KEY and that the key is enabled."
DENIED = ("The key is not allowed to do this (model not enabled for its group, IP or channel "
          "restrictions): check the key's settings on the gateway.")
NO_ENDPOINT = "This gateway does not implement the endpoint."
NOT_FOUND = "Check the id or model name; the gateway does not know it."
TOO_LARGE = "The request body is too large for the gateway: send fewer or smaller inputs."
CONTEXT = "The prompt is longer than the model's context window: shorten it."
BAD = "The gateway rejected the request as invalid."
SERVER = "The gateway or its upstream failed; retrying later may work."
OTHER = "The gateway reported an error."


def body(message: str, code: Any = None, type_: str = "x") -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": type_}
    if code is not None:
        error["code"] = code
    return {"error": error}


@pytest.mark.parametrize(("status", "sent", "cls", "retryable", "advice"), [
    (403, body("用户额度不足", "insufficient_user_quota"), e.QuotaExceededError, False, QUOTA),
    (503, body("no channel", "model_not_found"), e.ModelNotAvailableError, False, NO_CHANNEL),
    (200, body("no channel", "model_not_found"), e.ModelNotAvailableError, False, NO_CHANNEL),
    (404, body("The model `x` does not exist", "model_not_found", "invalid_request_error"),
     e.NotFoundError, False, NOT_FOUND),
    (429, body("slow down"), e.RateLimitError, True, RATE),
    (500, body("当前分组上游负载已饱和，请稍后再试"), e.RateLimitError, True, RATE),
    (401, body("bad key"), e.AuthenticationError, False, AUTH),
    (403, body("not allowed"), e.PermissionDeniedError, False, DENIED),
    (501, body("API not implemented"), e.EndpointNotSupportedError, False, NO_ENDPOINT),
    (404, body("Route not found", type_="invalid_request_error"), e.EndpointNotSupportedError,
     False, NO_ENDPOINT),
    (404, body("route not found", type_="other"), e.EndpointNotSupportedError, False,
     NO_ENDPOINT),
    (404, body("no such thing", type_="other"), e.NotFoundError, False, NOT_FOUND),
    (413, body("too big"), e.RequestTooLargeError, False, TOO_LARGE),
    (400, body("This model's maximum context length is 8192 tokens"),
     e.ContextWindowExceededError, False, CONTEXT),
    (422, body("bad", "context_length_exceeded"), e.ContextWindowExceededError, False, CONTEXT),
    (400, body("bad param"), e.BadRequestError, False, BAD),
    (502, body("upstream"), e.ServerError, True, SERVER),
    (507, body("odd"), e.ServerError, True, SERVER),
    (418, body("teapot"), e.APIError, False, OTHER),
])
def test_each_class_with_its_advice(status: int, sent: dict[str, Any], cls: type,
                                    retryable: bool, advice: str) -> None:
    error = error_from_response(status, json.dumps(sent, ensure_ascii=False).encode())
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.message == f"{sent['error']['message'].rstrip('.')}. {advice}"


HTML = ("An HTML page came back{} instead of a JSON answer: usually the base URL points at the "
        "site's web front end instead of its API: use the address its docs give for API calls "
        "(new-api serves them under /v1).")


@pytest.mark.parametrize(("content", "content_type", "expected"), [
    (b"", "", ("The gateway answered HTTP 418 with an empty body.", None, None, None, False)),
    (b"  ", "", ("The gateway answered HTTP 418 with an empty body.", None, None, None, False)),
    (b"<html><head><title>502  Bad\n Gateway</title></head></html>", "",
     (HTML.format(" (502 Bad Gateway)"), None, None, None, True)),
    (b"<html>no title</html>", "", (HTML.format(""), None, None, None, True)),
    (b'{"x": 1}', "text/HTML; charset=utf-8", ('{"x": 1}', None, None, None, False)),
    (b"plain failure text", "", ("plain failure text", None, None, None, False)),
    (b'"just a string"', "", ("just a string", None, None, None, False)),
    (b"[1, 2]", "", ("[1, 2]", None, None, None, False)),
    (b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}', "",
     ("Overloaded", None, "overloaded_error", None, False)),
    (b'{"type": "upstream", "error": {"code": "c1"}}', "",
     ('{"code": "c1"}', "c1", "upstream", None, False)),
    (b'{"error": {"msg": "via msg", "param": 5}}', "", ("via msg", None, None, None, False)),
    (b'{"error": {"detail": "via detail", "param": "model"}}', "",
     ("via detail", None, None, "model", False)),
    (b'{"error": "flat error", "code": 7, "type": "t"}', "", ("flat error", 7, "t", None, False)),
    (b'{"success": false, "code": "E1"}', "",
     ("the gateway reported failure", "E1", None, None, False)),
    (b'{"success": false, "message": "nope"}', "", ("nope", None, None, None, False)),
    ('{"code": 23, "description": "队列已满", "result": null}'.encode(), "",
     ("队列已满", 23, None, None, False)),
    (b'{"code": "success", "message": "odd", "type": 5}', "", ("odd", None, None, None, False)),
    (b'{"code": 0, "msg": "zero code"}', "", ("zero code", None, None, None, False)),
    (b'{"code": 1, "msg": "one code"}', "", ("one code", 1, None, None, False)),
    (b'{"code": "bad", "err": "via err", "type": "kind"}', "",
     ("via err", "bad", "kind", None, False)),
    (b'{"error_msg": "via error_msg"}', "", ("via error_msg", None, None, None, False)),
    (b'{"detail": {"loc": ["body"]}}', "", ('{"loc": ["body"]}', None, None, None, False)),
    (b'{"header": {"code": 400, "message": "via header"}}', "",
     ("via header", 400, None, None, False)),
    (b'{"header": {"code": 400}}', "", ('{"header": {"code": 400}}', None, None, None, False)),
    (b'{"error": {}, "message": "outer"}', "", ("outer", None, None, None, False)),
    (b'{"error": {"code": ["a", 1], "type": {"k": 1}, "message": "odd fields"}}', "",
     ("odd fields", '["a", 1]', '{"k": 1}', None, False)),
])
def test_every_body_shape(content: bytes, content_type: str, expected: tuple[Any, ...]) -> None:
    info = parse_error_body(418, content, content_type)
    assert (info.message, info.code, info.error_type, info.param, info.is_html) == expected


def test_long_bodies_are_cut() -> None:
    assert len(parse_error_body(500, b"x" * 10_000).message) < 10_000
    assert len(parse_error_body(500, json.dumps("y" * 10_000).encode()).message) < 10_000


def test_the_request_id_suffix_moves_to_its_field_and_what_prefixes() -> None:
    sent = body("upstream busy (request id: 2024abc)")
    error = error_from_response(502, json.dumps(sent).encode(), what="Embedding")
    assert error.request_id == "2024abc"
    assert error.message == f"Embedding failed: upstream busy. {SERVER}"
    given = error_from_response(502, json.dumps(sent).encode(), request_id="hdr-1")
    assert given.request_id == "hdr-1"


def test_an_html_page_below_500_is_not_retried_but_above_is() -> None:
    page = b"<html><title>oops</title></html>"
    assert not error_from_response(429, page).retryable
    assert error_from_response(502, page).retryable


@pytest.mark.parametrize(("content", "expected"), [
    (b'{"type": "error", "error": {"message": "m"}}', ("m", None)),  # "error" is no type
    (b'{"type": 5, "error": {"message": "m"}}', ("m", None)),
    (b'{"code": 2, "msg": "two"}', ("two", 2)),
    (b'{"code": true, "msg": "flag"}', ("flag", None)),
    (b'{"error": ["not", "an object"], "message": "outer"}', ("outer", None)),
    ('{"error": {"code": "c", "note": "队列"}}'.encode(), ('{"code": "c", "note": "队列"}', "c")),
])
def test_more_body_shapes(content: bytes, expected: tuple[Any, ...]) -> None:
    info = parse_error_body(400, content)
    assert (info.message, info.code) == expected
    assert info.error_type is None


def test_undecodable_bytes_are_replaced_and_long_titles_cut() -> None:
    assert parse_error_body(500, b"bad \xff bytes").message == "bad \ufffd bytes"
    page = b"<html><title>bad \xff " + b"t" * 300 + b"</title></html>"
    message = parse_error_body(500, page).message
    assert "(bad \ufffd " + "t" * 194 + ")" in message  # 200 characters
    assert "t" * 195 not in message


@pytest.mark.parametrize("message", ["已满。", "Stop!", "Why?", "Done."])
def test_a_message_that_ends_a_sentence_gets_no_extra_full_stop(message: str) -> None:
    error = error_from_response(418, json.dumps(body(message)).encode())
    assert error.message == f"{message} {OTHER}"


def test_english_quota_and_saturation_words_are_recognised_in_any_case() -> None:
    assert type(error_from_response(403, json.dumps(body("Insufficient QUOTA")).encode())) is (
        e.QuotaExceededError)
    assert type(error_from_response(500, json.dumps(body("Upstream SATURATED")).encode())) is (
        e.RateLimitError)


def test_the_content_type_and_status_reach_the_body_parser() -> None:
    labelled_html = error_from_response(
        502, b'{"error": {"message": "upstream down", "code": "u1"}}', content_type="text/html")
    assert labelled_html.gateway_message == "upstream down"
    assert labelled_html.code == "u1"
    assert not labelled_html.html_page
    empty = error_from_response(502, b"")
    assert empty.message.startswith("The gateway answered HTTP 502 with an empty body.")


def test_html_pages_retryability_and_the_gateway_message() -> None:
    page = b"<html><title>oops</title></html>"
    assert error_from_response(499, page).retryable is False
    assert error_from_response(500, page).retryable is True
    error = error_from_response(502, json.dumps(body("raw words")).encode())
    assert error.gateway_message == "raw words"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("message", "cls"), [
    ("配额不够", e.QuotaExceededError),
    ("超出配额，请充值", e.QuotaExceededError),
    ("QPM 配额超限，请降低请求频率", e.RateLimitError),  # a rate quota is a rate limit
    ("频率太快，请稍后", e.RateLimitError),
    ("请求过于频繁", e.RateLimitError),
    ("调用频率超过上限", e.RateLimitError),
    ("该令牌已过期", e.AuthenticationError),
    ("令牌验证失败", e.AuthenticationError),
    ("鉴权错误", e.AuthenticationError),
    ("该令牌无权访问模型 x", e.PermissionDeniedError),
    ("该令牌额度已用尽", e.QuotaExceededError),
    ("上游返回错误", e.ServerError),
    ("当前负载过高", e.ServerError),
    ("音频采样频率不支持", e.APIError),  # a sample rate, not a rate of requests
    ("输入令牌数为 12", e.APIError),  # tokens of text, not the key
])
def test_chinese_words_in_a_200_body_choose_the_class(message: str, cls: type) -> None:
    error = error_from_response(200, json.dumps({"code": 1, "msg": message},
                                                ensure_ascii=False).encode())
    assert type(error) is cls
    assert error.gateway_message == message


@pytest.mark.parametrize("status", [503, 200, 404, 400])
def test_no_channel_for_the_model_is_model_not_available_at_any_status(status: int) -> None:
    message = "当前分组 default 下对于模型 gpt-5 无可用渠道"
    error = error_from_response(status, json.dumps(body(message), ensure_ascii=False).encode())
    assert type(error) is e.ModelNotAvailableError
    assert error.retryable is False
