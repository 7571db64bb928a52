"""Plug-in agents (loaded by import path, as a user's policy would be) that misbehave in each way the runner handles.

Each replays the verified expert actions so that a healthy episode would succeed, except on seed 100001, where it
misbehaves once it is asked for its second chunk.
"""

from __future__ import annotations

import os
import time

import numpy as np

from agents.expert import ExpertAgent

BAD_SEED = 100001


class _Faulty(ExpertAgent):
    def reset(self, *, task, instruction, seed, **context):
        super().reset(task=task, instruction=instruction, seed=seed, **context)
        self.seed, self.calls = seed, 0

    def act(self, obs):
        self.calls += 1
        if self.seed == BAD_SEED and self.calls == 2:
            return self.misbehave(super().act(obs))
        return super().act(obs)


class RaisingAgent(_Faulty):
    def misbehave(self, chunk):
        raise RuntimeError("policy exploded")


class NanAgent(_Faulty):
    def misbehave(self, chunk):
        chunk = chunk.copy()
        chunk[0, 3] = np.nan
        return chunk


class WrongShapeAgent(_Faulty):
    def misbehave(self, chunk):
        return chunk[:, :14]


class HangingAgent(_Faulty):
    def misbehave(self, chunk):
        time.sleep(3600)


class CrashingAgent(_Faulty):
    def misbehave(self, chunk):
        os._exit(3)
