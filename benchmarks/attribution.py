"""Time and peak memory of ``mw.attribute`` against prompt length, and circuit-tracer 0.5's
``attribute`` on models of the same sizes.

Writes the ``attribution`` section of ``benchmarks/RESULTS.md`` and prints it. Two models:

1. **demo**: the bundled demo GPT-NeoX (2 layers, d_model 128) with ``mw.demo_transcoders()``;
2. **gpt2**: a 12-layer GPT-2-small-shaped model from config (d_model 768, 12 heads, d_mlp
   3,072, vocabulary 50,257; random weights) with seeded random TopK transcoders of 4,096
   features, k = 8.

For each, prompts of 16, 32, 64, 128 and 256 tokens (the first tokens of demo-corpus texts):
seconds and peak resident memory of one ``attribute`` call (a sampling thread reads the RSS:
``tracemalloc`` does not see torch's allocations), the graph's size, and whether it is exact:
the largest ``|value - (incoming edges + constant)|`` over the feature and logit nodes.

The peer, circuit-tracer 0.5.0, runs in its own virtual environment (it pins
``transformers<=4.57.3``) as a subprocess running ``benchmarks/_attribution_peer.py``, on
TransformerLens models from config of the same sizes (layers, width, heads, MLP width,
vocabulary) with random TopK transcoders of the same width and k (so both graphs have the
same number of active features: layers × tokens × k), the same prompt lengths and the same
cap on feature nodes. Both sides use every core
(``torch.get_num_threads()``). No model or data set is downloaded.

    python -m benchmarks.attribution                    # creates the peer environment if missing
    python -m benchmarks.attribution --peer-venv PATH   # where that environment lives
    python -m benchmarks.attribution --no-peer          # only this package's side
    python -m benchmarks.attribution --lengths 16 64 --models demo
    python -m benchmarks.attribution --no-ours --save-peer PEER.json   # the peer now...
    python -m benchmarks.attribution --peer-result PEER.json           # ...ours later
    (--save-ours / --ours-result likewise for this package's side)

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
import sys
import tempfile
import time

import torch

import mi_widgets as mw
from benchmarks._environment import ensure_peer_venv, write_results
from benchmarks._memory import PeakRSS
from benchmarks.sae import Machine
from mi_widgets.circuits import TranscoderSet

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
    "d_vocab": 50257,
    "n_features": 4096,
    "k": 8,
}
#: the demo model's shape and its bundled transcoders' width and k (checked when loaded)
DEMO_SHAPE = {
    "n_layers": 2,
    "d_model": 128,
    "n_heads": 4,
    "d_mlp": 512,
    "d_vocab": 2048,
    "n_features": 1024,
    "k": 16,
}
SHAPES = {"demo": DEMO_SHAPE, "gpt2": GPT2_SHAPE}
#: backward targets per pass, both sides (``mw.attribute``'s default; circuit-tracer's is 512,
#: which on the gpt2 model at 256 tokens would hold 512 copies of every activation)
BATCH_SIZE = 32


def ensure_circuit_tracer(path: pathlib.Path) -> pathlib.Path:
    """``PATH/bin/python`` with circuit-tracer installed, creating the environment if needed."""
    installs = [
        ["install", f"torch=={TORCH_VERSION}"],
        ["install", "-c", "{PATH}/constraints.txt", f"circuit-tracer=={PEER_VERSION}"],
    ]
    return ensure_peer_venv(
        path,
        ("circuit-tracer", PEER_VERSION, "circuit_tracer"),
        installs,
        what="circuit-tracer (about 20 minutes)",
        files={"constraints.txt": f"torch=={TORCH_VERSION}+cpu\n"},
    )


def random_transcoders(shape: dict, seed: int = 0) -> TranscoderSet:
    """One random TopK transcoder per layer, as the peer builds them: ``W_enc`` and ``W_dec``
    N(0, 1/d_model), biases 0, ``shape["k"]`` features per token."""
    generator = torch.Generator().manual_seed(seed)
    d_model, n_features = shape["d_model"], shape["n_features"]
    transcoders = [
        mw.Transcoder.from_tensors(
            W_enc=torch.randn(d_model, n_features, generator=generator) / d_model**0.5,
            b_enc=torch.zeros(n_features),
            W_dec=torch.randn(n_features, d_model, generator=generator) / d_model**0.5,
            b_dec=torch.zeros(d_model),
            layer=layer,
            activation="topk",
            k=shape["k"],
        )
        for layer in range(shape["n_layers"])
    ]
    return TranscoderSet(transcoders)


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


def prompts(tokenizer, lengths: list[int]) -> dict[int, str]:
    """``{length: text}``: the start of the longest demo-corpus texts, cut so that the
    tokenizer makes exactly ``length`` tokens of it (special tokens it adds included)."""
    texts = sorted(mw.demo_corpus("eval"), key=len, reverse=True)
    ids: list[int] = []
    for text in texts:
        ids += tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) >= 2 * max(lengths):
            break
    out = {}
    for length in lengths:
        for cut in range(max(1, length - 8), length + 8):
            text = tokenizer.decode(ids[:cut])
            if len(tokenizer(text)["input_ids"]) == length:
                out[length] = text
                break
        else:
            raise RuntimeError(f"no cut of the corpus makes {length} tokens")
    return out


def measure_ours(model, tokenizer, transcoders, lengths, max_features, max_seconds) -> list:
    """One ``mw.attribute`` call per prompt length (after a warm-up): seconds, peak RSS,
    the graph's size and its largest sum error."""
    texts = prompts(tokenizer, lengths)
    settings = {"max_features": max_features, "batch_size": BATCH_SIZE}
    warm_up = prompts(tokenizer, [8])[8]
    mw.attribute(model, tokenizer, warm_up, transcoders, **settings)
    rows = []
    for length in lengths:
        start = time.perf_counter()
        with PeakRSS() as memory:
            graph = mw.attribute(model, tokenizer, texts[length], transcoders, **settings)
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
        machine = Machine()
        subprocess.run([python, DRIVER, workdir], check=True, env=env, cwd=workdir)
        machine.stop()
        return {**json.loads((workdir / "result.json").read_text()), "load": load(machine)}


def setup(name: str, demo_transcoders: str = "bundled"):
    """``(model, transcoders)`` of one benchmark model; the demo model's transcoders are
    ``mw.demo_transcoders()`` (``"bundled"``) or random ones of their size (``"random"``)."""
    if name == "gpt2":
        return gpt2_model(), random_transcoders(GPT2_SHAPE)
    model, _ = mw.demo_model()
    if demo_transcoders == "random":
        return model, random_transcoders(DEMO_SHAPE)
    transcoders = mw.demo_transcoders()
    found = {"n_features": transcoders[0].n_features, "k": transcoders[0].k}
    if found != {key: DEMO_SHAPE[key] for key in found}:
        raise RuntimeError(f"the demo transcoders are {found}; update DEMO_SHAPE to match")
    return model, transcoders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-venv", type=pathlib.Path, default=DEFAULT_VENV)
    parser.add_argument("--no-peer", action="store_true", help="skip circuit-tracer")
    parser.add_argument("--no-ours", action="store_true", help="only circuit-tracer")
    parser.add_argument("--save-peer", type=pathlib.Path, help="write the peer's result here")
    parser.add_argument("--save-ours", type=pathlib.Path, help="write our result here")
    parser.add_argument(
        "--ours-result", type=pathlib.Path, help="use a result --save-ours wrote, do not rerun"
    )
    parser.add_argument(
        "--peer-result", type=pathlib.Path, help="use a result --save-peer wrote, do not rerun"
    )
    parser.add_argument("--models", nargs="+", choices=tuple(SHAPES), default=list(SHAPES))
    parser.add_argument("--lengths", nargs="+", type=int, default=list(LENGTHS))
    parser.add_argument(
        "--demo-transcoders",
        choices=("bundled", "random"),
        default="bundled",
        help="the demo model's transcoders: mw.demo_transcoders() or random ones of that size",
    )
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
    peer = None
    if arguments.peer_result:
        peer = json.loads(arguments.peer_result.read_text())
    elif not arguments.no_peer:
        runs = [
            {
                "name": name,
                **SHAPES[name],
                "lengths": arguments.lengths,
                "max_features": arguments.max_features,
                "batch_size": BATCH_SIZE,
            }
            for name in arguments.models
        ]
        python = ensure_circuit_tracer(arguments.peer_venv)
        peer = run_peer(python, runs, arguments.max_seconds)
        if arguments.save_peer:
            arguments.save_peer.write_text(json.dumps(peer, indent=1))
    if arguments.no_ours:
        print(json.dumps(peer, indent=1))
        return 0
    if arguments.ours_result:
        ours = json.loads(arguments.ours_result.read_text())
    else:
        machine = Machine()
        ours = {}
        for name in arguments.models:
            model, transcoders = setup(name, arguments.demo_transcoders)
            _, tokenizer = mw.demo_model()
            ours[name] = measure_ours(
                model,
                tokenizer,
                transcoders,
                arguments.lengths,
                arguments.max_features,
                arguments.max_seconds,
            )
        machine.stop()
        ours["load"] = load(machine)
        if arguments.save_ours:
            arguments.save_ours.write_text(json.dumps(ours, indent=1))
    write_results(
        "attribution",
        "Attribution graphs: time and peak memory against prompt length",
        table(arguments.models, ours, peer),
        notes=describe(peer, ours["load"], arguments),
        command=" ".join(
            ["python -m benchmarks.attribution", *(pathlib.Path(a).name for a in argv or [])]
        ),
    )
    return 0


def load(machine: Machine) -> dict:
    """How busy the machine was: load averages before and after, other processes' cores."""
    return {
        "before": machine.load_before[0],
        "after": machine.load_after[0],
        "other_cores": machine.other_cores,
        "seconds": machine.wall,
    }


def table(models: list[str], ours: dict, peer: dict | None) -> list[dict]:
    """One row per model and prompt length: both sides' seconds and memory, and the ratio."""
    peer_rows = {
        (run["name"], row["tokens"]): row
        for run in (peer or {}).get("runs", [])
        for row in run["rows"]
    }
    rows = []
    for name in models:
        shape = SHAPES[name]
        mine = {row["tokens"]: row for row in ours.get(name, [])}
        lengths = sorted(set(mine) | {tokens for model, tokens in peer_rows if model == name})
        for length in lengths:
            a, b = mine.get(length), peer_rows.get((name, length))
            rows.append(
                {
                    "model": f"{name}: {shape['n_layers']} × {shape['d_model']}, "
                    f"{shape['n_features']:,} features, k {shape['k']}",
                    "tokens": length,
                    "feature nodes": a["features"] if a else b and b["selected_features"],
                    "mw.attribute s": a and a["seconds"],
                    "circuit-tracer s": b and b["seconds"],
                    "circuit-tracer ÷ ours": a and b and b["seconds"] / a["seconds"],
                    "ours peak MB (+)": a and f"{a['peak_mb']:.0f} (+{a['increase_mb']:.0f})",
                    "circuit-tracer peak MB (+)": b
                    and f"{b['peak_mb']:.0f} (+{b['increase_mb']:.0f})",
                    "max sum error": a and a["sum_error"],
                }
            )
    return rows


def describe(peer: dict | None, ours_load: dict, arguments) -> str:
    versions = (
        ", ".join(f"{name} {version}" for name, version in peer["versions"].items())
        if peer
        else "not run"
    )
    cap = arguments.max_features or "none (every active feature)"
    loads = [("this package's side", ours_load)]
    if peer:
        loads.append(("circuit-tracer's side", peer["load"]))
    load_lines = "; ".join(
        f"{side}: load average {item['before']:.1f} before, {item['after']:.1f} after, other "
        f"processes used {item['other_cores']:.2f} cores on average over {item['seconds']:.0f} s"
        for side, item in loads
    )
    demo = (
        "`mw.demo_transcoders()` (trained)"
        if arguments.demo_transcoders == "bundled"
        else "seeded random TopK"
    )
    return f"""
- **Models**: demo = the bundled GPT-NeoX with {demo} transcoders; gpt2 =
  GPT-2-small-shaped `GPT2LMHeadModel` from config (random weights) with seeded random TopK
  transcoders. circuit-tracer runs TransformerLens `HookedTransformer`s from config of the
  same sizes (LayerNorm, GELU, learned positions) with seeded random TopK transcoders of the
  same width and k, so both sides' graphs have the same number of feature nodes (layers ×
  tokens × k, when every active feature is kept).
- **Prompts**: the first tokens of demo-corpus texts (ours), seeded random token ids (peer),
  of the same lengths. Cap on feature nodes: {cap}. Each side: one warm-up call, then one
  call per length; longer prompts are skipped once a call takes more than
  {arguments.max_seconds:.0f} s.
- **Memory**: peak resident set size of the process during the call (sampled every 2 ms),
  and in brackets its increase over the RSS at the call's start.
- **Exactness**: max sum error = the largest |value − (Σ incoming edges + constant)| over the
  feature and logit nodes of our graph (float32).
- **Peer**: {versions}.
- **Load** (2 cores, shared): {load_lines}.
"""


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
