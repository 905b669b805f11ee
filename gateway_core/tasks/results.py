"""Where a finished task's media is: the URL search order of protocol.md §16.7.

``result_url`` → ``url`` → ``video_url`` → ``metadata.url`` → the provider-native places
(Doubao ``content.video_url``, Kling ``task_result.videos[].url``, Vidu ``creations[].url``, Ali
``output.video_url``, …) → ``fail_reason`` when it holds a link and the task succeeded (old
new-api stored the video URL there). Each key is looked for in the object and in the ``data``
wrappers nested inside it (new-api's envelope, then the raw upstream body), before the next
key is tried. The last resort, ``GET /v1/videos/{id}/content``, belongs to the protocol modules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["find_result_urls", "is_url", "result_containers"]

_MAX_DEPTH = 4


def is_url(value: Any) -> bool:
    """An http(s) link (what a gateway may hand back as a result)."""
    return isinstance(value, str) and value.startswith(("http://", "https://")) and " " not in value


def result_containers(body: Any) -> list[Mapping[str, Any]]:
    """The object and the objects nested under ``data`` (and ``data.data``, …), outermost first."""
    found: list[Mapping[str, Any]] = []
    node = body
    for _ in range(_MAX_DEPTH):
        if isinstance(node, Sequence) and not isinstance(node, (str, bytes)) and node:
            node = node[0]
        if not isinstance(node, Mapping):
            break
        found.append(node)
        node = node.get("data")
    return found


def _get(node: Any, *path: str | int) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, Sequence) or isinstance(node, (str, bytes)):
                return None
            if len(node) <= step:
                return None
            node = node[step]
        else:
            if not isinstance(node, Mapping):
                return None
            node = node.get(step)
    return node


def _all_of(node: Any, list_key: str, item_key: str) -> list[Any]:
    items = node.get(list_key) if isinstance(node, Mapping) else None
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        return []
    return [item.get(item_key) if isinstance(item, Mapping) else item for item in items]


def _direct(node: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Candidates per rule, in priority order, for one container."""
    yield [node.get("result_url")]
    yield [node.get("url")]
    yield [node.get("video_url")]
    yield [_get(node, "metadata", "url")]
    yield [_get(node, "content", "video_url")]
    yield _all_of(node.get("task_result"), "videos", "url")
    yield _all_of(node, "creations", "url")
    yield [_get(node, "output", "video_url")]
    yield _all_of(node, "videos", "url")
    yield [_get(node, "file", "download_url")]
    yield [_get(node, "assets", "video")]
    yield _all_of(node, "output", "url") or [_get(node, "output", 0)]
    yield _all_of(node, "video_urls", "url") or _all_of(node, "videoUrls", "url")


def find_result_urls(body: Any, *, succeeded: bool = False) -> list[str]:
    """Every result link in priority order (first = the one to use), without duplicates.

    ``succeeded`` allows the legacy ``fail_reason`` URL (only trusted on success).
    """
    containers = result_containers(body)
    urls: list[str] = []
    rules = [list(_direct(node)) for node in containers]
    rule_count = len(rules[0]) if rules else 0
    for index in range(rule_count):
        for per_container in rules:
            for candidate in per_container[index]:
                if is_url(candidate) and candidate not in urls:
                    urls.append(candidate)
    if succeeded and not urls:
        for node in containers:
            for key in ("fail_reason", "failReason"):
                candidate = node.get(key)
                if isinstance(candidate, str) and is_url(candidate.strip()):
                    urls.append(candidate.strip())
                    return urls
    return urls
