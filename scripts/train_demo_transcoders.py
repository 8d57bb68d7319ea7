"""Train the transcoders that ship as ``mi_widgets.demo_transcoders()`` (seeded; minutes on 2
CPU cores).

One TopK transcoder per layer of the bundled demo model, trained together by
``mw.train_transcoders`` on the model's training split (``demo_corpus("train")``, each document
cut into pieces that fit the model's context, so no text is lost to truncation), stored as
float16 and measured, as stored, with ``mw.evaluate_transcoders`` on the held-out split
(``demo_corpus("eval")``). Writes into ``--out`` (default ``mi_widgets/demo/transcoders``):
``layer_{i}.safetensors`` and ``QUALITY.md`` (settings, time, measured quality, file sizes).

    .venv/bin/python scripts/train_demo_transcoders.py                  # full run
    .venv/bin/python scripts/train_demo_transcoders.py --out /tmp/tc --max-docs 100   # smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mi_widgets as mw  # noqa: E402
from mi_widgets.circuits import TranscoderSet  # noqa: E402

#: Characters per piece of a document: about 250 tokens of the demo tokenizer (3.3
#: characters per token), under its context of 256.
PIECE_CHARS = 800


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "mi_widgets/demo/transcoders")
    parser.add_argument("--n-features", type=int, default=1024)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-docs", type=int, default=None, help="train on fewer documents")
    return parser.parse_args()


def pieces(documents: list[str], size: int = PIECE_CHARS) -> list[str]:
    """Each document cut at the last line break (else space) before every ``size`` characters."""
    out = []
    for doc in documents:
        while len(doc) > size:
            cut = doc.rfind("\n", 0, size)
            cut = cut if cut > size // 2 else max(doc.rfind(" ", 0, size), size // 2)
            out.append(doc[:cut])
            doc = doc[cut:]
        out.append(doc)
    return [piece for piece in out if piece.strip()]


def quality_table(evaluation) -> list[str]:
    rows = [
        "| layer | variance explained (MLP output) | MSE | L0 | dead features |",
        "|---:|---:|---:|---:|---:|",
    ]
    for i, layer in enumerate(evaluation.layers):
        rows.append(
            f"| {layer} | {evaluation.fraction_variance_explained[i]:.3f} | "
            f"{evaluation.mse[i]:.4g} | {evaluation.l0[i]:.1f} | "
            f"{100 * evaluation.dead_fraction[i]:.1f} % |"
        )
    return rows


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    model, tokenizer = mw.demo_model()
    documents = mw.demo_corpus("train")[: args.max_docs]
    texts = pieces(documents)
    held_out = mw.demo_corpus("eval")
    train_start = time.perf_counter()
    tcs = mw.train_transcoders(
        model, tokenizer, texts, n_features=args.n_features, k=args.k, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, buffer_size=65536, seed=args.seed,
        eval_corpus=held_out,
    )  # fmt: skip
    train_seconds = time.perf_counter() - train_start
    before = [tc.info["evaluation"] for tc in tcs]  # float32
    for tc in tcs:
        tc.info["trained_by"] = "scripts/train_demo_transcoders.py"
        tc.half()  # float16 on disk: loaded back as float32
    args.out.mkdir(parents=True, exist_ok=True)
    tcs.save(args.out)
    stored = TranscoderSet.load(args.out)
    evaluation = mw.evaluate_transcoders(model, tokenizer, stored, held_out)
    print(evaluation)
    info = stored[0].info
    sizes = {f.name: f.stat().st_size for f in sorted(args.out.glob("layer_*.safetensors"))}
    lines = [
        "# Demo transcoders: how they were trained and what they measure",
        "",
        f"Written by `scripts/train_demo_transcoders.py` (seed {args.seed}); rerun it to "
        f"reproduce. Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        "## Settings",
        "",
        f"- One TopK transcoder per layer of the demo model (`mw.demo_model()`, 2 layers, "
        f"d_model 128, d_mlp 512): reads `blocks.{{i}}.ln2.hook_normalized` (the MLP's input "
        f"after its norm), predicts `blocks.{{i}}.hook_mlp_out`; {args.n_features} features, "
        f"k = {args.k}, no skip connection.",
        f"- Trained together by `mw.train_transcoders` on `demo_corpus(\"train\")` "
        f"({len(documents)} documents cut into {len(texts)} pieces of at most {PIECE_CHARS} "
        f"characters): {info['tokens_trained']:,} tokens, {args.epochs} epoch(s), "
        f"{info['steps']} steps of {args.batch_size} tokens, Adam lr {args.lr}.",
        f"- Stored as float16 ({', '.join(f'{n} {s / 1e6:.2f} MB' for n, s in sizes.items())}).",
        "",
        "## Quality on `demo_corpus(\"eval\")` (held out), as stored",
        "",
        f"{evaluation.n_tokens:,} tokens; `mw.evaluate_transcoders`.",
        "",
        *quality_table(evaluation),
        "",
        "Next-token loss (nats/token) of the demo model:",
        "",
        f"- clean: {evaluation.loss_clean:.3f}",
        f"- every MLP replaced by its transcoder (both layers at once): "
        f"{evaluation.loss_spliced:.3f}",
        f"- every MLP zero-ablated: {evaluation.loss_zero_ablated:.3f}",
        f"- loss recovered: {100 * evaluation.loss_recovered:.1f} %",
        "",
        "Before rounding to float16: variance explained "
        + ", ".join(f"{e['fraction_variance_explained']:.3f}" for e in before)
        + f" (layers 0, 1), spliced loss {before[0]['loss_spliced']:.3f}.",
        "",
        "## Time",
        "",
        f"- Training (one pass per epoch over the corpus for both layers, then the evaluation "
        f"of the float32 transcoders): {train_seconds:.0f} s; whole script "
        f"{time.perf_counter() - started:.0f} s.",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPU cores, load average "
        f"{os.getloadavg()[1]:.1f} over the last 5 minutes of the run (other jobs share the "
        f"cores), torch {torch.__version__}.",
        "",
    ]
    (args.out / "QUALITY.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
