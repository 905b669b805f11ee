"""Result URL search order (protocol.md §16.7)."""

from __future__ import annotations

from gateway_core.tasks.results import find_result_urls, is_url

V = "https://cdn.example.com/v.mp4"


def test_order_result_url_first() -> None:
    body = {"url": "https://a/url.mp4", "result_url": "https://a/result.mp4",
            "video_url": "https://a/video.mp4", "metadata": {"url": "https://a/meta.mp4"}}
    assert find_result_urls(body) == ["https://a/result.mp4", "https://a/url.mp4",
                                      "https://a/video.mp4", "https://a/meta.mp4"]


def test_metadata_url_openai_object() -> None:
    assert find_result_urls({"id": "task_1", "status": "completed", "metadata": {"url": V}}) == [V]


def test_newapi_envelope_with_raw_upstream() -> None:
    doubao = {"code": "success", "data": {"status": "SUCCESS", "result_url": "",
                                         "data": {"content": {"video_url": V}}}}
    assert find_result_urls(doubao) == [V]
    kling = {"data": {"status": "SUCCESS", "data": {"code": 0, "data": {
        "task_status": "succeed", "task_result": {"videos": [{"url": V}, {"url": V + "?2"}]}}}}}
    assert find_result_urls(kling) == [V, V + "?2"]
    vidu = {"creations": [{"url": V}]}
    ali = {"output": {"video_url": V}}
    assert find_result_urls(vidu) == [V]
    assert find_result_urls(ali) == [V]


def test_a_key_anywhere_beats_a_later_key_outside() -> None:
    body = {"url": "https://a/outer.mp4", "data": {"result_url": "https://a/inner.mp4"}}
    assert find_result_urls(body)[0] == "https://a/inner.mp4"


def test_fail_reason_only_on_success() -> None:
    legacy = {"status": "SUCCESS", "fail_reason": V, "result_url": ""}
    assert find_result_urls(legacy, succeeded=True) == [V]
    assert find_result_urls(legacy, succeeded=False) == []
    failed = {"status": "FAILURE", "fail_reason": "content blocked"}
    assert find_result_urls(failed, succeeded=True) == []


def test_not_urls_are_ignored() -> None:
    assert find_result_urls({"url": "", "video_url": None, "result_url": "ftp://x"}) == []
    assert not is_url("javascript:alert(1)")
    assert not is_url("https://a b")
    assert find_result_urls("not an object") == []
    assert find_result_urls([{"url": V}]) == [V]
