"""Tiny randomly initialised models built in code, so the whole model path runs without weights.

The way diffusers' own tests build ``get_dummy_components()``: real model classes from small config
objects, seeded, with tokenizers made from a vocabulary in code. Outputs are noise, but every line of
loading, batching, decoding and encoding that a real checkpoint goes through runs for real, in well
under a second on a CPU. Built models are cached per process (``tiny:<name>`` is one object per process).
"""

from __future__ import annotations

import json
import string
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

TINY_PREFIX = "tiny:"

# A character vocabulary shared by the tiny tokenizers: enough to tokenise prompts and JSON.
_CHARS = string.ascii_letters + string.digits + string.punctuation + " "
_SPECIALS = ["<pad>", "<unk>", "<s>", "</s>"]

CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<s>assistant\n{% endif %}"
)


def is_tiny(model_id: str) -> bool:
    return model_id.startswith(TINY_PREFIX)


def _char_vocab() -> dict[str, int]:
    vocab = {tok: i for i, tok in enumerate(_SPECIALS)}
    for ch in _CHARS:
        vocab.setdefault(ch, len(vocab))
    return vocab


def _char_tokenizer(model_max_length: int, chat_template: str | None = None) -> Any:
    """A character-level fast tokenizer (unknown characters, e.g. Chinese, map to ``<unk>``)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab=_char_vocab(), unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(pattern="", behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        model_max_length=model_max_length,
    )
    if chat_template:
        fast.chat_template = chat_template
    return fast


# ------------------------------------------------------------------ text-to-image (SD class)


def build_sd() -> Any:
    """A tiny Stable Diffusion pipeline (UNet2DCondition + AutoencoderKL + CLIP text encoder)."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16,
        norm_num_groups=2,
        attention_head_dim=2,
    )
    torch.manual_seed(0)
    vae = AutoencoderKL(
        block_out_channels=(4, 8),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=2,
    )
    torch.manual_seed(0)
    tokenizer = _char_tokenizer(model_max_length=32)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=2,
            eos_token_id=3,
            pad_token_id=0,
            hidden_size=16,
            intermediate_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            vocab_size=len(tokenizer),
            max_position_embeddings=32,
            projection_dim=16,
        )
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=EulerDiscreteScheduler(steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


# ------------------------------------------------------------------ image-to-video (LTX-Video class)


def build_ltx() -> Any:
    """A tiny LTX-Video image-to-video pipeline (the dummy components of diffusers' own LTX tests)."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    torch.manual_seed(0)
    tokenizer = _char_tokenizer(model_max_length=16)
    text_encoder = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer),
            d_model=32,
            d_kv=8,
            d_ff=37,
            num_layers=1,
            num_heads=4,
            relative_attention_num_buckets=8,
            pad_token_id=0,
            eos_token_id=3,
            decoder_start_token_id=0,
        )
    )
    pipe = LTXImageToVideoPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


# ------------------------------------------------------------------ causal LM (Qwen2 class)


def build_qwen2() -> tuple[Any, Any]:
    """A tiny Qwen2 causal LM and a tokenizer with a chat template: (model, tokenizer)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = _char_tokenizer(model_max_length=4096, chat_template=CHAT_TEMPLATE)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(
        Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=4096,
            bos_token_id=2,
            eos_token_id=3,
            pad_token_id=0,
            tie_word_embeddings=True,
        )
    )
    model.eval()
    return model, tokenizer


# ------------------------------------------------------------------ text-to-speech (VITS / MMS class)


@cache
def _vits_vocab_file() -> Path:
    """VitsTokenizer reads its vocabulary from a JSON file; write one per process."""
    vocab = {"<pad>": 0, "<unk>": 1}
    # Latin letters plus the CJK Unified Ideographs block, so Chinese lines speak (as noise) too.
    for ch in string.ascii_lowercase + string.digits + " '.,!?-" + "".join(map(chr, range(0x4E00, 0xA000))):
        vocab.setdefault(ch, len(vocab))
    folder = Path(tempfile.mkdtemp(prefix="kaipai-tiny-vits-"))
    path = folder / "vocab.json"
    path.write_text(json.dumps(vocab))
    return path


def build_vits() -> tuple[Any, Any]:
    """A tiny multi-speaker VITS model and its character tokenizer: (model, tokenizer)."""
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    tokenizer = VitsTokenizer(str(_vits_vocab_file()), add_blank=True, normalize=True, phonemize=False)
    torch.manual_seed(0)
    config = VitsConfig(
        vocab_size=len(tokenizer.get_vocab()),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        flow_size=16,
        spectrogram_bins=16,
        upsample_initial_channel=16,
        upsample_rates=[8, 8, 4],
        upsample_kernel_sizes=[16, 16, 8],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        duration_predictor_num_flows=1,
        duration_predictor_filter_channels=16,
        num_speakers=4,
        speaker_embedding_size=8,
        sampling_rate=16000,
    )
    model = VitsModel(config)
    model.eval()
    return model, tokenizer


# ------------------------------------------------------------------ translation (Marian / opus-mt class)


def build_marian() -> tuple[Any, Any]:
    """A tiny Marian encoder-decoder (the opus-mt class) and a character tokenizer: (model, tokenizer)."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    tokenizer = _char_tokenizer(model_max_length=256)
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=len(tokenizer),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=256,
        pad_token_id=0,
        eos_token_id=3,
        decoder_start_token_id=0,
        forced_eos_token_id=3,
    )
    model = MarianMTModel(config)
    model.eval()
    return model, tokenizer


BUILDERS: dict[str, Callable[[], Any]] = {
    "sd": build_sd,
    "ltx": build_ltx,
    "qwen2": build_qwen2,
    "vits": build_vits,
    "marian": build_marian,
}


@cache
def tiny_model(model_id: str) -> Any:
    """The tiny model named ``tiny:<name>``, built once per process.

    Their tokenizers have tiny context windows, so every prompt is "truncated": silence those warnings.
    """
    import diffusers
    import transformers

    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.set_verbosity_error()
    name = model_id.removeprefix(TINY_PREFIX)
    try:
        builder = BUILDERS[name]
    except KeyError:
        known = ", ".join(TINY_PREFIX + n for n in BUILDERS)
        raise ValueError(f"unknown tiny model {model_id!r} (known: {known})") from None
    return builder()
