"""The gateway-facing commands: models, balance, chat."""

from __future__ import annotations

import argparse
import dataclasses

from gateway_core.client import GatewayClient
from gateway_core.profiles import ModelProfile

from .output import print_json, print_table, write_stream_text

__all__ = ["KINDS", "balance", "chat", "models"]

# --type values -> ModelInfo.kind
KINDS = {"chat": "chat", "embeddings": "embedding", "rerank": "rerank", "image": "image",
         "video": "video", "music": "music", "audio": "audio"}


def _profile_summary(profile: ModelProfile) -> dict[str, object]:
    if profile.kind == "embedding":
        return {"dimensions": profile.embedding_dimensions, "batch": profile.embedding_batch_size}
    if profile.kind != "chat":
        return {}
    return {
        "context": profile.context_window,
        "max_out": profile.max_output_tokens,
        "tools": profile.tool_calling,
        "json_schema": profile.json_schema,
        "vision": profile.vision,
        "reasoning": profile.reasoning,
    }


def models(client: GatewayClient, args: argparse.Namespace) -> int:
    """The gateway's models, their endpoint types and the profile this package uses for each."""
    listed = client.list_models()
    if args.type:
        listed = [m for m in listed if m.kind == KINDS[args.type]]
    if args.json:
        print_json([
            {"id": m.id, "kind": m.kind, "endpoint_types": list(m.endpoint_types),
             "owned_by": m.owned_by, "profile_family": m.profile.family,
             "profile": {k: sorted(v) if isinstance(v, frozenset) else v
                         for k, v in dataclasses.asdict(m.profile).items() if k != "extras"}}
            for m in listed
        ])
        return 0
    rows = []
    for m in sorted(listed, key=lambda info: (info.kind, info.id)):
        summary = _profile_summary(m.profile)
        details = ", ".join(f"{k}={v}" for k, v in summary.items() if v not in (None, "none"))
        rows.append((m.id, m.kind, ",".join(m.endpoint_types) or "-", m.profile.family, details))
    print_table(("MODEL", "TYPE", "ENDPOINTS", "PROFILE", "CAPABILITIES"), rows)
    print(f"\n{len(rows)} model(s)")
    return 0


def balance(client: GatewayClient, args: argparse.Namespace) -> int:
    """What the key has left."""
    result = client.balance()
    if args.json:
        print_json(dataclasses.asdict(result) | {"approx_credits": result.approx_credits})
    else:
        print(result.describe())
    return 0


def chat(client: GatewayClient, args: argparse.Namespace) -> int:
    """One prompt, printed as it arrives with --stream."""
    messages = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": args.prompt})
    if not args.stream:
        result = client.chat(messages, model=args.model)
        if result.reasoning and args.show_reasoning:
            print(f"[reasoning]\n{result.reasoning}\n[answer]")
        print(result.text)
        return 0
    stream = client.stream_chat(messages, model=args.model)
    in_reasoning = False
    for delta in stream:
        if delta.reasoning and args.show_reasoning:
            if not in_reasoning:
                write_stream_text("[reasoning]\n")
                in_reasoning = True
            write_stream_text(delta.reasoning)
        if delta.text:
            if in_reasoning:
                write_stream_text("\n[answer]\n")
                in_reasoning = False
            write_stream_text(delta.text)
    write_stream_text("\n")
    return 0
