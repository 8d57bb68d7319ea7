"""The shipped demo model loads offline and has the structure it promises."""

from __future__ import annotations

import pytest
import torch

from mi_widgets.analysis import (
    attention_patterns,
    induction_score,
    previous_token_score,
    repeated_random_tokens,
)
from mi_widgets.demo import CORPUS_PATH, MODEL_DIR, demo_corpus, demo_model

REPEAT = 40


@pytest.fixture(scope="module")
def demo():
    return demo_model()


def test_demo_model_loads_offline_in_eval_mode(monkeypatch):
    from transformers import GPTNeoXForCausalLM, PreTrainedTokenizerFast

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model, tokenizer = demo_model()
    assert isinstance(model, GPTNeoXForCausalLM)
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    assert not model.training
    assert model.config.num_hidden_layers >= 2 and model.config.intermediate_size > 0
    assert model.config.vocab_size == len(tokenizer)
    assert next(model.parameters()).dtype == torch.float32


def test_files_are_shipped_and_small():
    names = {p.name for p in MODEL_DIR.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    total = sum(p.stat().st_size for p in MODEL_DIR.parent.rglob("*") if p.is_file())
    assert total < 6_000_000, f"mi_widgets/demo holds {total:,} bytes"
    assert CORPUS_PATH.stat().st_size < 1_000_000


@pytest.mark.parametrize(
    "text",
    ['The "if" statement is used for conditional execution:\n\n   if x:\n', "ünïcode 🦄\t<b>"],
)
def test_tokenizer_round_trips_text_and_leads_with_bos(demo, text):
    _, tokenizer = demo
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id == tokenizer.eos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert tokenizer(text, add_special_tokens=False)["input_ids"] == ids[1:]


def test_model_predicts_documentation_text_better_than_chance(demo):
    model, tokenizer = demo
    text = demo_corpus("eval")[0]
    ids = tokenizer(text, return_tensors="pt")["input_ids"][:, :128]
    with torch.no_grad():
        loss = model(input_ids=ids, labels=ids).loss.item()
    chance = torch.log(torch.tensor(float(len(tokenizer)))).item()
    assert loss < chance - 2.0, f"loss {loss:.2f} vs uniform {chance:.2f}"


def test_demo_model_has_induction_and_previous_token_heads(demo):
    model, tokenizer = demo
    ids = repeated_random_tokens(tokenizer, repeat_len=REPEAT, n_sequences=8, seed=1)
    before = model.config._attn_implementation
    pattern = attention_patterns(model, ids)
    assert model.config._attn_implementation == before
    n_layers, n_heads = model.config.num_hidden_layers, model.config.num_attention_heads
    assert pattern.shape == (8, n_layers, n_heads, 1 + 2 * REPEAT, 1 + 2 * REPEAT)
    induction = induction_score(pattern, REPEAT)
    previous = previous_token_score(pattern)
    assert induction.shape == previous.shape == (n_layers, n_heads)
    assert induction.max() >= 0.5, f"induction scores:\n{induction}"
    assert previous.max() >= 0.5, f"previous-token scores:\n{previous}"
    # induction needs composition: the best induction head is not in layer 0
    assert int(induction.argmax()) // n_heads > 0


def test_demo_corpus_splits():
    train, held_out, everything = demo_corpus("train"), demo_corpus("eval"), demo_corpus()
    assert len(train) + len(held_out) == len(everything)
    assert all(isinstance(t, str) and t for t in everything)
    assert any(t.startswith('The "if" statement') for t in everything)
    assert not set(train) & set(held_out)
    with pytest.raises(ValueError, match="split must be one of 'all', 'train', 'eval'"):
        demo_corpus("test")


def test_untrained_model_shares_the_architecture_but_not_the_heads(demo):
    from mi_widgets.demo.untrained import untrained_model

    model, tokenizer = untrained_model(seed=3)
    assert model.config.to_dict() == demo[0].config.to_dict()
    assert tokenizer.get_vocab() == demo[1].get_vocab()
    ids = repeated_random_tokens(tokenizer, repeat_len=REPEAT, n_sequences=4)
    assert induction_score(attention_patterns(model, ids), REPEAT).max() < 0.1
