"""Time and peak memory of ``mw.attribute`` against prompt length, and circuit-tracer 0.5's
``attribute`` on models of the same sizes.

Writes the ``attribution`` section of ``benchmarks/RESULTS.md`` and prints it. Two models:

1. **demo**: the bundled demo GPT-NeoX (2 layers, d_model 128) with ``mw.demo_transcoders()``;
2. **gpt2**: a 12-layer GPT-2-small-shaped model from config (d_model 768, 12 heads, d_mlp
   3,072, vocabulary 50,257; random weights) with random ReLU transcoders of 4,096 features
   whose encoder bias (-3) lets about 0.1 % of the features fire.

For each, prompts of 16, 32, 64, 128 and 256 tokens (the first tokens of demo-corpus texts):
seconds and peak resident memory of one ``attribute`` call (a sampling thread reads the RSS:
``tracemalloc`` does not see torch's allocations), the graph's size, and whether it is exact:
the largest ``|value - (incoming edges + constant)|`` over the feature and logit nodes.

The peer, circuit-tracer 0.5.0, runs in its own virtual environment (it pins
``transformers<=4.57.3``) as a subprocess running ``benchmarks/_attribution_peer.py``, on
TransformerLens models from config of the same sizes (layers, width, heads, MLP width,
vocabulary, transcoder features) with random ReLU transcoders, and the same prompt lengths,
with the same cap on feature nodes. Both sides use every core
(``torch.get_num_threads()``). No model or data set is downloaded.

    python -m benchmarks.attribution                    # creates the peer environment if missing
    python -m benchmarks.attribution --peer-venv PATH   # where that environment lives
    python -m benchmarks.attribution --no-peer          # only this package's side
    python -m benchmarks.attribution --lengths 16 64 --models demo

The peer environment (about 2.5 GB, 20 minutes to install) is created with::

    python3 -m venv PATH
    PATH/bin/pip install torch==2.13.0
    echo "torch==2.13.0+cpu" > PATH/constraints.txt
    PATH/bin/pip install -c PATH/constraints.txt circuit-tracer==0.5.0

(the constraint keeps pip from replacing the CPU wheel of torch by a CUDA build).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import torch

import mi_widgets as mw
from benchmarks._environment import ensure_peer_venv, write_results
from benchmarks._memory import PeakRSS
from benchmarks.sae import Machine

LENGTHS = (16, 32, 64, 128, 256)
PEER_VERSION = "0.5.0"
TORCH_VERSION = "2.13.0"
HERE = pathlib.Path(__file__).resolve().parent
DRIVER = HERE / "_attribution_peer.py"
DEFAULT_VENV = pathlib.Path(tempfile.gettempdir()) / "mi_widgets_attribution_peer"
GPT2_SHAPE = {
    "n_layers": 12,
    "d_model": 768,
    "n_heads": 12,
    "d_mlp": 3072,
    "n_features": 4096,
    "d_vocab": 50257,
}
#: encoder biases of the random transcoders (pre-activations are about N(0, 1)): -3 lets
#: about 0.13 % of the features fire, -2 about 2.3 %
GPT2_BIAS = -3.0
DEMO_PEER_BIAS = -2.0


def ensure_circuit_tracer(path: pathlib.Path) -> pathlib.Path:
    """``PATH/bin/python`` with circuit-tracer installed, creating the environment if needed."""
    probe = (
        "import importlib.metadata as m, circuit_tracer; "
        f"assert m.version('circuit-tracer') == {PEER_VERSION!r}"
    )
    installs = [
        ["install", f"torch=={TORCH_VERSION}"],
        ["install", "-c", "{PATH}/constraints.txt", f"circuit-tracer=={PEER_VERSION}"],
    ]
    return ensure_peer_venv(
        path,
        probe,
        installs,
        what="circuit-tracer (about 20 minutes)",
        files={"constraints.txt": f"torch=={TORCH_VERSION}+cpu\n"},
    )


def random_transcoders(shape: dict, bias: float, seed: int = 0) -> mw.TranscoderSet:
    """One random ReLU transcoder per layer, as the peer builds them: ``W_enc`` N(0, 1/d_model)
    (so pre-activations after the MLP's norm are about N(0, 1)), ``b_enc = bias``, ``W_dec``
    N(0, 1/d_model), ``b_dec = 0``."""
    generator = torch.Generator().manual_seed(seed)
    d_model, n_features = shape["d_model"], shape["n_features"]
    transcoders = [
        mw.Transcoder.from_tensors(
            W_enc=torch.randn(d_model, n_features, generator=generator) / d_model**0.5,
            b_enc=torch.full((n_features,), bias),
            W_dec=torch.randn(n_features, d_model, generator=generator) / d_model**0.5,
            b_dec=torch.zeros(d_model),
            layer=layer,
            activation="relu",
        )
        for layer in range(shape["n_layers"])
    ]
    return mw.TranscoderSet(transcoders)


def gpt2_model():
    """A GPT-2-small-shaped ``GPT2LMHeadModel`` from config (random weights, seeded)."""
    from transformers import AutoModelForCausalLM, GPT2Config

    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=GPT2_SHAPE["n_layers"],
        n_embd=GPT2_SHAPE["d_model"],
        n_head=GPT2_SHAPE["n_heads"],
        n_inner=GPT2_SHAPE["d_mlp"],
        vocab_size=GPT2_SHAPE["d_vocab"],
        n_positions=1024,
        bos_token_id=0,
        eos_token_id=0,
    )
    return AutoModelForCausalLM.from_config(config).eval()


def prompts(tokenizer, lengths: list[int]) -> dict[int, torch.Tensor]:
    """``{length: [length] token ids}``: the first tokens of the longest demo-corpus texts,
    the model's BOS token first."""
    texts = sorted(mw.demo_corpus("eval"), key=len, reverse=True)
    ids = [tokenizer.bos_token_id or 0]
    for text in texts:
        ids += tokenizer(text)["input_ids"]
        if len(ids) >= max(lengths):
            break
    return {n: torch.tensor(ids[:n]) for n in lengths}


def measure_ours(model, tokenizer, transcoders, lengths, max_features, max_seconds) -> list:
    """One ``mw.attribute`` call per prompt length (after a warm-up): seconds, peak RSS,
    the graph's size and its largest sum error."""
    ids = prompts(tokenizer, lengths)
    settings = {"max_features": max_features}
    mw.attribute(model, tokenizer, ids[min(lengths)][:8], transcoders, **settings)  # warm-up
    rows = []
    for length in lengths:
        start = time.perf_counter()
        with PeakRSS() as memory:
            graph = mw.attribute(model, tokenizer, ids[length], transcoders, **settings)
        seconds = time.perf_counter() - start
        rows.append(
            {
                "tokens": length,
                "seconds": seconds,
                "peak_mb": memory.peak_mb,
                "increase_mb": memory.increase_mb,
                "features": graph.counts["feature"],
                "logits": graph.counts["logit"],
                "nodes": graph.n_nodes,
                "sum_error": sum_error(graph),
            }
        )
        print("ours", rows[-1], flush=True)
        if seconds > max_seconds:
            break
    return rows


def sum_error(graph: mw.AttributionGraph) -> float:
    """The largest ``|value - (Σ incoming edges + constant)|`` over features and logits."""
    rows = torch.cat(
        [torch.arange(graph.n_nodes)[graph.slices[kind]] for kind in ("feature", "logit")]
    )
    residual = graph.values - (graph.adjacency.sum(1) + graph.constants)
    return float(residual[rows].abs().max())


def run_peer(python: pathlib.Path, runs: list[dict], max_seconds: float) -> dict:
    """circuit-tracer's side in its environment: ``{"runs": [{name, rows}], "versions"}``."""
    from benchmarks._attribution_peer import save_tokenizer

    with tempfile.TemporaryDirectory() as work:
        workdir = pathlib.Path(work)
        tokenizer = save_tokenizer(HERE.parent / "mi_widgets/demo/model", workdir / "tokenizer")
        settings = {
            "tokenizer": str(tokenizer),
            "seed": 0,
            "threads": torch.get_num_threads(),
            "max_seconds": max_seconds,
            "runs": runs,
        }
        (workdir / "settings.json").write_text(json.dumps(settings))
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        env.pop("PYTHONPATH", None)
        subprocess.run([python, DRIVER, workdir], check=True, env=env, cwd=workdir)
        return json.loads((workdir / "result.json").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-venv", type=pathlib.Path, default=DEFAULT_VENV)
    parser.add_argument("--no-peer", action="store_true", help="skip circuit-tracer")
    parser.add_argument("--no-ours", action="store_true", help="only circuit-tracer")
    parser.add_argument("--models", nargs="+", choices=("demo", "gpt2"), default=["demo", "gpt2"])
    parser.add_argument("--lengths", nargs="+", type=int, default=list(LENGTHS))
    parser.add_argument(
        "--max-features",
        type=int,
        default=None,
        help="cap on feature nodes, both sides (default: every active feature)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=600,
        help="stop a model's longer prompts once one attribute call takes longer than this",
    )
    arguments = parser.parse_args(argv)
    machine = Machine()
    python = None if arguments.no_peer else ensure_circuit_tracer(arguments.peer_venv)
    tokenizer_model, tokenizer = mw.demo_model()
    setups = {}
    if "demo" in arguments.models:
        demo_transcoders = mw.demo_transcoders()
        config = tokenizer_model.config
        shape = {
            "n_layers": config.num_hidden_layers,
            "d_model": config.hidden_size,
            "n_heads": config.num_attention_heads,
            "d_mlp": config.intermediate_size,
            "n_features": demo_transcoders[0].n_features,
            "d_vocab": config.vocab_size,
        }
        setups["demo"] = (tokenizer_model, demo_transcoders, shape, DEMO_PEER_BIAS)
    if "gpt2" in arguments.models:
        transcoders = random_transcoders(GPT2_SHAPE, GPT2_BIAS)
        setups["gpt2"] = (gpt2_model(), transcoders, GPT2_SHAPE, GPT2_BIAS)
    ours = {}
    if not arguments.no_ours:
        for name, (model, transcoders, _, _) in setups.items():
            ours[name] = measure_ours(
                model,
                tokenizer,
                transcoders,
                arguments.lengths,
                arguments.max_features,
                arguments.max_seconds,
            )
    peer = None
    if python is not None:
        runs = [
            {
                "name": name,
                **shape,
                "bias": bias,
                "lengths": arguments.lengths,
                "max_features": arguments.max_features,
            }
            for name, (_, _, shape, bias) in setups.items()
        ]
        peer = run_peer(python, runs, arguments.max_seconds)
    machine.stop()
    rows = table(setups, ours, peer)
    write_results(
        "attribution",
        "Attribution graphs: time and peak memory against prompt length",
        rows,
        notes=describe(setups, peer, machine, arguments),
        command="python -m benchmarks.attribution " + " ".join(argv or []),
    )
    return 0


def table(setups: dict, ours: dict, peer: dict | None) -> list[dict]:
    """One row per model and prompt length: both sides' seconds and memory, and the ratio."""
    peer_rows = {
        (run["name"], row["tokens"]): row
        for run in (peer or {}).get("runs", [])
        for row in run["rows"]
    }
    rows = []
    for name, (_, _, shape, _) in setups.items():
        lengths = sorted(
            {row["tokens"] for row in ours.get(name, [])}
            | {tokens for model, tokens in peer_rows if model == name}
        )
        mine = {row["tokens"]: row for row in ours.get(name, [])}
        for length in lengths:
            a, b = mine.get(length), peer_rows.get((name, length))
            rows.append(
                {
                    "model": f"{name} ({shape['n_layers']}L × {shape['d_model']}, "
                    f"{shape['n_features']:,} features/layer)",
                    "tokens": length,
                    "features (ours / peer)": f"{a['features'] if a else '–'} / "
                    f"{b['selected_features'] if b else '–'}",
                    "mw.attribute s": a and a["seconds"],
                    "circuit-tracer s": b and b["seconds"],
                    "peer ÷ ours": a and b and b["seconds"] / a["seconds"],
                    "ours peak MB (+)": a and f"{a['peak_mb']:.0f} (+{a['increase_mb']:.0f})",
                    "peer peak MB (+)": b and f"{b['peak_mb']:.0f} (+{b['increase_mb']:.0f})",
                    "max sum error": a and a["sum_error"],
                }
            )
    return rows


def describe(setups: dict, peer: dict | None, machine: Machine, arguments) -> str:
    versions = (
        ", ".join(f"{name} {version}" for name, version in peer["versions"].items())
        if peer
        else "not run"
    )
    before, after = machine.load_before, machine.load_after
    cap = arguments.max_features or "none (every active feature)"
    return f"""
- **Models**: demo = the bundled GPT-NeoX with `mw.demo_transcoders()` (trained); gpt2 =
  GPT-2-small-shaped `GPT2LMHeadModel` from config (random weights) with seeded random ReLU
  transcoders (encoder bias {GPT2_BIAS}). The peer runs TransformerLens models from config of
  the same sizes with random ReLU transcoders (encoder bias {DEMO_PEER_BIAS} for the demo
  size, {GPT2_BIAS} for gpt2), so the number of active features differs between the sides
  (column "features": feature nodes in each graph).
- **Prompts**: the first tokens of demo-corpus texts; the peer uses seeded random token ids
  of the same lengths. Cap on feature nodes: {cap}.
- **Memory**: peak resident set size of the process during the call (sampled every 2 ms),
  and in brackets its increase over the RSS at the call's start.
- **Exactness**: max sum error = the largest |value − (Σ incoming edges + constant)| over the
  feature and logit nodes of our graph.
- **Peer**: {versions}.
- **Load**: load average {before[0]:.1f} before, {after[0]:.1f} after; other processes used
  {machine.other_cores:.2f} cores on average over the {machine.wall:.0f} s of the run (the
  machine has 2 cores, shared).
"""


if __name__ == "__main__":
    raise SystemExit(main())
