"""The CPU-sized frozen components of ``motus_tiny``, built locally: no download anywhere.

``ensure_tiny_assets`` writes, once per configuration, the same folder layouts the full-size model reads from the
Hugging Face hub (a Qwen3-VL folder with its processor, and a Wan folder with ``vae/``, ``text_encoder/`` and
``tokenizer/``), so the tiny model goes through exactly the loading code of the 8B one. Weights are drawn from a
fixed seed, and tokenizers are plain byte-level vocabularies (every byte is a token, special tokens first), so two
machines build identical assets.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

BUILDER_VERSION = 2
VLM_SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
T5_SPECIAL_TOKENS = ["<pad>", "</s>", "<unk>"]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def cache_root() -> Path:
    return Path(os.environ.get("MOTUS_CACHE", Path.home() / ".cache" / "motus"))


def byte_level_tokenizer(special_tokens: list[str], end_token: str | None = None):
    """A BPE tokenizer with no merges: special tokens get ids 0..n-1, then one token per byte.

    ``end_token`` is appended to every sequence (T5 ends each input with ``</s>``).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {token: i for i, token in enumerate(special_tokens)}
    vocab.update({char: len(special_tokens) + i for i, char in enumerate(alphabet)})
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.add_special_tokens(special_tokens)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    if end_token is not None:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"$A {end_token}", special_tokens=[(end_token, vocab[end_token])]
        )
    return tokenizer


def _build_vlm(folder: Path, config: dict, image_pixels: int) -> None:
    from transformers import PreTrainedTokenizerFast, Qwen2VLImageProcessorPil

    from motus.vlm import VLMProcessor, build_vlm

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=byte_level_tokenizer(VLM_SPECIAL_TOKENS),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=VLM_SPECIAL_TOKENS[1:],
    )
    image_processor = Qwen2VLImageProcessorPil(
        patch_size=16,
        temporal_patch_size=2,
        merge_size=2,
        size={"shortest_edge": 32 * 32, "longest_edge": image_pixels},
    )
    processor = VLMProcessor(tokenizer, image_processor, CHAT_TEMPLATE)
    torch.manual_seed(0)
    model = build_vlm(config)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def _build_wan(folder: Path, vae_config: dict, t5_config: dict) -> None:
    from diffusers import AutoencoderKLWan
    from transformers import PreTrainedTokenizerFast, UMT5Config, UMT5EncoderModel

    torch.manual_seed(1)
    AutoencoderKLWan(**vae_config).save_pretrained(folder / "vae")
    torch.manual_seed(2)
    UMT5EncoderModel(UMT5Config(**t5_config)).save_pretrained(folder / "text_encoder")
    PreTrainedTokenizerFast(
        tokenizer_object=byte_level_tokenizer(T5_SPECIAL_TOKENS, end_token="</s>"),
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
    ).save_pretrained(folder / "tokenizer")


def ensure_tiny_assets(vlm_config: dict, vae_config: dict, t5_config: dict, image_pixels: int) -> Path:
    """Build (once) and return ``<cache>/tiny/<hash>`` holding ``vlm/`` and ``wan/``."""
    spec = {"v": BUILDER_VERSION, "vlm": vlm_config, "vae": vae_config, "t5": t5_config, "pixels": image_pixels}
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    target = cache_root() / "tiny" / digest
    if (target / "complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=target.parent))
    try:
        _build_vlm(staging / "vlm", vlm_config, image_pixels)
        _build_wan(staging / "wan", vae_config, t5_config)
        (staging / "spec.json").write_text(json.dumps(spec, indent=1, sort_keys=True))
        (staging / "complete").touch()
        if not (target / "complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
