"""The imagination gap: in closed loop, each chunk's predicted frames against the frames the simulator produces at
the same instants.

A Motus agent in joint mode with ``predict_video`` imagines F frames per chunk, frame j showing the scene after
action j x ``frame_stride`` of the chunk. After exactly those actions the cameras are rendered (only then), composed
as the model sees them (``agent.model_frame``) and compared with the imagined frame (PSNR, SSIM); actions the agent
did not execute (it may execute fewer than it predicts) have no real frame and are not compared. The episode's means
go to the ledger, with the means per horizon step.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ImaginationGap:
    def __init__(self, agent):
        from evaluation.world_model.metrics import psnr, ssim

        self.agent, self.psnr, self.ssim = agent, psnr, ssim
        self.by_horizon: dict[int, list[tuple[float, float]]] = {}

    @staticmethod
    def applies(agent) -> bool:
        return bool(getattr(agent, "predict_video", False)) and hasattr(agent, "model_frame")

    def due(self, index: int) -> int | None:
        """The imagined frame (1-based) that shows the scene right after action ``index`` of the chunk, if any."""
        predicted = getattr(self.agent, "predicted_frames", None)
        stride = self.agent.frame_stride
        if predicted is None or (index + 1) % stride:
            return None
        frame = (index + 1) // stride
        return frame if frame <= len(predicted) else None

    def compare(self, frame: int, images: dict[str, np.ndarray]) -> None:
        imagined = self.agent.predicted_frames[frame - 1]
        real = self.agent.model_frame(images)
        self.by_horizon.setdefault(frame, []).append((self.psnr(imagined, real), self.ssim(imagined, real)))

    def record(self) -> dict[str, Any]:
        """The ledger's fields (None when nothing was compared)."""
        pairs = [pair for values in self.by_horizon.values() for pair in values]
        if not pairs:
            return {"imagination_psnr": None, "imagination_ssim": None, "imagination_frames": 0}
        horizons = sorted(self.by_horizon)
        return {
            "imagination_psnr": float(np.mean([p for p, _ in pairs])),
            "imagination_ssim": float(np.mean([s for _, s in pairs])),
            "imagination_frames": len(pairs),
            "imagination_by_horizon": {
                "horizon": horizons,
                "psnr": [float(np.mean([p for p, _ in self.by_horizon[h]])) for h in horizons],
                "ssim": [float(np.mean([s for _, s in self.by_horizon[h]])) for h in horizons],
            },
        }
