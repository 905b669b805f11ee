"""What several processes and machines share: the key's rate limit, the paid-task journal.

Each concern has one interface with an in-process default and a Redis backend (``redis`` is an
optional dependency, imported only when a ``redis://`` URL is used), so the same code runs in
one notebook and on fifty workers.
"""

from __future__ import annotations

from .per_loop import PerLoop

__all__ = ["PerLoop"]
