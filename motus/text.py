"""umT5 instruction embeddings for the video expert's cross-attention: pre-encoded files or an on-the-fly encoder.

Pre-encoded files follow the seed's data format: a ``.pt`` holding a list of [L, text_dim] tensors (or one tensor).
Each instruction is encoded once per process (``TextEncoder`` keeps a cache), never per denoising step.
"""

from __future__ import annotations

from pathlib import Path

import torch


class TextEmbeddingError(ValueError):
    """An instruction embedding of the wrong shape or width, or an unreadable embedding file."""


def load_t5_embeddings(path: str | Path, text_dim: int) -> torch.Tensor:
    """Read a pre-encoded instruction ([L, text_dim], or the first of a list of them) and check its width."""
    path = Path(path)
    if not path.is_file():
        raise TextEmbeddingError(f"T5 embedding file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt files
        raise TextEmbeddingError(f"cannot read T5 embeddings from {path}: {exc}") from exc
    if isinstance(data, (list, tuple)):
        if not data:
            raise TextEmbeddingError(f"{path} holds an empty list of embeddings")
        data = data[0]
    if not isinstance(data, torch.Tensor):
        raise TextEmbeddingError(f"{path} holds {type(data).__name__}, expected a tensor or a list of tensors")
    if data.dim() == 3 and data.shape[0] == 1:
        data = data[0]
    check_embedding(data, text_dim, str(path))
    return data


def check_embedding(embedding: torch.Tensor, text_dim: int, what: str = "instruction embedding") -> None:
    if embedding.dim() != 2 or embedding.shape[1] != text_dim:
        raise TextEmbeddingError(
            f"{what} has shape {tuple(embedding.shape)}; expected [tokens, {text_dim}] (umT5 width of this model)"
        )


def pad_embeddings(embeddings: list[torch.Tensor], text_len: int, text_dim: int) -> torch.Tensor:
    """Zero-pad or truncate each [L, text_dim] embedding to text_len and stack: [B, text_len, text_dim] (as Wan)."""
    out = torch.zeros(len(embeddings), text_len, text_dim)
    for i, emb in enumerate(embeddings):
        check_embedding(emb, text_dim, f"instruction embedding {i}")
        n = min(emb.shape[0], text_len)
        out[i, :n] = emb[:n].float()
    return out


class TextEncoder:
    """umT5 encoder + tokenizer from a folder (transformers ``UMT5EncoderModel``), with a per-instruction cache."""

    def __init__(self, model, tokenizer, text_len: int):
        self.model = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.text_len = text_len
        self._cache: dict[str, torch.Tensor] = {}

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def encode(self, instructions: list[str]) -> list[torch.Tensor]:
        """One [L_i, text_dim] float32 CPU tensor per instruction, trimmed to its real length (as Wan stores them)."""
        missing = [s for s in dict.fromkeys(instructions) if s not in self._cache]
        if missing:
            tokens = self.tokenizer(
                missing, padding="max_length", truncation=True, max_length=self.text_len, return_tensors="pt"
            ).to(self.device)
            hidden = self.model(input_ids=tokens.input_ids, attention_mask=tokens.attention_mask).last_hidden_state
            for text, states, mask in zip(missing, hidden, tokens.attention_mask, strict=True):
                self._cache[text] = states[: int(mask.sum())].float().cpu()
        return [self._cache[s] for s in instructions]
