"""The Agent protocol: what acts in an environment, one action chunk at a time.

``reset`` receives the episode's task, instruction and seed (the architecture's contract) plus keyword context that
agents may use or ignore: ``domain``, ``step_limit``, ``embodiment``. Plug-in agents should accept ``**context`` so
that new context never breaks them. ``act`` returns a chunk [k, action_dim] of absolute joint targets.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Agent(Protocol):
    def reset(self, *, task: str, instruction: str, seed: int, **context: Any) -> None: ...

    def act(self, obs: dict) -> np.ndarray: ...


class AgentError(RuntimeError):
    """An agent that cannot act for this episode (missing data, bad configuration); recorded in the ledger."""
