"""Tool calls: assembling streamed fragments whatever the relay does, and parsing arguments.

Relays break the OpenAI streaming contract in known ways (docs/chat.md, tool calls):
``index`` missing; ``id`` and ``name`` repeated in every fragment (naive concatenation builds
``call_1call_1`` and ``addadd``); two calls in one chunk; every call sent with ``index`` 0 and
distinct ids, or with no ids at all (naive merging builds ``addmul`` with ``{"a":1}{"x":2}``);
``arguments`` as a JSON object instead of text; the full arguments repeated in every fragment;
arguments that are not valid JSON. :class:`ToolCallAssembler` turns any of that into clean
fragments (:data:`~gateway_core.chat.types.ToolCallDelta`: our own stable index, id and
name once, only new argument text) and finished :class:`~gateway_core.chat.types.ToolCall`\\ s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from .argtext import ArgumentText, parse_arguments
from .types import ToolCall, ToolCallDelta

__all__ = ["ToolCallAssembler", "new_call_id", "parse_arguments", "parse_tool_calls"]


def new_call_id() -> str:
    """An id for a tool call the relay sent without one (tool results must reference it)."""
    return f"call_{uuid.uuid4().hex[:24]}"


def _finish(index: int, call_id: str | None, name: str | None, arguments: str) -> ToolCall:
    args, error = parse_arguments(arguments)
    if error is None and not arguments.strip():
        arguments = "{}"
    if error is None and not name:
        error = "the tool call has no function name"
    return ToolCall(
        id=call_id or new_call_id(), name=name or "", arguments=arguments, args=args,
        error=error, index=index,
    )


def parse_tool_calls(raw_calls: Any) -> list[ToolCall]:
    """Tool calls of a non-streamed message (``message.tool_calls``), valid and invalid."""
    if not isinstance(raw_calls, list):
        return []
    calls: list[ToolCall] = []
    for raw in raw_calls:
        if not isinstance(raw, Mapping):
            continue
        function = raw.get("function") or {}
        if not isinstance(function, Mapping):
            function = {}
        arguments = function.get("arguments")
        text = arguments if isinstance(arguments, str) else (
            "" if arguments is None else json.dumps(arguments, ensure_ascii=False)
        )
        calls.append(_finish(len(calls), raw.get("id"), function.get("name"), text))
    return calls


class _Call:
    __slots__ = ("arguments", "generated_id", "id", "index", "name", "renamed")

    def __init__(self, index: int, call_id: str | None) -> None:
        self.index = index
        self.generated_id = not call_id
        self.id = call_id or new_call_id()
        self.name = ""
        self.arguments = ArgumentText()
        # Its name came again, without new arguments, after its arguments were complete: the
        # header of a next call at the same index (or a harmless repeat; the next fragment says).
        self.renamed = False


def _starts_new_value(existing: ArgumentText, arguments: Any) -> bool:
    """Whether an arguments fragment begins another JSON object (not a repeat of ``existing``)."""
    if isinstance(arguments, Mapping):
        return parse_arguments(str(existing))[0] != dict(arguments)
    if not isinstance(arguments, str) or not arguments.lstrip().startswith("{"):
        return False
    # A whole or cumulative repeat is the same call. (Shorter fragments cannot repeat it: no
    # need to join the text, which would make every fragment cost the whole text.)
    return len(arguments) < len(existing) or not arguments.startswith(str(existing))


def _begins_new_call(call: _Call, name: Any, arguments: Any) -> bool:
    """Whether a fragment without a known id, routed to ``call`` (same index, or no index),
    clearly begins another call: relays that put every call at index 0 without ids.

    Only once ``call`` has a name: a *different* name (not a cumulative one) after its arguments
    began; or its name again (in this fragment or an earlier one) after its arguments form a
    complete JSON object, with arguments that begin another object. The same name with argument
    fragments (relays repeating id and name in every chunk), or the whole arguments repeated, stays
    one call. Two calls with the same name and the same arguments cannot be told from a repeat.
    """
    if not call.name:
        return False
    named = isinstance(name, str) and bool(name)
    if named and name != call.name and not name.startswith(call.name) and not call.arguments.blank:
        return True
    if not (named and name == call.name) and not call.renamed:
        return False
    return _starts_new_value(call.arguments, arguments) and call.arguments.complete()


class ToolCallAssembler:
    """Accumulates streamed ``delta.tool_calls`` items into calls, repairing relay quirks."""

    __slots__ = ("_by_id", "_by_index", "calls")

    def __init__(self) -> None:
        self.calls: list[_Call] = []
        self._by_id: dict[str, _Call] = {}
        self._by_index: dict[int, _Call] = {}

    def __bool__(self) -> bool:
        return bool(self.calls)

    def _new(self, call_id: str | None, raw_index: Any) -> _Call:
        call = _Call(len(self.calls), call_id)
        self.calls.append(call)
        self._by_id[call.id] = call
        if isinstance(raw_index, int):
            self._by_index[raw_index] = call
        return call

    def _locate(self, call_id: str | None, raw_index: Any, name: Any,
                arguments: Any) -> tuple[_Call, bool, _Call | None]:
        """The call a fragment belongs to, whether it was just created, and the call it
        replaces at a reused index (``None`` if none)."""
        if call_id:
            known = self._by_id.get(call_id)
            if known is not None:
                if isinstance(raw_index, int):
                    self._by_index[raw_index] = known
                return known, False, None
        if isinstance(raw_index, int) and not isinstance(raw_index, bool):
            call = self._by_index.get(raw_index)
            if call is None:
                return self._new(call_id, raw_index), True, None
            if _begins_new_call(call, name, arguments):  # unnumbered relays: a next call
                return self._new(call_id, raw_index), True, call
            if call_id and call.id != call_id:
                if call.generated_id:  # the relay names the id late: adopt it
                    del self._by_id[call.id]
                    call.id, call.generated_id = call_id, False
                    self._by_id[call_id] = call
                    return call, False, None
                # A different id at an index already in use: a new call (index-0 relays).
                return self._new(call_id, raw_index), True, call
            return call, False, None
        if call_id or not self.calls:
            return self._new(call_id, None), True, None
        current = self.calls[-1]  # no index, no id: continues the current call, unless
        if _begins_new_call(current, name, arguments):  # it clearly begins a next one
            return self._new(None, None), True, current
        return current, False, None

    def feed(self, items: Iterable[Any]) -> list[ToolCallDelta]:
        """Take one chunk's ``delta.tool_calls``; return the clean fragments it adds."""
        fragments: list[ToolCallDelta] = []
        for item in items:
            if not isinstance(item, Mapping):
                continue
            function = item.get("function")
            if not isinstance(function, Mapping):
                function = {}
            call_id = item.get("id")
            name, arguments = function.get("name"), function.get("arguments")
            call, created, replaced = self._locate(call_id if isinstance(call_id, str) else None,
                                                   item.get("index"), name, arguments)
            if replaced is not None and replaced.renamed and not name:
                name = replaced.name  # the next call's name came in an earlier fragment
            name_piece = self._name_piece(call, name)
            args_piece = self._args_piece(call, arguments)
            if args_piece.strip():
                call.renamed = False
            elif not created and name == call.name and call.arguments.complete():
                call.renamed = True
            if created or name_piece or args_piece:
                fragments.append({
                    "index": call.index,
                    "id": call.id if created else None,
                    "name": name_piece or None,
                    "arguments": args_piece,
                })
        return fragments

    @staticmethod
    def _name_piece(call: _Call, name: Any) -> str:
        if not name or not isinstance(name, str) or name == call.name:
            return ""
        if call.name and name.startswith(call.name):  # cumulative names
            piece = name[len(call.name):]
            call.name = name
            return piece
        call.name += name
        return name

    @staticmethod
    def _args_piece(call: _Call, arguments: Any) -> str:
        if arguments is None or arguments == "":
            return ""
        existing = call.arguments
        if not isinstance(arguments, str):  # an object: the complete arguments at once
            if existing:
                return ""  # a repeat (or a late object after text): keep the first
            text = json.dumps(arguments, ensure_ascii=False)
            existing.append(text)
            return text
        # Only a fragment at least as long as the text so far can repeat it (whole or
        # cumulative), so the text is joined only then: linear in what the relay sends.
        if len(existing) and len(arguments) >= len(existing):
            so_far = str(existing)
            if arguments == so_far and parse_arguments(so_far)[1] is None:
                return ""  # the full arguments repeated by the relay
            if len(so_far) >= 2 and len(arguments) > len(so_far) and arguments.startswith(so_far):
                existing.replace(arguments)  # cumulative arguments
                return arguments[len(so_far):]
        existing.append(arguments)
        return arguments

    def snapshot(self) -> list[dict[str, Any]]:
        """The calls so far, unparsed: ``{"index", "id", "name", "arguments"}`` each."""
        return [
            {"index": c.index, "id": c.id, "name": c.name, "arguments": str(c.arguments)}
            for c in self.calls
        ]

    def finish(self) -> list[ToolCall]:
        """The finished calls, each parsed (invalid ones keep their raw arguments)."""
        return [_finish(c.index, c.id, c.name, str(c.arguments)) for c in self.calls]
