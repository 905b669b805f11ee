"""Error rules found unpinned by mutation testing, each through its public function: what a
redacted message shows, the base-URL advice word for word, the full stop a message ends with,
and what a status, an envelope's code or its words mean (error_meaning.py), and which bodies are
errors at all (envelopes.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway_core.envelopes import ErrorInfo, find_error_in_body, parse_error_body
from gateway_core.error_meaning import effective_status, is_saturation, meaning, wrong_prefix
from gateway_core.errors import error_from_response, redact


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


# ------------------------------------------------------------------ errors.py: redaction


@pytest.mark.parametrize(("text", "secrets", "shown"), [
    # The key and its sk-less form each become exactly ***.
    ("key sk-abcdef12345 or abcdef12345", ["sk-abcdef12345"], "key *** or ***"),
    # An empty secret is skipped, not the end of the list.
    ("key sk-abcdef12345", ["", "sk-abcdef12345"], "key ***"),
    # An sk-less form of exactly 8 characters is still a secret; of 7 it is too common a word.
    ("sk-12345678 and 12345678", ["sk-12345678"], "*** and ***"),
    ("sk-1234567 and 1234567", ["sk-1234567"], "*** and 1234567"),
    # A secret without the sk- prefix is only removed whole.
    ("tok-0123456789ab and -0123456789ab", ["tok-0123456789ab"], "*** and -0123456789ab"),
])
def test_redaction_removes_each_secret_and_the_sk_less_form(text: str, secrets: list[str],
                                                            shown: str) -> None:
    assert redact(text, secrets) == shown


# ------------------------------------------------------------------ errors.py: the message


def test_the_base_url_advice_word_for_word() -> None:
    quoted = error_from_response(404, _json({"error": {"message": "Invalid URL (POST /v1/v1/x)"}}))
    assert quoted.message == (
        "Invalid URL (POST /v1/v1/x). The gateway saw POST /v1/v1/x where the route is /v1/x: "
        "the base URL is wrong, it adds the path prefix '/v1'. Remove '/v1' from base_url "
        "(relays serve /v1/... at their root: give base_url as https://host or "
        "https://host/v1).")
    unquoted = error_from_response(404, _json({"error": {"message": "404 page not found"}}),
                                   base_path="/openai/")
    assert unquoted.message == (
        "404 page not found. The gateway has no such route: the base URL's path prefix "
        "'/openai' is probably wrong. Remove '/openai' from base_url (relays serve /v1/... at "
        "their root: give base_url as https://host or https://host/v1).")


def test_a_message_cut_after_its_full_stop_gets_no_second_one_nor_a_double_space() -> None:
    message = "x" * 598 + ". " + "y" * 50  # cut at 600 characters: "…x. "
    error = error_from_response(500, _json({"error": {"message": message}}))
    assert error.message.startswith("x" * 598 + ". The gateway or its upstream failed")


def test_a_message_cut_after_a_space_gets_its_full_stop_at_the_word() -> None:
    message = "x" * 599 + " " + "y" * 50  # cut at 600 characters: "…x "
    error = error_from_response(500, _json({"error": {"message": message}}))
    assert error.message.startswith("x" * 599 + ". The gateway or its upstream failed")


# ------------------------------------------------------------------ error_meaning.py


def info(message: str = "Something happened", **fields: Any) -> ErrorInfo:
    return ErrorInfo(message=message, **fields)


@pytest.mark.parametrize(("code", "kind"), [
    # DashScope's named codes, by the part before the first dot, in any case.
    ("Throttling.RateQuota", "rate_limit"),
    ("Throttling.Rate.Quota", "rate_limit"),
    ("InvalidApiKey", "auth"),
    ("DataInspectionFailed", "bad_request"),
    # An HTTP-like code, as a number or as digits, from 400 up to 599 only.
    (429, "rate_limit"), ("429", "rate_limit"),
    (400, "bad_request"), ("400", "bad_request"),
    (599, "server"), ("599", "server"),
    (600, "other"), ("600", "other"), (399, "other"), ("399", "other"),
    (True, "other"),
])
def test_the_code_of_an_error_inside_a_200_says_what_it_is(code: Any, kind: str) -> None:
    assert meaning(200, info(code=code)) == kind


def test_a_quota_code_or_type_alone_means_quota_at_any_status() -> None:
    assert meaning(403, info("Denied", code="insufficient_user_quota")) == "quota"
    assert meaning(429, info("Denied", error_type="insufficient_quota")) == "quota"
    assert meaning(429, info("Denied", code=["insufficient_quota"])) == "rate_limit"


def test_an_error_status_decides_whatever_the_body_says() -> None:
    assert effective_status(400, info("rate limit reached", code=429)) == 400
    assert meaning(400, info("rate limit reached", code=429)) == "bad_request"
    assert effective_status(399, info(code=429)) == 429


def test_a_404_model_not_found_is_not_a_missing_route() -> None:
    assert meaning(404, info("no route to model x", code="model_not_found")) == "not_found"
    assert meaning(404, info("no route to model x")) == "not_implemented"


def test_without_a_base_path_a_missing_route_is_a_missing_endpoint() -> None:
    assert meaning(404, info("404 page not found")) == "not_implemented"
    assert wrong_prefix("404 page not found") is None


@pytest.mark.parametrize(("base_path", "prefix"), [
    ("/openai/", "/openai"), ("/", None), ("", None), ("/relay-X/", "/relay-X"),
])
def test_the_base_paths_prefix_without_its_slash(base_path: str, prefix: str | None) -> None:
    assert wrong_prefix("404 page not found", base_path) == prefix


def test_saturation_words_in_any_case() -> None:
    assert is_saturation("Upstream SATURATED, 请稍后再试")
    assert not is_saturation("Bad request")


# ------------------------------------------------------------------ envelopes.py


@pytest.mark.parametrize(("status", "body", "expected"), [
    (400, {"error": {"message": "m", "type": "t", "param": "p", "code": "c"}},
     ErrorInfo("m", code="c", error_type="t", param="p", family="openai")),
    (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
     ErrorInfo("Overloaded", error_type="overloaded_error", family="anthropic")),
    (429, {"error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}},
     ErrorInfo("m", code=429, family="gemini", status_name="RESOURCE_EXHAUSTED")),
    (429, [{"error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}}],
     ErrorInfo("m", code=429, family="gemini", status_name="RESOURCE_EXHAUSTED")),
    (400, {"error": "boom", "code": "c", "type": "t"},
     ErrorInfo("boom", code="c", error_type="t", family="openai")),
    (200, {"error_code": 18, "error_msg": "Open api qps request limit reached"},
     ErrorInfo("Open api qps request limit reached", code=18, family="baidu")),
    (200, {"error_code": 336100}, ErrorInfo("336100", code=336100, family="baidu")),
    (200, {"success": False, "msg": "no"}, ErrorInfo("no", family="success")),
    (200, {"success": False, "message": "m", "code": 7}, ErrorInfo("m", code=7, family="success")),
    (200, {"code": 1102, "msg": "m", "type": "t", "request_id": "r"},
     ErrorInfo("m", code=1102, error_type="t", family="code", request_id="r")),
    (200, {"code": 500, "msg": "failed", "data": ""},
     ErrorInfo("failed", code=500, family="code")),
    (404, {"detail": "Not Found"}, ErrorInfo("Not Found", family="fastapi")),
    (422, {"detail": [{"loc": ["body", "model"], "msg": "field required"},
                      {"msg": "bad"}, "see the location", 5]},
     ErrorInfo("body.model: field required; bad; see the location; 5", family="fastapi",
               error_type="request_validation_error")),
    (400, {"detail": [{"msg": "bad"}, "see the location"]},
     ErrorInfo("bad; see the location", family="fastapi")),
    # No envelope: a lone message-like field of a non-2xx body (a code meaning "ok" dropped).
    (500, {"err": "m", "code": 2, "type": "t"},
     ErrorInfo("m", code=2, error_type="t", family="bare")),
    (500, {"description": "Submitted", "code": 1}, ErrorInfo("Submitted", family="bare")),
    (404, {"detail": "Not Found", "path": "/x"}, ErrorInfo("Not Found", family="fastapi")),
    (500, {"header": {"message": "m", "code": 7}}, ErrorInfo("m", code=7, family="bare")),
])
def test_each_envelope_is_read_field_by_field(status: int, body: Any,
                                              expected: ErrorInfo) -> None:
    assert parse_error_body(status, _json(body)) == expected


@pytest.mark.parametrize("body", [
    [{"code": 500, "msg": "in an array only an error object counts"}],
    {"error_code": "0", "result": "ok"},
    {"code": 1, "msg": "Success"},
    {"code": 7, "msg": "m", "data": {"id": 1}},
])
def test_bodies_that_are_not_errors(body: Any) -> None:
    assert find_error_in_body(body) is None


def test_a_status_name_is_text_or_nothing() -> None:
    assert ErrorInfo("m", status_name="UNAVAILABLE").status_name == "UNAVAILABLE"
    assert ErrorInfo("m", status_name=["UNAVAILABLE"]).status_name is None  # type: ignore[arg-type]


CHALLENGE = ("a Cloudflare (or other WAF) challenge page: the site blocks scripted clients from "
             "this network; ask the gateway's operator to allow API traffic, or use another "
             "network or the site's API domain")
PROXY = ("an error page of a proxy in front of the gateway (Cloudflare, nginx): the gateway "
         "behind it is down or overloaded")
FRONT_END = ("usually the base URL points at the site's web front end instead of its API: use "
             "the address its docs give for API calls (new-api serves them under /v1)")


@pytest.mark.parametrize(("status", "page", "hint"), [
    (403, b"<html><title>Just a moment...</title></html>", CHALLENGE),
    (500, b"<html><title>502 Bad Gateway</title></html>", PROXY),
    (499, b"<html><title>Home</title></html>", FRONT_END),
    # Only the first 20,000 bytes are searched for a challenge.
    (403, b"<html>" + b" " * 19_988 + b"captcha", FRONT_END),
    (403, b"<html>" + b" " * 19_987 + b"captcha", CHALLENGE),
])
def test_an_html_page_says_what_it_probably_is(status: int, page: bytes, hint: str) -> None:
    found = parse_error_body(status, page)
    assert (found.is_html, found.html_hint) == (True, hint)
    assert found.message.endswith(f" instead of a JSON answer: {hint}.")


@pytest.mark.parametrize("content_type", ["text/html; charset=gbk", "text/html; Charset=GBK"])
def test_the_headers_charset_wins_over_the_pages_own(content_type: str) -> None:
    page = '<html><meta charset="utf-8"><title>错误</title></html>'.encode("gbk")
    found = parse_error_body(403, page, content_type)
    assert found.message.startswith("An HTML page came back (错误) instead")


def test_the_request_id_suffix_goes_with_the_spaces_before_it() -> None:
    error = error_from_response(500, _json({"error": {"message": "boom \t （request id: r-1） "}}))
    assert (error.gateway_message, error.request_id) == ("boom", "r-1")


@pytest.mark.parametrize(("spaces", "title"), [(4074, "café"), (4075, "caf\ufffd")])
def test_a_meta_charset_counts_only_within_the_first_4096_bytes(spaces: int, title: str) -> None:
    # "l1" is Latin-1; cut by the limit to "l" it names no charset and UTF-8 is used.
    page = b"<html>" + b" " * spaces + b"<meta charset=l1><title>caf\xe9</title></html>"
    assert parse_error_body(403, page).message.startswith(f"An HTML page came back ({title})")
