"""Capture from TransformerLens: a ``HookedTransformer`` or an existing ``ActivationCache``.

TransformerLens is optional: nothing here imports it; models and caches are recognised by
their class names, and their standard hook names are read (``blocks.{i}.hook_resid_pre``,
``blocks.{i}.attn.hook_pattern``, ``blocks.{i}.mlp.hook_post``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .batch import Batch, pad_id, pad_right, split, tokenize
from .families import TRANSFORMER_LENS, is_activation_cache, is_hooked_transformer
from .hooks import capture_mode
from .options import Options, check_options, check_texts
from .trace import RECORDED, Trace

__all__ = ["capture_cache", "capture_model", "is_activation_cache", "is_hooked_transformer"]

FAMILY = "TransformerLens"


def capture_model(
    model, tokenizer, texts: Sequence[str], *, batched: bool, **options
) -> list[Trace]:
    """Run a ``HookedTransformer`` once on the right-padded ``texts`` with ``run_with_cache``.

    Texts are tokenized by ``tokenizer`` (or ``model.tokenizer``) as they are: no BOS token is
    prepended unless the tokenizer adds one.
    """
    tokenizer = _tokenizer(tokenizer, model)
    name, context = type(model).__name__, model.cfg.n_ctx
    checked = check_options(
        n_layers=model.cfg.n_layers, model_name=name, context=context, **options
    )
    sequences = tokenize(
        tokenizer, texts, batched=batched, model_name=name, context=context, options=checked
    )
    input_ids, attention_mask = pad_right(sequences, pad_id(tokenizer))
    wanted = set(_hook_names(checked))
    with capture_mode(model, eager=False), torch.no_grad():
        logits, cache = model.run_with_cache(
            input_ids.to(model.cfg.device),
            attention_mask=attention_mask.to(model.cfg.device),
            names_filter=lambda hook: hook in wanted,
        )
    logits = logits.detach().cpu() if "logits" in checked.kinds else None
    batch = _batch(cache, input_ids, attention_mask, checked, logits)
    return split(
        batch,
        tokenizer=tokenizer,
        options=checked,
        causal=model.cfg.attention_dir == "causal",
        model_name=name,
        family=FAMILY,
    )


def capture_cache(cache, tokenizer, text: Any, **options) -> Trace:
    """A :class:`Trace` of an ``ActivationCache`` of one text.

    ``text`` is the text the cache was made from (tokenized by ``tokenizer``, or the cache's
    model's tokenizer) or its token ids ``[pos]`` / ``[1, pos]`` as run, e.g.
    ``model.to_tokens(text)`` when TransformerLens prepended a BOS token. ``max_length`` and
    ``truncate`` do not apply: the cache has the length it has.
    """
    model = getattr(cache, "model", None)
    tokenizer = _tokenizer(tokenizer, model)
    # after cache.remove_batch_dim() the tensors lack the batch axis: put it back (views)
    has_batch = getattr(cache, "has_batch_dim", True)
    tensors = {name: value if has_batch else value[None] for name, value in cache.items()}
    n_layers = model.cfg.n_layers if model is not None else _cache_layers(tensors)
    checked = check_options(
        n_layers=n_layers, model_name="ActivationCache", context=None, **options
    )
    n_batch, n_pos = _cache_size(tensors)
    if n_batch != 1:
        raise ValueError(
            f"the cache holds a batch of {n_batch} texts; trace a cache of one text, "
            "or pass the model and a list of texts to trace"
        )
    ids = _cache_ids(text, tokenizer, n_pos)
    input_ids, attention_mask = ids[None], torch.ones(1, n_pos, dtype=torch.long)
    logits = _cache_logits(tensors, model, n_layers) if "logits" in checked.kinds else None
    batch = _batch(tensors, input_ids, attention_mask, checked, logits)
    if model is not None:
        causal = model.cfg.attention_dir == "causal"
    else:  # no model to ask: causal when no query attends to a later key
        causal = batch.attention is None or not batch.attention.float().triu(1).any()
    return split(
        batch,
        tokenizer=tokenizer,
        options=checked,
        causal=causal,
        model_name=type(model).__name__ if model is not None else "ActivationCache",
        family=FAMILY,
    )[0]


def _tokenizer(tokenizer, model):
    tokenizer = tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
    if tokenizer is None:
        raise TypeError(f"tokenizer is None and the {TRANSFORMER_LENS} has no tokenizer: pass one")
    return tokenizer


def _hook_names(options: Options) -> list[str]:
    """The hook names of every site a trace records (:data:`~.trace.RECORDED`) that
    ``options`` asks for, at each of its layers."""
    return [
        f"blocks.{layer}.{site.kind}"
        for site in RECORDED.values()
        if site.trace_kind in options.kinds
        for layer in options.layers
    ]


def _batch(cache, input_ids, attention_mask, options: Options, logits) -> Batch:
    """Stack the cache's per-layer hooks into ``[layer, batch, ...]`` tensors."""
    stacked = {}
    for field, site in RECORDED.items():
        names = [f"blocks.{layer}.{site.kind}" for layer in options.layers]
        present = site.trace_kind in options.kinds and all(name in cache for name in names)
        stacked[field] = (
            torch.stack([cache[name].detach() for name in names]).to("cpu", options.dtype)
            if present
            else None
        )
    return Batch(input_ids=input_ids, attention_mask=attention_mask, logits=logits, **stacked)


def _cache_layers(cache: dict[str, torch.Tensor]) -> int:
    indices = [int(key.split(".")[1]) for key in cache if key.startswith("blocks.")]
    if not indices:
        raise ValueError("the cache holds no blocks.{i}.* activations to trace")
    return max(indices) + 1


def _cache_size(cache) -> tuple[int, int]:
    """``(batch, pos)`` of a cache, read from a residual, MLP or attention pattern hook."""
    for key in cache:
        if key.endswith(("hook_resid_pre", "hook_resid_post", "mlp.hook_post")):
            return cache[key].shape[0], cache[key].shape[1]
        if key.endswith("attn.hook_pattern"):  # [batch, head, query_pos, key_pos]
            return cache[key].shape[0], cache[key].shape[-1]
    raise ValueError(
        "the cache holds no residual, MLP or attention pattern activations to trace; "
        "run_with_cache without a names_filter records them all"
    )


def _cache_ids(text: Any, tokenizer, n_pos: int) -> torch.Tensor:
    if isinstance(text, torch.Tensor):
        ids = text.detach().cpu().long()
        ids = ids[0] if ids.ndim == 2 and ids.shape[0] == 1 else ids
        if ids.ndim != 1:
            raise ValueError(f"token ids must be [pos] or [1, pos], got shape {list(text.shape)}")
        source = "the token ids give"
    elif isinstance(text, str):
        check_texts(text)
        ids = torch.tensor(tokenizer(text)["input_ids"], dtype=torch.long)
        source = "the tokenizer gives"
    else:
        raise TypeError(
            "a cache is traced with the one text it was made from (a str) or its token ids "
            f"(a tensor), got {type(text).__name__}"
        )
    if ids.shape[0] != n_pos:
        raise ValueError(
            f"the cache covers {n_pos} positions but {source} {ids.shape[0]}; "
            "TransformerLens prepends a BOS token to strings by default: pass the token ids "
            "that were run (e.g. model.to_tokens(text)) instead of the text"
        )
    return ids


def _cache_logits(cache, model, n_layers: int) -> torch.Tensor | None:
    """``[1, pos, d_vocab]``: the unembed hook if cached, else recomputed through the model."""
    if "unembed.hook_out" in cache:
        return cache["unembed.hook_out"].detach().cpu()
    last = f"blocks.{n_layers - 1}.hook_resid_post"
    if model is None or last not in cache:
        return None
    if "ln_final.hook_normalized" in cache:
        normalized = cache["ln_final.hook_normalized"]
    else:
        final_norm = getattr(model, "ln_final", None)
        with torch.no_grad():
            normalized = cache[last] if final_norm is None else final_norm(cache[last])
    with torch.no_grad():
        return model.unembed(normalized).detach().cpu()
