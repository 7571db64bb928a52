"""``motus-latent-actions``: 14-d latent actions from optical flow, the labels of stage-2 pretraining.

For each episode, dense optical flow between consecutive frames (OpenCV's DIS, no downloaded weights) is computed on
the downscaled composite; a small VAE encodes each flow field to a 14-d latent and decodes it back. As the paper
describes, the latent is weakly supervised with robot actions: on a labelled fraction of the episodes a linear head
maps the latent to the joint-position change between the two frames. Loss = flow reconstruction + beta KL + gamma
action error. The latent mean of every frame pair is written as ``latent_action_dim14/<i>.pt`` [T - 1, 14] next to
the episode's ``videos/``, ``metas/`` and ``umt5_wan/``, so the task folder reads as the latent_action layout.

    motus-latent-actions --data DIR [--type robotwin] [--domain clean] [--steps 2000] [--labelled-fraction 0.1]
                         [--encoder TRAINED.pt]   (encode with an already trained model instead of training one)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from motus.images import COMPOSITE_HEIGHT, COMPOSITE_WIDTH
from train.datasets import LATENT_DIR, DatasetError, Episode, decode_video, load_labels, scan_dataset

LATENT_DIM = 14


@dataclass
class FlowSettings:
    height: int = 48  # flow grid the encoder reads: the 384x320 composite / 8
    width: int = 40
    max_flow: float = 4.0  # flow (in grid pixels) mapped to +-1; larger motion is clipped


def optical_flow(frames: np.ndarray, settings: FlowSettings) -> np.ndarray:
    """float32 [T - 1, 2, h, w] flow (dx, dy in grid pixels) between consecutive uint8 RGB frames [T, H, W, 3].

    DIS runs at twice the grid size for detail; the field is then averaged down to the grid and rescaled to grid
    pixels."""
    import cv2

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    size = (settings.width * 2, settings.height * 2)
    gray = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA) for f in frames]
    flows = []
    for previous, current in zip(gray[:-1], gray[1:], strict=True):
        flow = dis.calc(previous, current, None)  # [2h, 2w, 2] in the doubled grid's pixels
        small = cv2.resize(flow, (settings.width, settings.height), interpolation=cv2.INTER_AREA) / 2.0
        flows.append(small.transpose(2, 0, 1))
    return np.stack(flows).astype(np.float32)


class LatentActionVAE(nn.Module):
    """Flow field [2, h, w] -> 14-d Gaussian latent -> flow field; plus a linear head latent -> robot action."""

    def __init__(self, settings: FlowSettings, action_dim: int, latent_dim: int = LATENT_DIM, width: int = 32):
        super().__init__()
        self.settings = settings
        self.encoder = nn.Sequential(
            nn.Conv2d(2, width, 3, stride=2, padding=1),
            nn.SiLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
            nn.SiLU(),
            nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1),
            nn.SiLU(),
            nn.Flatten(),
        )
        self.grid = (4 * width, math.ceil(settings.height / 8), math.ceil(settings.width / 8))
        features = int(np.prod(self.grid))
        self.to_latent = nn.Linear(features, 2 * latent_dim)
        self.from_latent = nn.Linear(latent_dim, features)
        self.decoder = nn.Sequential(
            nn.SiLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, stride=2, padding=1),
            nn.SiLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
            nn.SiLU(),
            nn.ConvTranspose2d(width, 2, 4, stride=2, padding=1),
        )
        self.action_head = nn.Linear(latent_dim, action_dim)

    def normalise(self, flow: torch.Tensor) -> torch.Tensor:
        return (flow / self.settings.max_flow).clamp(-1, 1)

    def encode(self, flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_latent(self.encoder(self.normalise(flow))).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 10)

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        out = self.decoder(self.from_latent(latent).view(-1, *self.grid))
        return out[..., : self.settings.height, : self.settings.width]

    def loss(
        self,
        flow: torch.Tensor,
        actions: torch.Tensor,
        labelled: torch.Tensor,
        generator: torch.Generator,
        beta: float,
        gamma: float,
    ) -> dict[str, torch.Tensor]:
        """Reconstruction of the normalised flow + beta KL + gamma action error on the labelled pairs."""
        mu, logvar = self.encode(flow)
        latent = mu + torch.randn(mu.shape, generator=generator) * (0.5 * logvar).exp()
        recon = F.mse_loss(self.decode(latent), self.normalise(flow))
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(-1).mean()
        action_error = ((self.action_head(mu) - actions).pow(2).mean(-1) * labelled).sum() / labelled.sum().clamp(min=1)
        return {
            "loss": recon + beta * kl + gamma * action_error,
            "recon": recon.detach(),
            "kl": kl.detach(),
            "action": action_error.detach(),
        }


@dataclass
class EpisodeFlows:
    episode: Episode
    flow: np.ndarray  # [T - 1, 2, h, w]
    action_delta: np.ndarray  # [T - 1, action_dim] joint-position change over each frame pair


def compute_flows(episodes: list[Episode], settings: FlowSettings, height: int, width: int) -> list[EpisodeFlows]:
    from tqdm import tqdm

    out = []
    for episode in tqdm(episodes, desc="optical flow", unit="episode"):
        frames = decode_video(str(episode.video), height, width)
        qpos = load_labels(episode).numpy()
        if len(qpos) != len(frames):
            raise DatasetError(f"{episode.video}: {len(frames)} frames but {episode.qpos} has {len(qpos)} rows")
        out.append(EpisodeFlows(episode, optical_flow(frames, settings), np.diff(qpos, axis=0).astype(np.float32)))
    return out


def train_vae(
    flows: list[EpisodeFlows],
    labelled_episodes: set[int],
    settings: FlowSettings,
    steps: int,
    batch: int,
    seed: int,
    beta: float,
    gamma: float,
) -> tuple[LatentActionVAE, dict]:
    """Train on every frame pair; action supervision only on the labelled episodes' pairs."""
    from tqdm import tqdm

    flow = torch.from_numpy(np.concatenate([f.flow for f in flows]))
    deltas = np.concatenate([f.action_delta for f in flows])
    scale = deltas.std(axis=0) + 1e-6  # per-joint scale, so every joint counts in the action error
    actions = torch.from_numpy(deltas / scale)
    labelled = torch.cat([torch.full((len(f.flow),), float(i in labelled_episodes)) for i, f in enumerate(flows)])
    torch.manual_seed(seed)
    model = LatentActionVAE(settings, actions.shape[1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(seed)
    history = []
    bar = tqdm(range(steps), desc="latent-action VAE", unit="step")
    for _ in bar:
        index = torch.randint(0, len(flow), (min(batch, len(flow)),), generator=generator)
        losses = model.loss(flow[index], actions[index], labelled[index], generator, beta, gamma)
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimizer.step()
        history.append({k: float(v.detach()) for k, v in losses.items()})
        bar.set_postfix(recon=f"{history[-1]['recon']:.4f}", action=f"{history[-1]['action']:.3f}")
    model.eval()
    model.register_buffer("action_scale", torch.from_numpy(scale))
    return model, {"first": history[0], "last": history[-1]}


@torch.no_grad()
def action_fit(model: LatentActionVAE, flows: list[EpisodeFlows], episodes: set[int]) -> float | None:
    """R^2 of the action head's prediction of the joint-position change, over the given episodes' frame pairs."""
    if not episodes:
        return None
    flow = torch.from_numpy(np.concatenate([flows[i].flow for i in sorted(episodes)]))
    target = np.concatenate([flows[i].action_delta for i in sorted(episodes)]) / model.action_scale.numpy()
    predicted = model.action_head(model.encode(flow)[0]).numpy()
    residual = ((predicted - target) ** 2).sum()
    total = ((target - target.mean(axis=0)) ** 2).sum()
    return float(1 - residual / max(total, 1e-12))


@torch.no_grad()
def write_latents(model: LatentActionVAE, flows: list[EpisodeFlows]) -> int:
    for item in flows:
        latent = model.encode(torch.from_numpy(item.flow))[0].float()
        target = item.episode.qpos.parent.parent / LATENT_DIR / f"{item.episode.qpos.stem}.pt"
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.save(latent.contiguous(), target)
    return len(flows)


def load_vae(path: Path) -> LatentActionVAE:
    if not path.is_file():
        raise DatasetError(f"latent-action encoder {path} not found")
    data = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or not {"settings", "action_dim", "state"} <= data.keys():
        raise DatasetError(f"{path} is not a latent-action encoder written by motus-latent-actions")
    model = LatentActionVAE(FlowSettings(**data["settings"]), int(data["action_dim"]))
    model.register_buffer("action_scale", torch.zeros(int(data["action_dim"])))
    model.load_state_dict(data["state"], strict=True)
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="motus-latent-actions", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="a robot dataset folder (motus-collect / converted layout)")
    parser.add_argument("--type", default="robotwin", choices=["robotwin", "ac_one", "aloha_agilex_2"])
    parser.add_argument("--domain", default="clean", choices=["clean", "randomized", "both"])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--labelled-fraction", type=float, default=0.1, help="episodes with action supervision")
    parser.add_argument("--beta", type=float, default=1e-4, help="KL weight")
    parser.add_argument("--gamma", type=float, default=1.0, help="action-supervision weight")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default=None, help="encode with this trained model (no training)")
    parser.add_argument("--encoder-out", default=None, help="where to save the trained model (default: DATA/...)")
    args = parser.parse_args(argv)
    if not 0 < args.labelled_fraction <= 1:
        parser.error(f"--labelled-fraction must be in (0, 1], got {args.labelled_fraction}")
    started = time.perf_counter()
    root = Path(args.data)
    try:
        episodes = scan_dataset(args.type, root, args.domain)
        trained = load_vae(Path(args.encoder)) if args.encoder else None
        settings = trained.settings if trained else FlowSettings()
        flows = compute_flows(episodes, settings, COMPOSITE_HEIGHT, COMPOSITE_WIDTH)
    except DatasetError as exc:
        print(f"motus-latent-actions: error: {exc}", file=sys.stderr)
        return 2
    order = np.random.default_rng(args.seed).permutation(len(flows))
    labelled = {int(i) for i in order[: max(1, round(args.labelled_fraction * len(flows)))]}
    summary: dict = {"episodes": len(flows), "pairs": int(sum(len(f.flow) for f in flows)), "flow": asdict(settings)}
    if trained is None:
        model, losses = train_vae(flows, labelled, settings, args.steps, args.batch, args.seed, args.beta, args.gamma)
        encoder_out = Path(args.encoder_out) if args.encoder_out else root / "latent_action_encoder.pt"
        action_dim = model.action_head.out_features
        torch.save({"settings": asdict(settings), "action_dim": action_dim, "state": model.state_dict()}, encoder_out)
        summary.update(steps=args.steps, labelled_episodes=sorted(labelled), losses=losses, encoder=str(encoder_out))
        summary["action_r2_labelled"] = action_fit(model, flows, labelled)
        summary["action_r2_unlabelled"] = action_fit(model, flows, set(range(len(flows))) - labelled)
    else:
        model = trained
        summary["encoder"] = args.encoder
    summary["written"] = write_latents(model, flows)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    (root / "latent_actions.json").write_text(json.dumps(summary, indent=1))
    fit = summary.get("action_r2_unlabelled")
    print(
        f"{summary['written']} episodes: {LATENT_DIR}/ written ({summary['pairs']} frame pairs)"
        + (f"; action R^2 on unlabelled episodes {fit:.3f}" if fit is not None else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
