"""A 1 MB streamed tool call in 16-byte fragments: the package against raw httpx (item 2).

Usage: ``python benchmarks/probes/toolcalls.py [ROUNDS]``. Starts ``stream_server.py``. Per
round, in turn (order alternating): raw httpx reading the stream (``iter_lines``, ``json``,
the argument fragments joined and parsed once) and ``GatewayClient.stream_chat`` (the result's
parsed tool call), for two relays: OpenAI style (``/toolcall``) and the name repeated in every
fragment without an id (``/toolcall-noid``). Prints CPU per stream and the median of the
per-round ratios.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from _server import start_server  # noqa: E402
from stream_server import MODEL, tool_arguments  # noqa: E402

KEY = "sk-bench-not-a-real-key"
MESSAGES = [{"role": "user", "content": "save the rows"}]
TOOLS = [{"type": "function", "function": {"name": "save_rows", "parameters": {
    "type": "object", "properties": {"rows": {"type": "array"}}}}}]


def main() -> None:
    from gateway_core import GatewayClient

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    root = start_server()
    expected = json.loads(tool_arguments())
    http = httpx.Client(headers={"Authorization": f"Bearer {KEY}"}, timeout=60.0)

    def raw(relay: str) -> None:
        pieces: list[str] = []
        with http.stream("POST", f"{root}/{relay}/v1/chat/completions", json={
                "model": MODEL, "messages": MESSAGES, "tools": TOOLS, "stream": True}) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                choices = json.loads(data).get("choices")
                if choices:
                    for call in choices[0]["delta"].get("tool_calls") or ():
                        pieces.append(call["function"].get("arguments") or "")
        if json.loads("".join(pieces)) != expected:
            raise SystemExit("raw httpx: wrong arguments")

    def package(relay: str) -> None:
        client = GatewayClient(base_url=f"{root}/{relay}/v1", api_key=KEY)
        stream = client.stream_chat(MESSAGES, model=MODEL, tools=TOOLS)
        for _ in stream:
            pass
        assert stream.result is not None
        calls = stream.result.tool_calls
        if len(calls) != 1 or calls[0].args != expected:
            raise SystemExit(f"GatewayClient on {relay}: wrong tool calls")

    for relay in ("toolcall", "toolcall-noid"):
        runners = {"httpx": lambda relay=relay: raw(relay),
                   "GatewayClient": lambda relay=relay: package(relay)}
        for run in runners.values():
            run()
        samples: dict[str, list[float]] = {name: [] for name in runners}
        for number in range(rounds):
            for name in (list(runners) if number % 2 == 0 else list(runners)[::-1]):
                gc.collect()
                start = time.process_time()
                runners[name]()
                samples[name].append(time.process_time() - start)
        ratio = statistics.median(a / b for a, b in zip(samples["GatewayClient"],
                                                        samples["httpx"], strict=True))
        print(f"{relay:14} httpx {statistics.median(samples['httpx']) * 1e3:7.1f} ms  "
              f"GatewayClient {statistics.median(samples['GatewayClient']) * 1e3:7.1f} ms  "
              f"ratio {ratio:.2f}x (limit 2.0x) {'met' if ratio <= 2.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
