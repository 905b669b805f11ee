"""``gateway-kit tasks list``: the local task journal, readable without a gateway or a key.

With a gateway configured (``--base-url`` / ``GATEWAY_BASE_URL``) it lists that gateway's tasks
and says how many other gateways' tasks it left out; ``--all``, or no gateway configured, lists
every task with the gateway it belongs to.
"""

from __future__ import annotations

import argparse
import os
import sys

from gateway_core.config import ENV_BASE_URL, GatewayConfig
from gateway_core.tasks.journal import SqliteJournal, open_journal
from gateway_core.tasks.types import TaskRecord

from .output import print_json, print_table

__all__ = ["list_tasks"]

_LIMIT = 1000


def _gateway_root(args: argparse.Namespace) -> str | None:
    """The configured gateway's root URL as the journal stores it, or None when none is set."""
    if args.all or not (args.base_url or os.environ.get(ENV_BASE_URL)):
        return None
    # Only the normalised URL is needed; the journal is local, so no key is sent anywhere.
    config = GatewayConfig(base_url=args.base_url, api_key="not-needed-to-read-the-journal",
                           allow_insecure_http=True)
    return config.root_url


def _records(args: argparse.Namespace, gateway: str | None) -> list[TaskRecord]:
    journal = open_journal(args.journal or None)
    if isinstance(journal, SqliteJournal) and not journal.path.exists():
        return []  # listing never creates the journal file
    states = tuple(args.state) if args.state else None
    return journal.records(gateway, states, _LIMIT)


def list_tasks(args: argparse.Namespace) -> int:
    """Print the journal's tasks, newest first."""
    gateway = _gateway_root(args)
    records = _records(args, gateway)
    if args.json:
        print_json([{"task_id": r.task_id, "gateway": r.gateway, "protocol": r.protocol,
                     "kind": r.kind, "model": r.model, "state": r.state, "status": r.status,
                     "progress": r.progress, "reason": r.reason} for r in records])
        return 0
    rows = [((r.task_id or "-", r.protocol, r.model or "-", r.state,
              "" if r.progress is None else f"{r.progress}%", r.reason or "")
             + (() if gateway else (r.gateway,))) for r in records]
    headers = ("TASK", "PROTOCOL", "MODEL", "STATE", "PROGRESS", "REASON")
    if rows:
        print_table(headers + (() if gateway else ("GATEWAY",)), rows)
    else:
        print(f"No tasks in the journal{' for ' + gateway if gateway else ''}.")
    if gateway:
        others = len(_records(args, None)) - len(records)
        if others > 0:
            print(f"({others} more for other gateways: gateway-kit tasks list --all)",
                  file=sys.stderr)
    return 0
