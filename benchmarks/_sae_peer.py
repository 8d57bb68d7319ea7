"""The peer side of ``benchmarks/sae.py``: SAEDashboard's ``SaeVisRunner`` on the demo model.

Runs in a separate virtual environment (``sae-dashboard`` needs ``transformer-lens<3`` and
``transformers<4.57``); it does not import ``mi_widgets``. ``benchmarks/sae.py`` writes a work
directory and runs ``python _sae_peer.py WORKDIR``:

- ``model.pt``: the demo GPT-NeoX's weights in TransformerLens names, and its shape;
- ``sae.pt``: ``W_enc``, ``b_enc``, ``W_dec``, ``b_dec`` and ``k`` of the TopK autoencoder;
- ``tokens.pt``: int64 ``[n_seq, seq_len]`` token ids, the last row right-padded;
- ``check.pt``: the residual stream at the hook on row 0 as the Hugging Face model computes it,
  and the autoencoder's features there (to confirm both sides compute the same activations);
- ``settings.json``: hook, pad id, context, batch sizes, and the runs: features and rounds.

Writes ``result.json``: per run and round, the seconds (wall and CPU) of ``SaeVisRunner.run``
and the time inside its phases; the bare forward + encode times; versions; the check.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time
from collections import defaultdict
from importlib import metadata

import torch


def build_model(saved: dict):
    from sae_lens import HookedSAETransformer
    from transformer_lens import HookedTransformerConfig

    shape = saved["shape"]
    cfg = HookedTransformerConfig(
        n_layers=shape["n_layers"],
        d_model=shape["d_model"],
        n_ctx=shape["n_ctx"],
        d_head=shape["d_model"] // shape["n_heads"],
        n_heads=shape["n_heads"],
        d_mlp=shape["d_mlp"],
        d_vocab=shape["d_vocab"],
        act_fn="gelu",
        eps=shape["eps"],
        normalization_type="LN",
        positional_embedding_type="rotary",
        rotary_dim=shape["rotary_dim"],
        rotary_base=shape["rotary_base"],
        rotary_adjacent_pairs=False,
        parallel_attn_mlp=True,
        use_attn_scale=True,
        original_architecture="GPTNeoXForCausalLM",
        device="cpu",
        dtype=torch.float32,
    )
    model = HookedSAETransformer(cfg)
    # no folding or centring: the residual stream stays exactly the Hugging Face model's
    model.load_and_process_state_dict(
        saved["state_dict"],
        fold_ln=False,
        center_writing_weights=False,
        center_unembed=False,
        fold_value_biases=False,
    )
    return model.eval()


def build_sae(saved: dict, hook: str):
    from sae_lens.saes.sae import SAEMetadata
    from sae_lens.saes.topk_sae import TopKSAE, TopKSAEConfig

    d_in, d_sae = saved["W_enc"].shape
    cfg = TopKSAEConfig(
        d_in=d_in,
        d_sae=d_sae,
        k=saved["k"],
        # SaeVisRunner folds the decoder norm into the encoder, which SAELens refuses for a
        # TopK SAE without this; the decoder rows have unit norm, so it changes nothing
        rescale_acts_by_decoder_norm=True,
        dtype="float32",
        device="cpu",
        apply_b_dec_to_input=True,
        metadata=SAEMetadata(hook_name=hook),
    )
    sae = TopKSAE(cfg)
    with torch.no_grad():
        for name in ("W_enc", "b_enc", "W_dec", "b_dec"):
            getattr(sae, name).copy_(saved[name])
    return sae.eval()


def timed(owner, name: str, totals: dict) -> None:
    """Wrap ``owner.name`` so that its seconds add up in ``totals[name]``."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def main(workdir: pathlib.Path) -> None:
    torch.set_num_threads(1)
    from sae_dashboard.feature_data_generator import FeatureDataGenerator
    from sae_dashboard.sae_vis_data import SaeVisConfig
    from sae_dashboard.sae_vis_runner import SaeVisRunner
    from sae_dashboard.sequence_data_generator import SequenceDataGenerator
    from sae_dashboard.utils_fns import FeatureStatistics

    settings = json.loads((workdir / "settings.json").read_text())
    hook = settings["hook"]
    model = build_model(torch.load(workdir / "model.pt"))
    saved_sae = torch.load(workdir / "sae.pt")
    tokens = torch.load(workdir / "tokens.pt")
    check = torch.load(workdir / "check.pt")

    with torch.inference_mode():
        _, cache = model.run_with_cache(tokens[:1], names_filter=[hook])
        resid = cache[hook][0]
        features = build_sae(saved_sae, hook).encode(resid)
    resid_diff = float((resid - check["resid"]).abs().max())
    feature_diff = float((features - check["features"]).abs().max())

    def bare() -> float:
        """TransformerLens forward (to the hook's layer) + SAELens encode, results dropped."""
        sae = build_sae(saved_sae, hook)
        start = time.perf_counter()
        with torch.inference_mode():
            for rows in tokens.split(settings["minibatch_size_tokens"]):
                _, cache = model.run_with_cache(
                    rows, names_filter=[hook], stop_at_layer=int(hook.split(".")[1]) + 1
                )
                sae.encode(cache[hook])
        return time.perf_counter() - start

    totals: dict[str, float] = defaultdict(float)
    timed(FeatureDataGenerator, "get_feature_data", totals)
    timed(SequenceDataGenerator, "get_sequences_data", totals)
    timed(FeatureStatistics, "create", totals)

    def run(features: list[int]) -> dict:
        cfg = SaeVisConfig(
            hook_point=hook,
            features=features,
            minibatch_size_features=settings["minibatch_size_features"],
            minibatch_size_tokens=settings["minibatch_size_tokens"],
            device="cpu",
            dtype="float32",
            ignore_tokens={settings["pad_id"]},
            seed=0,
            verbose=False,
        )
        context = settings["context"]
        cfg.feature_centric_layout.seq_cfg.buffer = (context, context)
        sae = build_sae(saved_sae, hook)  # run() folds the decoder norm into it
        totals.clear()
        start, start_cpu = time.perf_counter(), time.process_time()
        data = SaeVisRunner(cfg).run(encoder=sae, model=model, tokens=tokens)
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert sorted(data.feature_data_dict) == sorted(features)
        return {"seconds": seconds, "cpu_seconds": cpu, "phases": dict(totals)}

    bares, runs = [], []
    for spec in settings["runs"]:
        rounds = []
        for _ in range(spec["rounds"]):
            bares.append(bare())
            rounds.append(run(spec["features"]))
            print(f"SaeVisRunner, {len(spec['features'])} features: {rounds[-1]}", flush=True)
        runs.append({"n_features": len(spec["features"]), "rounds": rounds})
    result = {
        "runs": runs,
        "bare_seconds": bares,
        "resid_max_abs_diff": resid_diff,
        "features_max_abs_diff": feature_diff,
        "threads": torch.get_num_threads(),
        "versions": {
            name: metadata.version(name)
            for name in ("sae-dashboard", "sae-lens", "transformer-lens", "transformers", "torch")
        },
        "python": sys.version.split()[0],
    }
    (workdir / "result.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
