"""A plug-in agent that replays the expert and leaves a file per episode, named after the process that served it and
holding that process's program, so a test can tell where the policy ran (a simulator worker, or a policy process)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from agents.expert import ExpertAgent


class PidRecordingAgent(ExpertAgent):
    def __init__(self, actions_root: str, record_dir: str, chunk_size: int = 16):
        super().__init__(actions_root, chunk_size)
        self.record_dir = Path(record_dir)

    def reset(self, *, task, instruction, seed, **context):
        super().reset(task=task, instruction=instruction, seed=seed, **context)
        (self.record_dir / f"{os.getpid()}-{task}-{seed}").write_text(sys.argv[0])
