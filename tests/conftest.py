"""Shared fixtures: tiny models built from config (no download) and known attention."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pytest
import torch

#: Tokens that must show literally and inject nothing (issue: untrusted tokens).
HOSTILE_TOKENS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&amp;",
    '"quotes"',
    "\n",
    "\t",
    "",
    "🦄",
    "שלום",
    " plain",
]


@pytest.fixture(scope="session")
def tiny_gpt2():
    """A 2-layer, 4-head GPT-2 with random weights and a byte-level BPE tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, GPT2Config, PreTrainedTokenizerFast

    torch.manual_seed(0)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    text = ["When Mary and John went to the store, John gave a drink to Mary."] * 20
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(text, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>")
    config = GPT2Config(
        n_layer=2,
        n_head=4,
        n_embd=32,
        vocab_size=bpe.get_vocab_size(),
        n_positions=64,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = AutoModelForCausalLM.from_config(config).eval()
    return model, tokenizer


def identity_attention(n_layers: int, n_heads: int, n_tokens: int) -> np.ndarray:
    """Every query attends only to itself: ``[layer, head, N, N]`` identity matrices."""
    return np.broadcast_to(
        np.eye(n_tokens, dtype=np.float32), (n_layers, n_heads, n_tokens, n_tokens)
    ).copy()


def random_causal_attention(
    n_layers: int, n_heads: int, n_tokens: int, seed: int = 0
) -> np.ndarray:
    """Row-normalised random causal attention ``[layer, head, N, N]``."""
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(n_layers, n_heads, n_tokens, n_tokens, generator=generator)
    mask = torch.ones(n_tokens, n_tokens, dtype=torch.bool).triu(1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1).numpy()


@pytest.fixture(scope="session")
def tiny_family_models(tiny_gpt2):
    """One tiny random model per supported Hugging Face family, all using tiny_gpt2's tokenizer.

    Keys: ``gpt2``, ``gpt2_base`` (GPT2Model), ``gpt_neox``, ``llama``, ``mistral``, ``qwen2``
    (grouped-query attention: 4 query heads, 2 key/value heads), ``bert`` (BertForMaskedLM),
    ``bert_base`` (BertModel) and :func:`post_norm_family_models`' ``gemma``, ``gemma2``,
    ``gemma3_text`` and ``olmo2``. 2 layers, 4 heads, d_model 32, d_mlp 64, context 64. They stay in
    training mode with dropout on, as built from config: a trace must turn dropout off itself.
    """
    import transformers as T

    _, tokenizer = tiny_gpt2
    vocab = len(tokenizer)
    torch.manual_seed(1)
    sizes = {"num_hidden_layers": 2, "num_attention_heads": 4, "hidden_size": 32}
    sizes |= {"intermediate_size": 64, "vocab_size": vocab, "max_position_embeddings": 64}
    decoder = {"bos_token_id": 0, "eos_token_id": 0}
    gated = {**sizes, **decoder, "num_key_value_heads": 2, "hidden_act": "silu"}
    gpt2 = T.GPT2Config(
        n_layer=2,
        n_head=4,
        n_embd=32,
        n_inner=64,
        vocab_size=vocab,
        n_positions=64,
        activation_function="gelu_new",
        **decoder,
    )
    bert = T.BertConfig(**sizes, hidden_act="gelu")
    causal = T.AutoModelForCausalLM.from_config
    return {
        "gpt2": causal(gpt2),
        "gpt2_base": T.GPT2Model(gpt2),
        "gpt_neox": causal(
            T.GPTNeoXConfig(
                **sizes, **decoder, hidden_act="gelu", hidden_dropout=0.1, attention_dropout=0.1
            )
        ),
        "llama": causal(T.LlamaConfig(**gated, attention_dropout=0.1)),
        "mistral": causal(T.MistralConfig(**gated, attention_dropout=0.1)),
        "qwen2": causal(T.Qwen2Config(**gated, attention_dropout=0.1)),
        "bert": T.BertForMaskedLM(bert),
        "bert_base": T.BertModel(bert),
        **post_norm_family_models(vocab),
    }


# --- Gemma, Gemma 2, Gemma 3 (text) and OLMo-2: norms after attention and MLP -------------

#: The keys of :func:`post_norm_family_models` in ``tiny_family_models``.
GEMMA_AND_OLMO2 = ("gemma", "gemma2", "gemma3_text", "olmo2")


def post_norm_family_models(vocab: int) -> dict:
    """Tiny random ``gemma`` (√d_model embedding scale, ``(1 + weight)`` RMSNorm), ``gemma2``
    (norms before and after attention and MLP, attention-logit soft-cap 2, final-logit soft-cap
    0.5: small, so the cap visibly bends the logits), ``gemma3_text`` (query/key norms) and
    ``olmo2`` (norms after attention and MLP only, query/key norms): 2 layers, 4 query and 2
    key/value heads of 8, d_model 32, d_mlp 64. Gemma 2/3's layer 0 slides (window 4), layer 1
    is global. Norm weights are random (Gemma's initialise to 0, OLMo-2's to 1), so a misread
    gain shows."""
    import transformers as T

    torch.manual_seed(2)
    gated = {"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}
    gated |= {"hidden_size": 32, "intermediate_size": 64, "vocab_size": vocab}
    gated |= {"max_position_embeddings": 64, "bos_token_id": 0, "eos_token_id": 0}
    gated |= {"pad_token_id": 0, "attention_dropout": 0.1, "initializer_range": 0.1}
    windowed = {"head_dim": 8, "query_pre_attn_scalar": 8, "sliding_window": 4}
    windowed |= {"layer_types": ["sliding_attention", "full_attention"]}
    causal = T.AutoModelForCausalLM.from_config
    models = {
        "gemma": causal(T.GemmaConfig(**gated, head_dim=8)),
        "gemma2": causal(
            T.Gemma2Config(
                **gated, **windowed, attn_logit_softcapping=2.0,
                final_logit_softcapping=0.5,
            )
        ),
        "gemma3_text": causal(T.Gemma3TextConfig(**gated, **windowed)),
        "olmo2": causal(T.Olmo2Config(**gated)),
    }  # fmt: skip
    with torch.no_grad():
        for model in models.values():
            for name, parameter in model.named_parameters():
                if "norm" in name:
                    parameter.add_(torch.randn_like(parameter) * 0.2)
    return models


# --- end of the post-norm families ---------------------------------------------------------


@pytest.fixture(scope="session", params=["gelu", "gated"])
def hooked(request, tiny_gpt2):
    """A 2-layer HookedTransformer (LayerNorm + GELU MLP, or RMSNorm + gated SiLU MLP)."""
    lens = pytest.importorskip("transformer_lens")
    if not hasattr(lens, "HookedTransformer"):  # TransformerLens 4 removed it
        pytest.skip("this TransformerLens has no HookedTransformer")
    tokenizer = tiny_gpt2[1]
    gated = request.param == "gated"
    config = lens.HookedTransformerConfig(
        n_layers=2,
        d_model=32,
        n_ctx=64,
        d_head=8,
        n_heads=4,
        d_mlp=64,
        d_vocab=len(tokenizer),
        act_fn="silu" if gated else "gelu_new",
        normalization_type="RMS" if gated else "LN",
        gated_mlp=gated,
        seed=0,
    )
    return lens.HookedTransformer(config), tokenizer


@pytest.fixture
def torch_single_thread():
    """One torch thread for the test: tiny models run faster than with threads contending."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


#: The teaching notebooks, every one in notebooks/ (tests pick up new ones by themselves).
NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

#: Seconds one notebook cell may take on a 2-core CPU machine.
NOTEBOOK_CELL_TIMEOUT = 300


@pytest.fixture(scope="session")
def executed_notebook(tmp_path_factory):
    """``run(path)``: the notebook at ``path`` executed once per test session (nbclient, in
    its own temporary directory, widget state stored); later calls reuse the result, so the
    notebook test and the report test do not run a notebook twice. A failed run raises the
    same error every time."""
    import nbformat

    from mi_widgets.export.report import execute_notebook

    done: dict[pathlib.Path, object] = {}

    def run(path: pathlib.Path):
        if path not in done:
            notebook = nbformat.read(path, as_version=4)
            directory = tmp_path_factory.mktemp(path.stem)
            try:
                done[path] = execute_notebook(notebook, directory, NOTEBOOK_CELL_TIMEOUT)
            except Exception as error:  # kept and raised again for every caller
                done[path] = error
        if isinstance(done[path], Exception):
            raise done[path]
        return done[path]

    return run
