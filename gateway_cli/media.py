"""Media commands: ``image``, ``video`` and ``tasks list|resume`` over the task journal.

Results are printed as links (and saved with ``--out DIR``); progress goes to stderr, as a tqdm
bar when the ``cli`` extra is installed, else as one line per change. An interrupted ``video``
leaves the paid task running and says how to pick it up again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway_core.errors import InvalidRequestError

from .output import print_json, print_table

if TYPE_CHECKING:
    from gateway_core.client import GatewayClient
    from gateway_core.media_items import MediaItem
    from gateway_core.tasks.types import TaskSnapshot

__all__ = ["add_media_commands"]

VIDEO_PROTOCOLS = ("auto", "openai-videos", "newapi-video", "unified-video", "kling", "chat")
IMAGE_PROTOCOLS = ("images", "auto", "midjourney", "chat")


def add_media_commands(sub: Any) -> None:
    """Register ``image``, ``video`` and ``tasks`` on the sub-parser collection."""
    image = sub.add_parser("image", help="generate an image")
    image.add_argument("prompt", help="what to draw")
    image.add_argument("--model", default="gpt-image-1", help="image model (default: %(default)s)")
    image.add_argument("--size", help="e.g. 1024x1024")
    image.add_argument("--n", type=int, help="number of images")
    image.add_argument("--protocol", choices=IMAGE_PROTOCOLS, default="images",
                       help="how the gateway serves the model (default: %(default)s)")
    _add_output_options(image)
    image.set_defaults(handler=image_command)

    video = sub.add_parser("video", help="generate a video (an async task, journaled)")
    video.add_argument("prompt", help="what to film")
    video.add_argument("--model", default="sora-2", help="video model (default: %(default)s)")
    video.add_argument("--protocol", choices=VIDEO_PROTOCOLS, default="auto",
                       help="the gateway's task format (default: from the model list)")
    video.add_argument("--seconds", help="duration, e.g. 4")
    video.add_argument("--size", help="e.g. 720x1280")
    video.add_argument("--image", action="append", help="a reference image (path or URL)")
    video.add_argument("--wait", type=float, default=900.0,
                       help="give up waiting after this many seconds (default: %(default)s)")
    video.add_argument("--new", action="store_true",
                       help="submit even if an identical task was submitted recently")
    _add_output_options(video)
    _add_journal_option(video)
    video.set_defaults(handler=video_command)

    tasks = sub.add_parser("tasks", help="list or resume journaled tasks")
    tasks.add_argument("action", choices=("list", "resume"),
                       help="list: show the journal (no gateway needed); resume: finish "
                       "unfinished tasks on the gateway")
    tasks.add_argument("task_id", nargs="?", help="resume only this task")
    tasks.add_argument("--state", action="append",
                       help="list only tasks in this state (repeatable)")
    tasks.add_argument("--all", action="store_true",
                       help="list: every gateway's tasks, not only the configured one's")
    tasks.add_argument("--wait", type=float, default=900.0, help="seconds to wait per task")
    _add_output_options(tasks)
    _add_journal_option(tasks)
    tasks.set_defaults(handler=tasks_command)


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="save the results into this directory")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def _add_journal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--journal", help="task journal file (default: $GATEWAY_TASK_JOURNAL "
                        "or the user's cache directory)")


# ---------------------------------------------------------------- progress


class Progress:
    """Task progress on stderr: a tqdm bar when available, else a line per change."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.quiet = quiet
        self.label = label
        self.last: tuple[int | None, str | None] | None = None
        self.bar: Any = None

    def _open_bar(self) -> None:
        """A bar for a terminal; logs and pipes get plain lines instead."""
        if not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=100, desc=self.label, unit="%", file=sys.stderr, leave=True,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")

    def __call__(self, snapshot: TaskSnapshot) -> None:
        if self.quiet:
            return
        current = (snapshot.progress, snapshot.status)
        if current == self.last:
            return
        if self.last is None:
            self._open_bar()
        self.last = current
        if self.bar is not None:
            if snapshot.progress is not None:
                self.bar.n = min(100, max(self.bar.n, snapshot.progress))
            self.bar.set_postfix_str(f"{snapshot.state} ({snapshot.status or '-'})",
                                     refresh=True)
            return
        percent = "?" if snapshot.progress is None else f"{snapshot.progress}%"
        print(f"{self.label}: {percent} {snapshot.state} ({snapshot.status or '-'})",
              file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------- results


def _describe_items(client: GatewayClient, items: list[MediaItem], out: Path | None,
                    ) -> list[dict[str, Any]]:
    """Each item's link and, with ``--out``, the file it was saved to."""
    from gateway_core.media_report import save_items

    try:
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        paths = save_items(items, out, client.transport)
    except OSError as error:
        # The results are paid for: print every link before reporting the failed save.
        for item in items:
            print(f"{item.kind}: {item.best_url or '(inline data, not saved)'}")
        raise InvalidRequestError(
            f"Could not save to {out}: {error.strerror or error}. The links above still work; "
            "choose a writable directory with --out.") from error
    described = []
    for number, (item, path) in enumerate(zip(items, paths, strict=True), 1):
        entry: dict[str, Any] = {"kind": item.kind, "url": item.best_url,
                                 "mime_type": item.mime_type, "path": str(path) if path else None}
        if path is None and item.best_url is None:
            entry["note"] = f"{item.kind} {number} came inline: pass --out DIR to save it"
        described.append(entry)
    return described


def _print_items(described: list[dict[str, Any]]) -> None:
    for entry in described:
        shown = entry["path"] or entry["url"] or entry.get("note")
        print(f"{entry['kind']}: {shown}")


def _check_out(out: Path | None) -> None:
    """Refuse an --out that cannot be a directory before anything is paid for."""
    if out is not None and out.exists() and not out.is_dir():
        raise InvalidRequestError(f"--out {out} is a file, not a directory: choose a directory "
                                  "(it is created if missing).")


def image_command(client: GatewayClient, args: argparse.Namespace) -> int:
    _check_out(args.out)
    progress = Progress("image", args.quiet or args.protocol == "images")
    try:
        result = client.generate_image(args.prompt, model=args.model, size=args.size, n=args.n,
                                       protocol=args.protocol, on_progress=progress)
    finally:
        progress.close()
    described = _describe_items(client, list(result.items), args.out)
    if args.json:
        print_json({"model": args.model, "items": described})
    else:
        _print_items(described)
    return 0


def video_command(client: GatewayClient, args: argparse.Namespace) -> int:
    _check_out(args.out)
    _configure_journal(client, args)
    handle = client.create_video(args.prompt, model=args.model, protocol=args.protocol,
                                 seconds=args.seconds, size=args.size, images=args.image,
                                 new=args.new)
    progress = Progress(f"video {handle.task_id}", args.quiet)
    try:  # from here on the task exists: an interrupt must say how to get it back
        if not args.json:
            reused = " (an identical recent task, not paid again)" if handle.reused else ""
            print(f"task {handle.task_id} ({handle.protocol}){reused}", file=sys.stderr,
                  flush=True)
        snapshot = handle.result(timeout=args.wait, on_progress=progress)
    except KeyboardInterrupt:
        progress.close()
        print(f"gateway-kit: stopped waiting; task {handle.task_id} keeps running on the "
              f"gateway. Pick it up with: gateway-kit tasks resume {handle.task_id}",
              file=sys.stderr)
        return 130
    finally:
        progress.close()
    return _report(client, snapshot, args)


def _report(client: GatewayClient, snapshot: TaskSnapshot, args: argparse.Namespace) -> int:
    described = _describe_items(client, list(snapshot.items), args.out)
    if args.json:
        print_json({"task_id": snapshot.task_id, "protocol": snapshot.protocol,
                    "state": snapshot.state, "items": described, "text": snapshot.text})
    else:
        _print_items(described)
        if snapshot.text:
            print(snapshot.text)
    return 0


def _configure_journal(client: GatewayClient, args: argparse.Namespace) -> None:
    if getattr(args, "journal", None):
        client.configure_tasks(journal=args.journal)


def tasks_command(client: GatewayClient, args: argparse.Namespace) -> int:
    _configure_journal(client, args)
    if args.task_id:
        record = next((r for r in client.list_tasks(limit=10_000)
                       if r.task_id == args.task_id), None)
        if record is None:
            print(f"gateway-kit: task {args.task_id} is not in the journal of this gateway; "
                  "`gateway-kit tasks list` shows the known ones.", file=sys.stderr)
            return 1
        progress = Progress(f"task {record.task_id}", args.quiet)
        try:
            snapshot = client.wait_task(record.task_id or "", protocol=record.protocol,
                                        timeout=args.wait, on_progress=progress)
        finally:
            progress.close()
        return _report(client, snapshot, args)
    outcomes = client.resume_tasks(timeout=args.wait,
                                   on_progress=None if args.quiet else Progress("tasks", False))
    failures = 0
    rows = []
    for outcome in outcomes:
        state = outcome.result.state if outcome.result else "error"
        detail = ", ".join(outcome.result.urls) if outcome.result else str(outcome.error)
        failures += outcome.error is not None
        rows.append((outcome.record.task_id, outcome.record.protocol, state, detail))
    if args.json:
        print_json([dict(zip(("task_id", "protocol", "state", "detail"), row, strict=True))
                    for row in rows])
    elif rows:
        print_table(("TASK", "PROTOCOL", "STATE", "RESULT"), rows)
    else:
        print("No unfinished tasks in the journal.")
    return 1 if failures else 0
