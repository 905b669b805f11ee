"""Chat through the framework-free GatewayClient: a call, a stream, then reasoning.

Run: python examples/chat_core.py (against the bundled emulator; with --live, against the
gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY, which bills you).
"""

from __future__ import annotations

import os

from _support import gateway, heading

from gateway_core import GatewayClient

REASONING_MODEL = os.environ.get("GATEWAY_REASONING_MODEL", "deepseek-reasoner")


def main() -> None:
    with gateway() as target:
        client = GatewayClient(**target.settings)

        heading("A chat call")
        result = client.chat(
            [{"role": "system", "content": "Answer in one short sentence."},
             {"role": "user", "content": "What is a relay gateway?"}],
            model=target.chat_model, temperature=0, max_tokens=100,
        )
        print(result.text)
        if result.usage is not None:
            print(f"usage: {result.usage.input_tokens} in, {result.usage.output_tokens} out "
                  f"(request id {result.request_id})")

        heading("A stream")
        stream = client.stream_chat("Count from one to five, in words.", model=target.chat_model)
        for delta in stream:
            print(delta.text, end="", flush=True)
        print()
        assert stream.result is not None
        print(f"finish_reason={stream.result.finish_reason}, "
              f"usage={stream.result.usage.total_tokens if stream.result.usage else None}")

        heading(f"Reasoning ({REASONING_MODEL})")
        answer = client.chat("What is 17 * 23?", model=REASONING_MODEL)
        print("reasoning:", answer.reasoning[:200] or "(none returned)")
        print("answer:   ", answer.text)
        # Keep the turn (reasoning included: models that need it back get it, others do not).
        history = [{"role": "user", "content": "What is 17 * 23?"}, answer.to_message(),
                   {"role": "user", "content": "And divided by 17?"}]
        print("follow-up:", client.chat(history, model=REASONING_MODEL).text)


if __name__ == "__main__":
    main()
