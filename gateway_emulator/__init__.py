"""A local reference gateway: the server side of the one-api / new-api relay protocol.

Tests, ``make demo`` and benchmarks talk to it over real HTTP on loopback. It is a second,
independent implementation of the wire protocol and imports nothing from ``gateway_core``:
a misunderstanding of the protocol should not be written twice. See
``docs/emulator-contract.md`` for what it serves and how tests script it.

Run it with ``python -m gateway_emulator`` (prints its base URL) or, from tests,
``gateway_emulator.testing.EmulatorProcess``.
"""

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
