"""Error rules found unpinned by mutation testing, each through its public function: what a
redacted message shows, the base-URL advice word for word, the full stop a message ends with,
and what a status, an envelope's code or its words mean (error_meaning.py), and which bodies are
errors at all (envelopes.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway_core.envelopes import ErrorInfo
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
