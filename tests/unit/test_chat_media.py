"""Image and video links in chat-format media answers."""

from __future__ import annotations

from gateway_core.chat import extract_media_links
from gateway_core.chat.media import classify_url


def links(text: str, kind: str | None = None) -> list[tuple[str, str]]:
    return [(m.kind, m.url) for m in extract_media_links(text, kind)]  # type: ignore[arg-type]


def test_sora_style_progress_then_link() -> None:
    text = ('```json\n{"prompt": "a dog", "image": "https://in.example.com/ref.png"}\n```\n'
            "> ID: task_01k\n> 排队中.\n> 🏃 进度 76..\n> 生成完成 ✅\n\n"
            "[点击这里](https://files.example.com/video/abc.mp4)")
    assert links(text) == [("video", "https://files.example.com/video/abc.mp4")]


def test_markdown_images_and_bare_urls() -> None:
    text = ("![image](https://cdn.example.com/a.webp?x=1) and https://cdn.example.com/b.jpg, "
            "see also https://example.com/page.")
    assert links(text) == [("image", "https://cdn.example.com/a.webp?x=1"),
                           ("image", "https://cdn.example.com/b.jpg")]


def test_links_without_extension_use_the_title_then_the_model_kind() -> None:
    text = "[下载视频](https://x.example.com/dl/1) [result](https://x.example.com/dl/2)"
    assert links(text) == [("video", "https://x.example.com/dl/1")]
    assert links(text, "image") == [("video", "https://x.example.com/dl/1"),
                                    ("image", "https://x.example.com/dl/2")]
    assert links("![](https://x.example.com/raw)") == [("image", "https://x.example.com/raw")]


def test_duplicates_inline_code_and_plain_text() -> None:
    text = "`https://a.example.com/x.png` ![a](https://b.example.com/y.png) https://b.example.com/y.png"
    assert links(text) == [("image", "https://b.example.com/y.png")]
    assert links("no links here") == []


def test_classify_url() -> None:
    assert classify_url("https://a/b/c.MP4?sig=1#t") == "video"
    assert classify_url("https://a/b/c.m3u8") == "video"
    assert classify_url("https://a/b/c.jpeg") == "image"
    assert classify_url("https://a/b/c") is None
