"""Error envelopes (protocol.md §2) and classification by status and by meaning."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway_core import errors as e
from gateway_core.errors import error_from_response, parse_error_body


def _json(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def test_openai_envelope() -> None:
    body = _json({"error": {"message": "bad thing (request id: 2024abc)", "type": "new_api_error",
                            "param": "model", "code": "invalid_request"}})
    error = error_from_response(400, body)
    assert isinstance(error, e.BadRequestError)
    assert error.code == "invalid_request"
    assert error.error_type == "new_api_error"
    assert error.param == "model"
    assert error.request_id == "2024abc"
    assert "request id:" not in error.message
    assert error.retryable is False


def test_request_id_header_wins_over_suffix() -> None:
    body = _json({"error": {"message": "x (request id: from-body)", "type": "t", "code": ""}})
    assert error_from_response(500, body, request_id="from-header").request_id == "from-header"


def test_claude_envelope() -> None:
    body = _json({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    info = parse_error_body(529, body)
    assert info.message == "Overloaded"
    assert info.error_type == "overloaded_error"


def test_task_envelope() -> None:
    body = _json({"code": "task_not_exist", "message": "task_not_exist", "data": None})
    error = error_from_response(400, body)
    assert isinstance(error, e.BadRequestError)
    assert error.code == "task_not_exist"


def test_midjourney_envelope() -> None:
    body = _json({"code": 4, "description": "prompt_is_required", "type": "new_api_error"})
    info = parse_error_body(400, body)
    assert info.message == "prompt_is_required"
    assert info.code == 4


@pytest.mark.parametrize("key", ["message", "msg", "err", "error_msg", "detail"])
def test_bare_string_fields(key: str) -> None:
    assert parse_error_body(502, _json({key: "upstream went away"})).message == "upstream went away"


def test_error_as_string() -> None:
    assert parse_error_body(500, _json({"error": "boom"})).message == "boom"


def test_empty_body() -> None:
    error = error_from_response(429, b"")
    assert isinstance(error, e.RateLimitError)
    assert error.retryable is True
    assert "empty body" in error.message


def test_cloudflare_html_page() -> None:
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway | api.example</title></head></html>"
    error = error_from_response(502, page, content_type="text/html")
    assert isinstance(error, e.ServerError)
    assert error.retryable is True
    assert "HTML" in error.message
    assert "502 Bad Gateway" in error.message


def test_plain_text_body() -> None:
    assert parse_error_body(500, b"upstream connect error").message == "upstream connect error"


def test_saturation_429_retryable() -> None:
    message = "当前分组上游负载已饱和，请稍后再试"
    body = _json({"error": {"message": message, "type": "upstream_error", "code": None}})
    error = error_from_response(429, body)
    assert isinstance(error, e.RateLimitError)
    assert error.retryable


def test_saturation_meaning_beats_status() -> None:
    message = "当前分组上游负载已饱和，请稍后再试"
    body = _json({"error": {"message": message, "type": "x", "code": ""}})
    assert isinstance(error_from_response(500, body), e.RateLimitError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_try_later_wording_never_makes_a_fatal_status_retryable(status: int) -> None:
    body = _json({"error": {"message": "该分组已禁用, 请稍后再试", "type": "new_api_error"}})
    error = error_from_response(status, body)
    assert not isinstance(error, e.RateLimitError)
    assert error.retryable is False


def test_quota_403_not_retryable_even_if_type_says_upstream() -> None:
    body = _json({"error": {"message": "用户额度不足", "type": "new_api_error",
                            "code": "insufficient_user_quota"}})
    error = error_from_response(403, body)
    assert isinstance(error, e.QuotaExceededError)
    assert error.retryable is False
    assert "quota" in error.message


def test_quota_wins_over_429() -> None:
    body = _json({"error": {"message": "You exceeded your current quota", "type": "x",
                            "code": "insufficient_quota"}})
    assert not error_from_response(429, body).retryable


@pytest.mark.parametrize(("status", "body"), [
    (503, {"error": {"message": "分组 default 下模型 x 无可用渠道（distributor）",
                     "type": "new_api_error", "code": "model_not_found"}}),
    (200, {"error": {"message": "model_not_found", "code": "model_not_found"}}),
    (500, {"error": {"message": "no available channel for this model", "code": ""}}),
])
def test_model_not_found_is_not_retried(status: int, body: dict[str, Any]) -> None:
    # A relay answers it at once for a model it does not route: waiting changes nothing.
    error = error_from_response(status, _json(body))
    assert isinstance(error, e.ModelNotAvailableError)
    assert not error.retryable


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, e.BadRequestError, False),
        (401, e.AuthenticationError, False),
        (403, e.PermissionDeniedError, False),
        (404, e.NotFoundError, False),
        (408, e.ServerError, True),
        (413, e.RequestTooLargeError, False),
        (422, e.BadRequestError, False),
        (500, e.ServerError, True),
        (501, e.EndpointNotSupportedError, False),
        (502, e.ServerError, True),
        (503, e.ServerError, True),
        (504, e.ServerError, True),
        (520, e.ServerError, True),
        (524, e.ServerError, True),
    ],
)
def test_status_classification(status: int, cls: type, retryable: bool) -> None:
    error = error_from_response(status, _json({"error": {"message": "m", "type": "t", "code": ""}}))
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.status_code == status


def test_api_not_implemented() -> None:
    body = _json({"error": {"message": "API not implemented", "type": "new_api_error",
                            "code": "api_not_implemented"}})
    assert isinstance(error_from_response(501, body), e.EndpointNotSupportedError)


def test_route_not_found_is_endpoint_not_supported() -> None:
    body = _json({"error": {"message": "Invalid URL (POST /v1/rerank)", "type":
                            "invalid_request_error", "code": ""}})
    error = error_from_response(404, body)
    assert type(error) is e.EndpointNotSupportedError


@pytest.mark.parametrize(("message", "base_path", "prefix", "seen"), [
    ("Invalid URL (POST /v1/v1/chat/completions)", "/v1", "/v1",
     "saw POST /v1/v1/chat/completions where the route is /v1/chat/completions"),
    # The quoted path decides, whatever base path we were given.
    ("Invalid URL (POST /v1/v1/chat/completions)", "", "/v1",
     "saw POST /v1/v1/chat/completions where the route is /v1/chat/completions"),
    ("Invalid URL (POST /api/v1/embeddings)", "/api", "/api",
     "saw POST /api/v1/embeddings where the route is /v1/embeddings"),
    ("404 page not found", "/openai", "/openai", "no such route"),
])
def test_a_missing_route_under_a_prefix_says_the_base_url_is_wrong(
        message: str, base_path: str, prefix: str, seen: str) -> None:
    error = error_from_response(404, _json({"error": {"message": message, "type":
                                                      "invalid_request_error"}}),
                                base_path=base_path)
    assert type(error) is e.BaseURLError
    assert isinstance(error, e.EndpointNotSupportedError)  # existing handlers still catch it
    assert "base URL" in str(error)
    assert seen in str(error)
    assert f"Remove {prefix!r} from base_url" in str(error)
    assert "model name" not in str(error)
    assert error.gateway_message == message


@pytest.mark.parametrize("base_path", ["", "/api"])
def test_a_route_seen_as_we_meant_it_is_an_endpoint_the_gateway_lacks(base_path: str) -> None:
    # A proxy that strips /api hands the gateway the route itself: the endpoint is missing.
    error = error_from_response(404, _json({"error": {"message": "Invalid URL (POST /v1/rerank)",
                                                      "type": "invalid_request_error"}}),
                                base_path=base_path)
    assert type(error) is e.EndpointNotSupportedError


def test_context_overflow() -> None:
    body = _json({"error": {"message": "This model's maximum context length is 8192 tokens",
                            "type": "invalid_request_error", "code": "context_length_exceeded"}})
    assert isinstance(error_from_response(400, body), e.ContextWindowExceededError)


def test_key_is_redacted_from_gateway_messages() -> None:
    key = "sk-abcdefghijklmnop"
    body = _json({"error": {"message": f"invalid token {key} / abcdefghijklmnop", "type": "t"}})
    error = error_from_response(401, body, secrets=[key])
    assert key not in str(error)
    assert "abcdefghijklmnop" not in str(error)
    assert key not in repr(error)


def test_find_error_in_200_body() -> None:
    assert e.find_error_in_body({"error": {"message": "m"}}) is not None
    assert e.find_error_in_body({"success": False, "message": "get user group failed"}) is not None
    assert e.find_error_in_body({"error": None, "choices": []}) is None
    assert e.find_error_in_body({"id": "x", "choices": []}) is None
    assert e.find_error_in_body([1, 2]) is None


def test_str_carries_status_code_and_request_id() -> None:
    body = _json({"error": {"message": "m", "type": "t", "code": "c"}})
    text = str(error_from_response(400, body, request_id="rid-1"))
    assert "HTTP 400" in text
    assert "code=c" in text
    assert "rid-1" in text


def test_incomplete_stream_error_keeps_partial_output() -> None:
    error = e.IncompleteStreamError("cut", partial_text="Hel", partial_reasoning="hm",
                                    partial_tool_calls=[{"name": "f"}])
    assert (error.partial_text, error.partial_reasoning) == ("Hel", "hm")
    assert error.partial_tool_calls == [{"name": "f"}]
    assert isinstance(error, e.StreamError)


def test_every_error_is_a_gateway_error() -> None:
    for name in e.__all__:
        obj = getattr(e, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, e.GatewayError)


@pytest.mark.parametrize(("content", "content_type"), [
    ('{"error": {"message": "用户余额不足"}}'.encode("gbk"), "text/html; charset=GBK"),
    ('{"error": {"message": "用户余额不足"}}'.encode("gb18030"), "text/plain; charset=gb18030"),
    (b"\xef\xbb\xbf  " + '{"error": {"message": "用户余额不足"}}'.encode(), "text/html"),
    ('{"error": {"message": "用户余额不足"}}'.encode(), "text/plain; charset=x-unknown-7"),
])
def test_a_json_error_under_any_label_and_charset_keeps_class_and_words(
        content: bytes, content_type: str) -> None:
    error = error_from_response(500, content, content_type=content_type)
    assert type(error) is e.QuotaExceededError
    assert error.gateway_message == "用户余额不足"
    assert not error.html_page


@pytest.mark.parametrize(("page", "content_type"), [
    ("<html><head><title>网关首页</title></head></html>".encode("gbk"), "text/html; charset=gbk"),
    ('<!doctype html><html><head><meta charset="gbk"><title>网关首页</title></head></html>'
     .encode("gbk"), "text/html"),
    ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=GB2312">'
     "<title>网关首页</title></head></html>".encode("gb2312"), ""),
])
def test_an_html_title_is_read_in_the_pages_charset(page: bytes, content_type: str) -> None:
    error = error_from_response(200, page, content_type=content_type)
    assert error.html_page
    assert "(网关首页)" in str(error)
    assert "base URL" in str(error)
    assert error.retryable is False


def test_a_cloudflare_challenge_says_so() -> None:
    page = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
            b"<body><div id='cf-chl-widget'></div></body></html>")
    error = error_from_response(403, page, content_type="text/html")
    assert error.html_page
    assert "(Just a moment...)" in str(error)
    assert "Cloudflare" in str(error)
    assert error.retryable is False


class _Twin(e.RateLimitError):
    """A subclass standing in for a framework adapter's dual class."""


def test_recast_copies_every_field_chain_and_traceback_and_leaves_the_original() -> None:
    cause = OSError("reset")
    try:
        try:
            raise cause
        except OSError as exc:
            raise e.RateLimitError("slow down", status_code=429, code="rate_limit",
                                 request_id="r1") from exc
    except e.RateLimitError as caught:
        original = caught
    original.retry_after = 2.5
    original.partial_text = "so far"
    twin = original.recast(_Twin)
    assert type(twin) is _Twin
    assert type(original) is e.RateLimitError
    assert (twin.message, twin.status_code, twin.code, twin.request_id) == (
        "slow down", 429, "rate_limit", "r1")
    assert (twin.retry_after, twin.partial_text, twin.retryable) == (2.5, "so far", True)
    assert twin.args == original.args
    assert str(twin) == str(original)
    assert twin.__cause__ is cause
    assert twin.__suppress_context__
    assert twin.__traceback__ is original.__traceback__
    twin.partial = "chunk"
    assert original.partial is None


def test_recast_refuses_a_class_that_is_not_a_subclass() -> None:
    with pytest.raises(TypeError, match="not a subclass"):
        e.RateLimitError("x").recast(e.ServerError)
