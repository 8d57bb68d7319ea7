"""Time to compute the dashboard data of every feature of a 4,096-feature SAE, against
SAEDashboard (``sae-dashboard`` on PyPI, the maintained successor of sae_vis) on the same tokens.

Writes the ``sae`` section of ``benchmarks/RESULTS.md`` and prints it. In one run:

1. the bare forward pass + SAE encode over the corpus (``CorpusReader`` batches, as
   ``feature_stats`` reads them; features dropped);
2. ``mw.feature_stats`` with its default settings (two passes over the corpus);
3. SAEDashboard's ``SaeVisRunner.run`` in its own virtual environment (it needs
   ``transformer-lens<3`` and ``transformers<4.57``), as a subprocess running
   ``benchmarks/_sae_peer.py`` on the same model weights, autoencoder weights and token ids:
   on a subset of the features (one feature batch of 256 by default), extrapolated to all
   4,096, and on all 4,096 (``--no-peer-full`` skips that run).

The model is the bundled demo GPT-NeoX; the autoencoder is a seeded random TopK autoencoder
(training is not what is measured). No model or data set is downloaded.

    python -m benchmarks.sae                      # creates the peer environment if missing
    python -m benchmarks.sae --peer-venv PATH     # where that environment lives
    python -m benchmarks.sae --no-peer            # only this package's side
    python -m benchmarks.sae --train-texts 300    # a larger corpus (held-out + training texts)

The peer environment (about 2 GB, 2 minutes to install) is created with::

    python3 -m venv PATH
    PATH/bin/pip install torch==2.13.0
    PATH/bin/pip install sae-dashboard==0.8.0 torch==2.13.0 "pyarrow<26"
    PATH/bin/pip uninstall -y torchvision torchaudio

Each step works around a break of a plain ``pip install sae-dashboard==0.8.0``: torch is
pinned again, or a dependency of sae-dashboard (decode-clt, through torchvision) makes pip
replace the CPU wheel with a CUDA build of torch; transformer-lens 2 pins numpy below 2,
which pyarrow 26 (through datasets) cannot import with; and the torchvision wheel pip picks
does not load with the CPU torch (``operator torchvision::nms does not exist``), which breaks
``import transformer_lens``; only decode-clt, which SaeVisRunner does not use, needs it.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import time

import torch

import mi_widgets as mw
from benchmarks._environment import ensure_peer_venv as peer_environment
from benchmarks._environment import write_results
from mi_widgets.capture.reader import CorpusReader

N_FEATURES = 4096
K = 32
HOOK = "blocks.1.hook_resid_post"
#: SAEDashboard's rows: the demo model's context (the longest text feature_stats reads)
SEQ_LEN = 256
#: SaeVisConfig defaults: features per batch (one forward pass over all tokens per batch)
#: and sequences per forward pass
PEER_FEATURE_BATCH = 256
PEER_TOKEN_BATCH = 64
PEER_VERSION = "0.8.0"
TORCH_VERSION = "2.13.0"
DRIVER = pathlib.Path(__file__).resolve().parent / "_sae_peer.py"
DEFAULT_VENV = pathlib.Path(tempfile.gettempdir()) / "mi_widgets_sae_peer"


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


class Machine:
    """How busy the machine is while we run: load averages, and the CPU time the whole
    machine used (``/proc/stat``) minus what this process and its children used."""

    def __init__(self) -> None:
        self.load_before, self.start = loadavg(), self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        fields = [int(f) for f in pathlib.Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
        times = os.times()
        mine = times.user + times.system + times.children_user + times.children_system
        return time.monotonic(), busy, mine

    def stop(self) -> None:
        self.load_after = loadavg()
        end = self._sample()
        self.wall = end[0] - self.start[0]
        self.other_cores = max(0.0, (end[1] - self.start[1]) - (end[2] - self.start[2])) / self.wall


def ensure_peer_venv(path: pathlib.Path) -> pathlib.Path:
    """``PATH/bin/python`` with sae-dashboard installed, creating the environment if needed."""
    installs = [
        ["install", f"torch=={TORCH_VERSION}"],
        ["install", f"sae-dashboard=={PEER_VERSION}", f"torch=={TORCH_VERSION}", "pyarrow<26"],
        ["uninstall", "-y", "torchvision", "torchaudio"],
    ]
    peer = ("sae-dashboard", PEER_VERSION, "sae_dashboard.sae_vis_runner")
    return peer_environment(path, peer, installs, what="SAEDashboard (about 2 minutes)")


def make_sae(seed: int = 0) -> mw.SparseAutoencoder:
    """A seeded random TopK autoencoder, with a small random encoder bias so that features
    fire at different rates."""
    sae = mw.SparseAutoencoder(128, N_FEATURES, "topk", k=K, hook=HOOK, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        sae.b_enc.copy_(0.1 * torch.randn(N_FEATURES, generator=generator))
    return sae.eval()


def neox_to_transformer_lens(model) -> dict:
    """The demo GPT-NeoX's weights in TransformerLens names (as TransformerLens's own
    ``convert_neox_weights`` lays them out), with the shape of the model."""
    config = model.config
    n_heads, d_model = config.num_attention_heads, config.hidden_size
    d_head = d_model // n_heads
    weights = {name: t.detach().clone() for name, t in model.state_dict().items()}
    state = {"embed.W_E": weights["gpt_neox.embed_in.weight"]}
    for layer in range(config.num_hidden_layers):
        p = f"gpt_neox.layers.{layer}."
        b = f"blocks.{layer}."
        qkv = weights[p + "attention.query_key_value.weight"].view(n_heads, 3, d_head, d_model)
        qkv_bias = weights[p + "attention.query_key_value.bias"].view(n_heads, 3, d_head)
        for i, name in enumerate("QKV"):
            state[b + f"attn.W_{name}"] = qkv[:, i].transpose(1, 2).contiguous()
            state[b + f"attn.b_{name}"] = qkv_bias[:, i].contiguous()
        dense = weights[p + "attention.dense.weight"]  # [d_model, n_heads * d_head]
        state[b + "attn.W_O"] = dense.view(d_model, n_heads, d_head).permute(1, 2, 0).contiguous()
        state[b + "attn.b_O"] = weights[p + "attention.dense.bias"]
        for ln, hf in (("ln1", "input_layernorm"), ("ln2", "post_attention_layernorm")):
            state[b + f"{ln}.w"] = weights[p + f"{hf}.weight"]
            state[b + f"{ln}.b"] = weights[p + f"{hf}.bias"]
        state[b + "mlp.W_in"] = weights[p + "mlp.dense_h_to_4h.weight"].T.contiguous()
        state[b + "mlp.b_in"] = weights[p + "mlp.dense_h_to_4h.bias"]
        state[b + "mlp.W_out"] = weights[p + "mlp.dense_4h_to_h.weight"].T.contiguous()
        state[b + "mlp.b_out"] = weights[p + "mlp.dense_4h_to_h.bias"]
    state["ln_final.w"] = weights["gpt_neox.final_layer_norm.weight"]
    state["ln_final.b"] = weights["gpt_neox.final_layer_norm.bias"]
    state["unembed.W_U"] = model.get_output_embeddings().weight.detach().T.contiguous()
    state["unembed.b_U"] = torch.zeros(config.vocab_size)
    rope = getattr(config, "rope_parameters", None) or {}
    shape = {
        "n_layers": config.num_hidden_layers,
        "d_model": d_model,
        "n_heads": n_heads,
        "d_mlp": config.intermediate_size,
        "d_vocab": config.vocab_size,
        "n_ctx": config.max_position_embeddings,
        "eps": config.layer_norm_eps,
        "rotary_dim": round(rope.get("partial_rotary_factor", 1.0) * d_head),
        "rotary_base": rope.get("rope_theta", 10000.0),
    }
    assert config.hidden_act == "gelu" and config.use_parallel_residual
    return {"state_dict": state, "shape": shape}


def peer_tokens(ids: list[list[int]], pad: int) -> torch.Tensor:
    """The texts' tokens end to end, cut into rows of ``SEQ_LEN``, the last row padded with
    ``pad`` (which SAEDashboard is told to ignore): SAEDashboard takes ``[n_seq, seq_len]``
    without an attention mask."""
    flat = torch.tensor([i for text in ids for i in text], dtype=torch.long)
    n_rows = -(-flat.numel() // SEQ_LEN)
    out = torch.full((n_rows * SEQ_LEN,), pad, dtype=torch.long)
    out[: flat.numel()] = flat
    return out.view(n_rows, SEQ_LEN)


def timed(work) -> tuple[float, float]:
    """``(wall seconds, CPU seconds of this process)`` of ``work()``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - start, time.process_time() - start_cpu


def run_peer(python: pathlib.Path, workdir: pathlib.Path, settings: dict, timeout: float) -> dict:
    (workdir / "settings.json").write_text(json.dumps(settings))
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "WANDB_MODE": "disabled",
        "TOKENIZERS_PARALLELISM": "false",
    }
    env.pop("PYTHONPATH", None)
    subprocess.run([python, DRIVER, workdir], check=True, env=env, cwd=workdir, timeout=timeout)
    return json.loads((workdir / "result.json").read_text())


def measure_ours(model, tokenizer, sae, texts: list[str], rounds: int) -> dict:
    """Best of ``rounds`` interleaved rounds of the bare pass, of ``feature_stats``, and of
    ``feature_stats`` on the same texts sorted by length (less padding: a diagnostic)."""
    reader = CorpusReader(model, tokenizer)
    ids, _ = reader.tokenize(texts, 0, truncate=True)
    by_length = [texts[i] for i in sorted(range(len(texts)), key=lambda i: len(ids[i]))]

    def bare() -> None:
        """The forward pass + encode that feature_stats does once per pass, features dropped."""
        with torch.no_grad():
            for batch in reader.stream(texts, 16, truncate=True, progress=None):
                sae.encode(reader.read(batch.input_ids, batch.mask, [HOOK])[0])

    stats = []

    def ours() -> None:
        stats[:] = [mw.feature_stats(model, tokenizer, sae, texts, progress=False)]

    def sorted_by_length() -> None:
        mw.feature_stats(model, tokenizer, sae, by_length, progress=False)

    bare()  # warm up
    # rounds interleave the three, so a slower minute of the shared machine does not fall on
    # one of them only; each keeps its best round
    works = (bare, ours, sorted_by_length)
    times = [[timed(work) for work in works] for _ in range(rounds)]
    (bare_s, _), (ours_s, ours_cpu), (sorted_s, _) = (min(t[i] for t in times) for i in (0, 1, 2))
    positions = sum(
        b.input_ids.numel() for b in reader.stream(by_length, 16, truncate=True, progress=None)
    )
    return {
        "bare": bare_s,
        "ours": ours_s,
        "ours_cpu": ours_cpu,
        "all_ours": [t[1][0] for t in times],
        "sorted": sorted_s,
        "sorted_positions": positions,
        "stats": stats[0],
    }


def measure_peer(
    python: pathlib.Path, model, sae, ids: list[list[int]], reader, runs: list[dict], context: int
) -> dict:
    """SAEDashboard in its environment on the same weights and token ids."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        torch.save(neox_to_transformer_lens(model), workdir / "model.pt")
        names = ("W_enc", "b_enc", "W_dec", "b_dec")
        weights = {name: getattr(sae, name).detach().clone() for name in names}
        torch.save({**weights, "k": K}, workdir / "sae.pt")
        tokens = peer_tokens(ids, reader.pad_id)
        torch.save(tokens, workdir / "tokens.pt")
        with torch.no_grad():  # what the peer must reproduce on row 0
            row = tokens[:1]
            resid = reader.read(row, torch.ones_like(row), [HOOK])[0, 0].clone()
            torch.save({"resid": resid, "features": sae.encode(resid)}, workdir / "check.pt")
        settings = {
            "hook": HOOK,
            "pad_id": reader.pad_id,
            "minibatch_size_features": PEER_FEATURE_BATCH,
            "minibatch_size_tokens": PEER_TOKEN_BATCH,
            "context": context,
            "runs": runs,
        }
        result = run_peer(python, workdir, settings, timeout=3 * 3600)
    result["tokens_shape"] = list(tokens.shape)
    result["n_pad"] = int((tokens == reader.pad_id).sum())
    return result


def best_round(run: dict) -> dict:
    return min(run["rounds"], key=lambda r: r["seconds"])


def extrapolate(run: dict) -> float:
    """SaeVisRunner's time for all features from a run on ``n`` of them: whole feature
    batches scale by their number; otherwise the per-batch part (get_feature_data: forward
    passes, encode, correlations) scales by batches and the rest by features."""
    n, best = run["n_features"], best_round(run)
    if n % PEER_FEATURE_BATCH == 0:
        return best["seconds"] * N_FEATURES / n
    per_batch = best["phases"].get("get_feature_data", 0.0)
    batches = -(-n // PEER_FEATURE_BATCH)
    full_batches = -(-N_FEATURES // PEER_FEATURE_BATCH)
    return per_batch / batches * full_batches + (best["seconds"] - per_batch) * N_FEATURES / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--peer-venv",
        type=pathlib.Path,
        default=DEFAULT_VENV,
        help=f"SAEDashboard's virtual environment, created if missing (default {DEFAULT_VENV})",
    )
    parser.add_argument(
        "--peer-features",
        type=int,
        default=PEER_FEATURE_BATCH,
        help="features of the SAEDashboard subset run, spread over all 4,096 (default: one "
        f"feature batch, {PEER_FEATURE_BATCH}); its time is extrapolated to 4,096",
    )
    parser.add_argument(
        "--no-peer-full",
        action="store_true",
        help="skip the SAEDashboard run on all 4,096 features (extrapolate only)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each measurement")
    parser.add_argument(
        "--train-texts",
        type=int,
        default=0,
        help="add this many texts of the demo training corpus to the held-out ones",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip SAEDashboard")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.peer_features <= N_FEATURES:
        parser.error(f"--peer-features must be in 1..{N_FEATURES}")

    torch.set_num_threads(1)  # both sides single-threaded: the machine is shared
    machine = Machine()
    python = None if arguments.no_peer else ensure_peer_venv(arguments.peer_venv)

    model, tokenizer = mw.demo_model()
    texts = list(mw.demo_corpus("eval"))
    if arguments.train_texts:
        texts += list(mw.demo_corpus("train"))[: arguments.train_texts]
    sae = make_sae()
    reader = CorpusReader(model, tokenizer)
    ids, _ = reader.tokenize(texts, 0, truncate=True)  # what feature_stats reads
    n_tokens = sum(len(text) for text in ids)
    positions = sum(
        b.input_ids.numel() for b in reader.stream(texts, 16, truncate=True, progress=None)
    )

    ours = measure_ours(model, tokenizer, sae, texts, arguments.rounds)
    stats = ours["stats"]
    print(f"bare {ours['bare']:.2f} s, feature_stats {ours['ours']:.2f} s ({stats})", flush=True)

    peer = None
    if python is not None:
        subset = torch.linspace(0, N_FEATURES - 1, arguments.peer_features).round().long()
        runs = [{"features": subset.tolist(), "rounds": max(1, arguments.rounds - 1)}]
        if not arguments.no_peer_full and arguments.peer_features != N_FEATURES:
            runs.append({"features": list(range(N_FEATURES)), "rounds": 1})
        peer = measure_peer(python, model, sae, ids, reader, runs, stats.context)
    machine.stop()

    rows, peer_notes = table(ours, peer, n_tokens)
    notes = describe(ours, peer, peer_notes, arguments, texts, n_tokens, positions)
    notes = rewrap(notes + load_note(machine))
    write_results(
        "sae",
        "SAE feature-dashboard data: mw.feature_stats vs SAEDashboard",
        rows,
        notes,
        command="python -m benchmarks.sae",
    )
    return 0


def row(what: str, features: int, tokens: int, seconds: float, bare: float | None, speed_up):
    return {
        "what": what,
        "features": features,
        "tokens": tokens,
        "seconds": seconds,
        "per feature ms": 1000 * seconds / features,
        "× bare pass": seconds / bare if bare else "–",
        "speed-up": speed_up,
    }


def table(ours: dict, peer: dict | None, n_tokens: int) -> tuple[list[dict], str]:
    bare, mine = ours["bare"], ours["ours"]
    rows = [
        row(
            "bare forward + SAE encode (1 pass, features dropped)",
            N_FEATURES,
            n_tokens,
            bare,
            bare,
            "–",
        ),
        row(
            "**mw.feature_stats**, defaults (2 passes)",
            N_FEATURES,
            n_tokens,
            mine,
            bare,
            "reference",
        ),
        row(
            "diagnostic: mw.feature_stats, same texts sorted by length (less padding)",
            N_FEATURES,
            n_tokens,
            ours["sorted"],
            bare,
            "–",
        ),
    ]
    if peer is None:
        return rows, ""
    label = f"SAEDashboard {peer['versions']['sae-dashboard']} SaeVisRunner.run"
    subset = peer["runs"][0]
    n = subset["n_features"]
    extrapolated = extrapolate(subset)
    rows += [
        row(
            "TransformerLens forward + SAELens encode (peer environment)",
            N_FEATURES,
            n_tokens,
            min(peer["bare_seconds"]),
            bare,
            "–",
        ),
        row(
            f"{label}, measured on {n} features",
            n,
            n_tokens,
            best_round(subset)["seconds"],
            None,
            "–",
        ),
        row(
            f"{label}, **extrapolated** from {n} to {N_FEATURES} features",
            N_FEATURES,
            n_tokens,
            extrapolated,
            bare,
            f"{extrapolated / mine:.1f}×",
        ),
    ]
    if len(peer["runs"]) > 1:
        full = best_round(peer["runs"][1])["seconds"]
        rows.append(
            row(
                f"{label}, measured on all {N_FEATURES} features",
                N_FEATURES,
                n_tokens,
                full,
                bare,
                f"**{full / mine:.1f}×**",
            )
        )
    return rows, peer_note(peer, extrapolated)


def split(phases: dict) -> str:
    """Where SaeVisRunner.run spent its time, in words."""
    return (
        f"{phases.get('get_feature_data', 0):.1f} s forward passes + encode + correlations, "
        f"{phases.get('get_sequences_data', 0):.1f} s example sequences (top-k, quantile "
        f"groups), {phases.get('create', 0):.1f} s activation quantiles"
    )


def peer_note(peer: dict, extrapolated: float) -> str:
    versions = peer["versions"]
    shape = peer["tokens_shape"]
    subset = peer["runs"][0]
    n = subset["n_features"]
    best = best_round(subset)
    rounds = [f"{r['seconds']:.1f}" for r in subset["rounds"]]
    exact = n % PEER_FEATURE_BATCH == 0
    how = (
        f"a full run is {N_FEATURES // PEER_FEATURE_BATCH} such batches, so its estimate is the "
        f"measured time × {N_FEATURES / n:g}"
        if exact
        else "the per-batch part (get_feature_data) is scaled by batches, the rest by features"
    )
    text = f"""
- **Peer**: SAEDashboard {versions["sae-dashboard"]} (sae-lens {versions["sae-lens"]},
  transformer-lens {versions["transformer-lens"]}, transformers {versions["transformers"]},
  torch {versions["torch"]}, Python {peer["python"]}) in its own virtual environment, as a
  subprocess running `benchmarks/_sae_peer.py`; it runs offline. A plain
  `pip install sae-dashboard=={PEER_VERSION}` does not give a working environment here;
  `--peer-venv PATH` creates one as the module docstring of `benchmarks/sae.py` lists
  (torch {TORCH_VERSION} CPU pinned twice, `pyarrow<26` for transformer-lens's numpy<2,
  torchvision removed). SAELens refuses `fold_W_dec_norm` (which `SaeVisRunner.run` calls)
  for a TopK SAE unless `rescale_acts_by_decoder_norm=True`; the decoder rows have unit norm,
  so that setting changes no activation.
- **Same model, autoencoder and tokens**: the demo GPT-NeoX's weights converted to a
  TransformerLens `HookedSAETransformer` (no folding or centring) and the same autoencoder
  weights as a SAELens `TopKSAE`; on one 256-token row the residual stream at the hook
  differs from the Hugging Face model's by at most {peer["resid_max_abs_diff"]:.1e} and the
  features by {peer["features_max_abs_diff"]:.1e}. SAEDashboard takes `[n_seq, seq_len]`
  without an attention mask: the same token ids (each text cut to 256 tokens, as
  `feature_stats` reads them) end to end in {shape[0]} rows of {shape[1]}, the last row
  padded with the pad id, which `SaeVisConfig(ignore_tokens=...)` masks out ({peer["n_pad"]}
  positions, including the `<|endoftext|>` the tokenizer puts before each text).
  `SaeVisConfig` defaults otherwise ({PEER_FEATURE_BATCH} features per batch,
  {PEER_TOKEN_BATCH} rows per forward pass, top 20, 10 quantile groups of 5, histograms of 50
  bins, logit table of 10, neuron and feature correlation tables), sequence context ±8 tokens
  like ours.
- **Extrapolation**: SAEDashboard makes one forward pass over all tokens per batch of
  {PEER_FEATURE_BATCH} features (with a TopK autoencoder, encoding all 4,096 features and
  keeping the batch's), then computes feature by feature. The subset run covers {n} features
  spread evenly over the 4,096 ({-(-n // PEER_FEATURE_BATCH)} batch); {how}. Best of
  {len(rounds)} round{"s" if len(rounds) > 1 else ""} ({", ".join(rounds)} s); of the best:
  {split(best["phases"])}; the rest histograms, logit tables and bookkeeping. Peer process CPU time
  {100 * best["cpu_seconds"] / best["seconds"]:.0f} % of wall time."""
    if len(peer["runs"]) > 1:
        full = best_round(peer["runs"][1])
        text += f"""
- **Full run**: `SaeVisRunner.run` on all 4,096 features, once: {full["seconds"]:.1f} s
  (extrapolated from the subset: {extrapolated:.1f} s), of which {split(full["phases"])}
  ({N_FEATURES // PEER_FEATURE_BATCH} feature batches): outside the forward passes,
  {1000 * (full["seconds"] - full["phases"].get("get_feature_data", 0)) / N_FEATURES:.1f} ms
  per feature. CPU time {100 * full["cpu_seconds"] / full["seconds"]:.0f} % of wall time."""
    return text


def describe(ours, peer, peer_notes, arguments, texts, n_tokens, positions) -> str:
    stats = ours["stats"]
    bare, mine = ours["bare"], ours["ours"]
    extra = (
        f" plus the first {arguments.train_texts} texts of the training split"
        if arguments.train_texts
        else ""
    )
    rounds = ", ".join(f"{s:.1f}" for s in ours["all_ours"])
    speed = speed_sorted = ""
    if peer is not None and len(peer["runs"]) > 1:
        full = best_round(peer["runs"][1])["seconds"]
        speed_sorted = (
            f" Against SAEDashboard's full run that would be {full / ours['sorted']:.1f}×."
        )
    if peer is not None:
        speed = """
- **Columns**: × bare pass = seconds ÷ this package's bare pass (first row); speed-up = how
  many times longer SAEDashboard takes than `mw.feature_stats` for the dashboard data of all
  4,096 features over the same tokens (the issue's target: ≥ 20×)."""
    return f"""
What was measured, on what:

- **Model**: the bundled demo GPT-NeoX (2 layers, d_model 128, 4 heads, d_mlp 512, rotary,
  vocabulary 2,048). **Corpus**: `mw.demo_corpus("eval")`{extra}: {len(texts)} texts,
  {n_tokens:,} tokens after cutting each to the model's 256-token context.
- **Autoencoder**: a random, seeded TopK SAE, `SparseAutoencoder(128, 4096, "topk", k=32,
  seed=0)` with `b_enc` = 0.1 · N(0, 1) (seeded), on `{HOOK}`: training is not what is
  measured. {int((~stats.dead).sum()):,} of the
  4,096 features fire on this corpus.
- **Bare**: the texts streamed by `CorpusReader` in batches of 16 as `feature_stats` reads
  them (right-padded to the longest text of each batch: {positions:,} positions for
  {n_tokens:,} tokens), forward pass, `sae.encode`, features dropped.
- **Ours**: `mw.feature_stats(model, tokenizer, sae, texts)` with its defaults (k=20,
  context 8, 10 intervals × 5 examples, power-of-two histogram, 10 logit effects each way, 10
  nearest features), which reads the corpus twice: {mine / bare:.2f} × one bare pass
  ({100 * (mine / bare - 1):.0f} % overhead), {mine / (2 * bare):.2f} × the two passes it
  makes. Best of {arguments.rounds} round{"s" if arguments.rounds > 1 else ""} interleaved
  with the bare pass (feature_stats:
  {rounds} s); this process got {100 * ours["ours_cpu"] / mine:.0f} % of a core in the best
  round.
- **Diagnostic**: the same call on the same texts sorted by length, so that each batch of 16
  holds texts of similar length: {ours["sorted_positions"]:,} padded positions instead of
  {positions:,}, {ours["sorted"]:.2f} s instead of {mine:.2f} s. Both passes encode every padded
  position (the `[batch, pos, d_in] @ W_enc` product and the top-k of 4,096 pre-activations per
  position), so padding costs `feature_stats` {100 * (1 - ours["sorted"] / mine):.0f} % of its
  time here.{speed_sorted}{peer_notes}{speed}"""


def load_note(machine: Machine) -> str:
    before, after = machine.load_before, machine.load_after
    text = f"""
- **Load**: `torch.set_num_threads(1)` in both processes (`OMP_NUM_THREADS=1` for the peer).
  Load average (1, 5 min) {before[0]:.2f}, {before[1]:.2f} before the run and {after[0]:.2f},
  {after[1]:.2f} after, on {os.cpu_count()} cores (this benchmark itself adds 1). Other work
  used {machine.other_cores:.2f} cores on average over the {machine.wall:.0f} s of the run
  (CPU time of the machine minus this process and its children)."""
    if machine.other_cores > 0.25:
        text += """ The machine was shared with other CPU-heavy work: both sides ran
  single-threaded on the same machine in the same run, so the comparison holds, but absolute
  times may be pessimistic."""
    return text


def rewrap(notes: str, width: int = 96) -> str:
    """Each paragraph and bullet of ``notes`` filled to ``width`` columns."""
    blocks: list[list[str]] = []
    for line in notes.strip().splitlines():
        if not line.strip():
            blocks.append([])
        elif line.startswith("- ") or not blocks or not blocks[-1]:
            blocks.append([line.strip()])
        else:
            blocks[-1].append(line.strip())
    out = []
    for block in blocks:
        if not block:
            out.append("")
            continue
        bullet = block[0].startswith("- ")
        out.append(
            textwrap.fill(
                " ".join(block),
                width,
                subsequent_indent="  " if bullet else "",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
