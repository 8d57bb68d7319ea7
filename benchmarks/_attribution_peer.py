"""The peer side of ``benchmarks/attribution.py``: circuit-tracer 0.5's ``attribute``.

Runs in circuit-tracer's own virtual environment (it pins ``transformers<=4.57``); it does not
import ``mi_widgets``. ``benchmarks/attribution.py`` writes a work directory and runs
``python _attribution_peer.py WORKDIR``; ``WORKDIR/settings.json`` holds the tokenizer folder,
the seed and the runs (each: a model shape, prompt lengths, TopK ``k``, feature cap).
Writes ``WORKDIR/result.json``: per run and prompt length, the seconds of ``attribute``, the
peak resident memory (MB) and the graph's size; the versions.

``build_replacement_model`` is also what ``scripts/make_circuit_tracer_graph.py`` builds the
reference graph with: a TransformerLens ``HookedTransformer`` from config (random weights)
with one random transcoder per layer: TopK (``k`` features per token), or ReLU with an
encoder bias that makes a few % of the features fire (the pre-activations are about N(0, 1)
after the MLP's LayerNorm, so a bias of -2 lets about 2 % through).
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys
import time
from importlib import metadata

import torch

#: a model shape: layers, width, heads, MLP width, transcoder features, vocabulary
SHAPE_KEYS = ("n_layers", "d_model", "n_heads", "d_mlp", "n_features", "d_vocab")


def build_replacement_model(
    shape: dict,
    tokenizer_dir: str,
    *,
    k: int | None = None,
    bias: float = -2.0,
    seed: int = 0,
    n_ctx: int = 512,
):
    """A circuit-tracer ``ReplacementModel`` of ``shape`` (keys ``SHAPE_KEYS``), float32 on
    CPU, seeded; ``tokenizer_dir`` is a local tokenizer folder (no hub download). The
    transcoders are TopK with ``k`` features per token (encoder bias 0) when ``k`` is given,
    else ReLU with encoder bias ``bias``."""
    from circuit_tracer.replacement_model import ReplacementModel
    from circuit_tracer.transcoder import SingleLayerTranscoder, TranscoderSet
    from circuit_tracer.transcoder.activation_functions import TopK
    from transformer_lens import HookedTransformerConfig

    torch.manual_seed(seed)
    d_model, n_features = shape["d_model"], shape["n_features"]
    config = HookedTransformerConfig(
        n_layers=shape["n_layers"],
        d_model=d_model,
        n_heads=shape["n_heads"],
        d_head=d_model // shape["n_heads"],
        d_mlp=shape["d_mlp"],
        d_vocab=shape["d_vocab"],
        n_ctx=n_ctx,
        act_fn="gelu_new",
        normalization_type="LN",
        tokenizer_name=tokenizer_dir,
        dtype=torch.float32,
        device="cpu",
        seed=seed,
    )
    transcoders = {}
    for layer in range(shape["n_layers"]):
        transcoder = SingleLayerTranscoder(
            d_model,
            n_features,
            TopK(k) if k else torch.nn.ReLU(),
            layer,
            device=torch.device("cpu"),
            dtype=torch.float32,
        )
        with torch.no_grad():
            transcoder.W_enc.copy_(torch.randn(n_features, d_model) / d_model**0.5)
            transcoder.b_enc.fill_(0.0 if k else bias)
            transcoder.W_dec.copy_(torch.randn(n_features, d_model) / d_model**0.5)
        transcoders[layer] = transcoder
    transcoder_set = TranscoderSet(
        transcoders,
        feature_input_hook="mlp.hook_in",
        feature_output_hook="mlp.hook_out",
        scan="random-transcoders",
    )
    return ReplacementModel.from_config(config, transcoder_set)


def save_tokenizer(source: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """The tokenizer saved in ``source`` (e.g. the demo model's, saved by transformers 5)
    copied to ``folder`` in the format transformers 4 loads offline."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "tokenizer.json", folder / "tokenizer.json")
    config = json.loads((source / "tokenizer_config.json").read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config.pop("backend", None)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def prompt_ids(length: int, d_vocab: int, seed: int) -> torch.Tensor:
    """``[length]`` random token ids starting with id 0 (the tokenizer's special token, so
    circuit-tracer prepends nothing)."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, d_vocab, (length,), generator=generator)
    ids[0] = 0
    return ids


def measure(model, ids: torch.Tensor, run: dict) -> dict:
    """One ``attribute`` call: seconds, peak memory and the graph's size."""
    from _memory import PeakRSS
    from circuit_tracer import attribute

    start = time.perf_counter()
    with PeakRSS() as memory:
        graph = attribute(
            ids,
            model,
            max_n_logits=run.get("max_logits", 10),
            desired_logit_prob=0.95,
            batch_size=run.get("batch_size", 512),
            max_feature_nodes=run.get("max_features"),
            verbose=run.get("verbose", False),
        )
    seconds = time.perf_counter() - start
    return {
        "tokens": len(ids),
        "seconds": seconds,
        "peak_mb": memory.peak_mb,
        "increase_mb": memory.increase_mb,
        "active_features": len(graph.active_features),
        "selected_features": len(graph.selected_features),
        "logits": len(graph.logit_targets),
        "nodes": graph.adjacency_matrix.shape[0],
    }


def main(workdir: pathlib.Path) -> None:
    settings = json.loads((workdir / "settings.json").read_text())
    torch.set_num_threads(settings.get("threads", torch.get_num_threads()))
    versions = {
        name: metadata.version(name)
        for name in ("circuit-tracer", "torch", "transformer-lens", "transformers")
    }
    results: list[dict] = []
    for run in settings["runs"]:
        shape = {key: run[key] for key in SHAPE_KEYS}
        model = build_replacement_model(
            shape, settings["tokenizer"], k=run["k"], seed=settings["seed"]
        )
        measure(model, prompt_ids(8, shape["d_vocab"], settings["seed"]), run)  # warm-up
        results.append({"name": run["name"], "rows": []})
        for length in run["lengths"]:
            ids = prompt_ids(length, shape["d_vocab"], settings["seed"] + length)
            results[-1]["rows"].append(measure(model, ids, run))
            print(run["name"], results[-1]["rows"][-1], flush=True)
            # written after every call, so an interrupted run keeps what it measured
            result = {"runs": results, "versions": versions}
            (workdir / "result.json").write_text(json.dumps(result))
            if results[-1]["rows"][-1]["seconds"] > settings.get("max_seconds", float("inf")):
                break  # the next length would take too long


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
