"""The model-level sites and the attention pattern, on every family: reading equals the model's
own computation, replacing changes the pass as expected, and names are refused with the list."""

from __future__ import annotations

import pytest
import torch

import mi_widgets as mw
from mi_widgets.capture.hooks import capture_mode
from mi_widgets.capture.reader import CorpusReader
from mi_widgets.capture.readout import readout
from mi_widgets.capture.sites import at_site, parse_site, reading, valid_names
from tests.conftest import GEMMA_AND_OLMO2

pytestmark = [
    pytest.mark.usefixtures("torch_single_thread"),
    pytest.mark.filterwarnings("ignore:HookedTransformer is deprecated:DeprecationWarning"),
]

TEXT = "When Mary and John went to the store, John gave a drink to"
LM_FAMILIES = ("gpt2", "gpt_neox", "llama", "mistral", "qwen2", "bert")
#: Gemma (√d_model embedding scale), Gemma 2 (final-logit soft-cap), Gemma 3, OLMo-2.
POST_NORM_LMS = GEMMA_AND_OLMO2
LEARNED_POSITIONS = ("gpt2", "gpt2_base", "bert", "bert_base")


def ids_of(tokenizer) -> torch.Tensor:
    return torch.tensor([tokenizer(TEXT)["input_ids"]])


def logits_of(model, input_ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        if hasattr(model, "cfg"):
            return model(input_ids)
        return model(input_ids=input_ids).logits


@pytest.mark.parametrize("family", [*LM_FAMILIES, "gpt2_base", "bert_base"])
def test_embeddings_add_up_to_the_first_blocks_input(tiny_family_models, tiny_gpt2, family):
    model, input_ids = tiny_family_models[family], ids_of(tiny_gpt2[1])
    names = ["hook_embed", "blocks.0.hook_resid_pre"]
    if family in LEARNED_POSITIONS:
        names.append("hook_pos_embed")
    else:
        with pytest.raises(ValueError, match=r"hook_pos_embed.*no learned positional embeddings"):
            parse_site(model, "hook_pos_embed")
    with capture_mode(model, eager=False), reading(model, names) as records, torch.no_grad():
        model(input_ids=input_ids)
    embed = records["hook_embed"]
    weights = model.base_model.get_input_embeddings().weight
    torch.testing.assert_close(embed[0], weights[input_ids[0]])
    stream = embed + records["hook_pos_embed"] if "hook_pos_embed" in records else embed
    if family.startswith("bert"):  # BERT adds token types, then normalises
        embeddings = model.base_model.embeddings
        types = embeddings.token_type_embeddings(torch.zeros_like(input_ids))
        stream = embeddings.LayerNorm(stream + types)
    torch.testing.assert_close(stream, records["blocks.0.hook_resid_pre"])


@pytest.mark.parametrize("family", LM_FAMILIES)
def test_the_final_norms_output_through_the_unembedding_is_the_logits(
    tiny_family_models, tiny_gpt2, family
):
    model, input_ids = tiny_family_models[family], ids_of(tiny_gpt2[1])
    unembed = readout(model).unembed
    with capture_mode(model, eager=False):
        with reading(model, ["ln_final.hook_normalized"]) as records:
            logits = logits_of(model, input_ids)
        with torch.no_grad():
            torch.testing.assert_close(unembed(records["ln_final.hook_normalized"]), logits)
        with at_site(model, "ln_final.hook_normalized", torch.zeros_like):
            zeroed = logits_of(model, input_ids)
    # a zero input leaves the unembedding's constant: the same logits at every position
    # (the bias, or zero without one)
    torch.testing.assert_close(zeroed, zeroed[:, :1].expand_as(zeroed))
    assert not torch.allclose(zeroed, logits)
    bias = getattr(unembed, "bias", None)
    if isinstance(unembed, torch.nn.Linear):
        expected = torch.zeros_like(zeroed[0, 0]) if bias is None else bias.detach()
        torch.testing.assert_close(zeroed[0, 0], expected)


@pytest.mark.parametrize("family", POST_NORM_LMS)
def test_embeddings_scaled_and_soft_capped_logits(tiny_family_models, tiny_gpt2, family):
    """``hook_embed`` is the embedding as the model adds it (Gemma: times √d_model), the whole
    first block input; the final norm's output through the unembedding, soft-capped where the
    model caps (Gemma 2), is the logits."""
    model, input_ids = tiny_family_models[family], ids_of(tiny_gpt2[1])
    names = ["hook_embed", "blocks.0.hook_resid_pre", "ln_final.hook_normalized"]
    with capture_mode(model, eager=False), reading(model, names) as records:
        logits = logits_of(model, input_ids)
    weights = model.base_model.get_input_embeddings().weight.detach()
    scale = 32**0.5 if family.startswith("gemma") else 1.0
    torch.testing.assert_close(records["hook_embed"][0], weights[input_ids[0]] * scale)
    torch.testing.assert_close(records["hook_embed"], records["blocks.0.hook_resid_pre"])
    head = readout(model)
    with torch.no_grad():
        unembedded = head.unembed(records["ln_final.hook_normalized"])
    cap = model.config.final_logit_softcapping if family == "gemma2" else None
    assert head.softcap == cap
    expected = unembedded if cap is None else torch.tanh(unembedded / cap) * cap
    torch.testing.assert_close(expected, logits)
    if cap is not None:
        assert (unembedded - logits).abs().max() > 1e-3


@pytest.mark.parametrize("family", [*LM_FAMILIES, "bert_base", *POST_NORM_LMS])
def test_the_pattern_equals_the_models_output_attentions(tiny_family_models, tiny_gpt2, family):
    model, input_ids = tiny_family_models[family], ids_of(tiny_gpt2[1])
    names = ["blocks.0.attn.hook_pattern", "blocks.-1.attn.hook_pattern"]
    with capture_mode(model, eager=True), torch.no_grad():
        out = model(input_ids=input_ids, output_attentions=True)
        with reading(model, names) as records:
            model(input_ids=input_ids)
    torch.testing.assert_close(records[names[0]], out.attentions[0])
    torch.testing.assert_close(records[names[1]], out.attentions[-1])


def test_reading_the_pattern_switches_to_eager_attention_and_back(tiny_family_models, tiny_gpt2):
    model, input_ids = tiny_family_models["llama"], ids_of(tiny_gpt2[1])
    model.set_attn_implementation("sdpa")
    with capture_mode(model, eager=False), reading(model, ["blocks.1.attn.hook_pattern"]) as rec:
        model(input_ids=input_ids)
        assert model.config._attn_implementation == "eager"
    assert model.config._attn_implementation == "sdpa"
    pattern = rec["blocks.1.attn.hook_pattern"]
    assert pattern.shape == (1, 4, input_ids.shape[1], input_ids.shape[1])
    torch.testing.assert_close(pattern.sum(-1), torch.ones(pattern.shape[:-1]))


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert", *POST_NORM_LMS])
def test_replacing_the_pattern_of_a_hugging_face_model_is_refused(
    tiny_family_models, tiny_gpt2, family
):
    model, input_ids = tiny_family_models[family], ids_of(tiny_gpt2[1])
    with (
        capture_mode(model, eager=False),
        at_site(model, "blocks.1.attn.hook_pattern", torch.zeros_like),
        pytest.raises(ValueError, match=r"can be read but not replaced.*blocks\.1\.attn\.hook_z"),
    ):
        model(input_ids=input_ids)


@pytest.mark.parametrize("family", ["gpt2", "gpt_neox", "llama", "bert", *POST_NORM_LMS])
def test_replacing_the_embeddings_changes_the_pass(tiny_family_models, tiny_gpt2, family):
    model, input_ids = tiny_family_models[family], ids_of(tiny_gpt2[1])
    sites = ["hook_embed", *(["hook_pos_embed"] if family in LEARNED_POSITIONS else [])]
    with capture_mode(model, eager=False):
        clean = logits_of(model, input_ids)
        for site in sites:
            with at_site(model, site, lambda x: x.clone()):
                torch.testing.assert_close(logits_of(model, input_ids), clean)
            with at_site(model, site, torch.zeros_like):
                assert not torch.allclose(logits_of(model, input_ids), clean)


def test_hooked_transformer_model_level_sites_are_its_own(hooked):
    model, tokenizer = hooked
    input_ids = ids_of(tokenizer)
    names = valid_names(model)
    assert names[:2] == ["hook_embed", "hook_pos_embed"]
    assert names[-1] == "ln_final.hook_normalized" and "blocks.1.attn.hook_pattern" in names
    with reading(model, names) as records:
        logits, cache = model.run_with_cache(input_ids)
    for name in names:
        torch.testing.assert_close(records[name], cache[name])
    torch.testing.assert_close(
        records["hook_embed"] + records["hook_pos_embed"], records["blocks.0.hook_resid_pre"]
    )
    torch.testing.assert_close(model.unembed(records["ln_final.hook_normalized"]), logits)
    # a pattern that attends only to the query's own position: each head outputs its value
    eye = lambda pattern: torch.eye(pattern.shape[-1]).expand_as(pattern)  # noqa: E731
    with at_site(model, "blocks.0.attn.hook_pattern", eye):
        _, patched = model.run_with_cache(input_ids)
    torch.testing.assert_close(patched["blocks.0.attn.hook_z"], patched["blocks.0.attn.hook_v"])
    assert not torch.allclose(patched["blocks.0.attn.hook_z"], cache["blocks.0.attn.hook_z"])


def test_unknown_names_are_refused_with_every_valid_one(tiny_family_models):
    llama = tiny_family_models["llama"]
    for name in ("hook_embedding", "blocks.0.hook_embed", "ln_final", "blocks.0.attn.pattern"):
        with pytest.raises(ValueError, match="is not a hook point of LlamaForCausalLM") as error:
            parse_site(llama, name)
        message = str(error.value)
        for valid in ("hook_embed", "ln_final.hook_normalized", "attn.hook_pattern", "attn.hook_z"):
            assert valid in message
        assert "hook_pos_embed" not in message  # Llama has rotary positions
    assert parse_site(llama, "ln_final.hook_normalized") == (None, "ln_final.hook_normalized")
    assert parse_site(llama, "blocks.-1.attn.hook_pattern") == (1, "attn.hook_pattern")


def test_a_trace_serves_what_it_holds_and_says_how_to_get_the_rest(tiny_gpt2):
    model, tokenizer = tiny_gpt2
    trace = mw.trace(model, tokenizer, TEXT, kinds={"resid", "logits"})
    torch.testing.assert_close(trace["blocks.1.hook_resid_post"], trace.resid_post[1])
    with pytest.raises(KeyError, match=r"not captured.*kinds including 'attention'"):
        trace["blocks.1.attn.hook_pattern"]
    for name in ("hook_embed", "blocks.0.attn.hook_z", "ln_final.hook_normalized"):
        with pytest.raises(KeyError, match=r"valid site but a Trace does not record it.*reading"):
            trace[name]
    with pytest.raises(KeyError, match=r"not a site name.*hook_embed.*ln_final\.hook_normalized"):
        trace["blocks.0.hook_embed"]


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
def test_the_corpus_reader_reads_model_level_sites(tiny_family_models, tiny_gpt2, family):
    model, tokenizer = tiny_family_models[family], tiny_gpt2[1]
    reader = CorpusReader(model, tokenizer)
    batch = next(reader.stream([TEXT], 1, truncate=False, progress=None))
    with capture_mode(model, eager=False):
        acts = reader.read(batch.input_ids, batch.mask, ["ln_final.hook_normalized"]).clone()
        logits = logits_of(model, batch.input_ids)
        embed = reader.read(batch.input_ids, batch.mask, ["hook_embed"])
    with torch.no_grad():
        torch.testing.assert_close(readout(model).unembed(acts[0]), logits)
    weights = model.base_model.get_input_embeddings().weight
    torch.testing.assert_close(embed[0, 0], weights[batch.input_ids[0]])


@pytest.mark.parametrize("site", ["hook_attn_out", "hook_mlp_out"])
def test_steer_and_probe_take_every_site_of_the_streams_width(tiny_gpt2, site):
    model, tokenizer = tiny_gpt2
    input_ids = ids_of(tokenizer)
    name = f"blocks.0.{site}"
    with capture_mode(model, eager=False):
        with reading(model, [name]) as clean:
            model(input_ids=input_ids)
        with mw.steer(model, torch.ones(32), layer=0, site=site), reading(model, [name]) as moved:
            model(input_ids=input_ids)
    torch.testing.assert_close(moved[name], clean[name] + 1)
    texts = ["a b c", "d e f", "g h", "i j"] * 3
    probes = mw.probe(model, tokenizer, texts, [0, 1, 0, 1] * 3, layers=[0], site=site)
    assert probes.site == site
    with pytest.raises(ValueError, match=r"site must be one of .*'hook_mlp_out'.*got 'hook_embed'"):
        mw.probe(model, tokenizer, texts, [0, 1, 0, 1] * 3, site="hook_embed")
