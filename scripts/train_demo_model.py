"""Train the small GPT-NeoX that ships as ``mi_widgets.demo`` (seeded; minutes on 2 CPU cores).

Training text that ships offline with every CPython:

* ``pydoc_data.topics``: CPython's own documentation topics, the text ``help("if")`` prints;
* the docstrings of the standard library's modules, classes and functions, read from the
  stdlib source files with ``ast`` (nothing is imported).

The first ``--copy-steps`` steps train only on synthetic sequences of random tokens where a
span of random length (8-31 by default) recurs at a random later offset, with the loss only on
the predictable tokens of the repeat: the previous-token and induction heads form there (a
fixed-length repeat teaches positional copying instead). Later steps mix text with fewer of
these sequences, so the heads stay while the model learns the text. Writes into ``--out``
(default ``mi_widgets/demo``): ``model/`` (config, safetensors weights, tokenizer),
``corpus.jsonl.gz`` (the text, with its train/eval split) and ``TRAINING.md`` (measured losses,
head scores, timings, file sizes, machine).

    .venv/bin/python scripts/train_demo_model.py            # full run
    .venv/bin/python scripts/train_demo_model.py --steps 50 --out /tmp/demo   # smoke run
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import math
import os
import platform
import subprocess
import sys
import sysconfig
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pydoc_data.topics

import tokenizers
import torch
import torch.nn.functional as F
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM, PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_widgets.analysis import head_scores as hs  # noqa: E402

transformers.logging.set_verbosity_error()  # the corpus is tokenized whole, past the context

EOT = "<|endoftext|>"
#: stdlib folders whose docstrings are left out (tests, GUI demos, vendored code).
SKIP_DIRS = {
    "test",
    "tests",
    "site-packages",
    "idlelib",
    "turtledemo",
    "lib2to3",
    "ensurepip",
    "tkinter",
    "__phello__",
    "pydoc_data",
}
SCORE_REPEAT_LENS = (30, 40, 50)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--out", type=Path, default=ROOT / "mi_widgets" / "demo")
    add("--seed", type=int, default=0)
    add("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    add("--steps", type=int, default=2000)
    add("--vocab-size", type=int, default=2048)
    add("--layers", type=int, default=2)
    add("--d-model", type=int, default=128)
    add("--heads", type=int, default=4)
    add("--context", type=int, default=256, help="n_positions and text window length")
    add("--batch", type=int, default=16, help="text windows per step")
    add("--induction-batch", type=int, default=16, help="synthetic sequences per step")
    add("--copy-steps", type=int, default=600, help="first steps on synthetic repeats only")
    add("--copy-batch", type=int, default=64, help="synthetic sequences per copy-phase step")
    add("--induction-length", type=int, default=128)
    add("--min-repeat", type=int, default=8)
    add("--max-repeat", type=int, default=31)
    add("--lr", type=float, default=3e-3)
    add("--warmup", type=int, default=50)
    add("--weight-decay", type=float, default=0.05)
    add("--eval-every", type=int, default=200)
    add(
        "--corpus",
        type=Path,
        default=None,
        help="reuse a corpus.jsonl.gz instead of reading this Python's stdlib",
    )
    return parser.parse_args()


# ---------------------------------------------------------------- corpus


def stdlib_documents() -> list[dict[str, str]]:
    """Documentation topics, then stdlib docstrings of >= 200 characters, deduplicated."""
    docs = [
        {"source": f"pydoc_data.topics:{key}", "text": text.strip()}
        for key, text in sorted(pydoc_data.topics.topics.items())
    ]
    lib = Path(sysconfig.get_paths()["stdlib"])
    seen: set[str] = set()
    for path in sorted(lib.rglob("*.py")):
        rel = path.relative_to(lib)
        if SKIP_DIRS.intersection(rel.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(
                node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                continue
            text = ast.get_docstring(node)
            if text and len(text) >= 200 and text not in seen:
                seen.add(text)
                name = getattr(node, "name", "")
                docs.append({"source": f"{rel.as_posix()}:{name}".rstrip(":"), "text": text})
    return docs


def assign_splits(docs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every 10th documentation topic and every 20th docstring go to ``eval``."""
    topic = doc = 0
    for record in docs:
        if record["source"].startswith("pydoc_data"):
            record["split"] = "eval" if topic % 10 == 9 else "train"
            topic += 1
        else:
            record["split"] = "eval" if doc % 20 == 19 else "train"
            doc += 1
    return docs


def write_corpus(docs: list[dict[str, str]], path: Path) -> None:
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as file:
        for record in docs:
            file.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))


def read_corpus(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return [json.loads(line) for line in file]


# ---------------------------------------------------------------- tokens


def train_tokenizer(texts: list[str], vocab_size: int, context: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE; ``<|endoftext|>`` (id 0) is BOS, EOS and pad and starts every encoding."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOT],
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(texts, trainer)
    bpe.post_processor = processors.TemplateProcessing(
        single=f"{EOT} $A",
        pair=f"{EOT} $A {EOT} $B",
        special_tokens=[(EOT, 0)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=EOT,
        eos_token=EOT,
        pad_token=EOT,
        unk_token=None,
        model_max_length=context,
    )


def token_stream(tokenizer: PreTrainedTokenizerFast, texts: list[str]) -> torch.Tensor:
    """All texts as one int64 ``[n_tokens]`` stream, each followed by ``<|endoftext|>``."""
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    eot = tokenizer.eos_token_id
    return torch.tensor([t for doc in ids for t in [*doc, eot]], dtype=torch.long)


def text_batch(
    stream: torch.Tensor, n: int, length: int, bos: int, generator: torch.Generator
) -> torch.Tensor:
    """``[n, length]`` random windows of the stream, each starting with BOS."""
    starts = torch.randint(0, stream.numel() - length + 2, (n, 1), generator=generator)
    windows = stream[starts + torch.arange(length - 1)]
    return torch.cat([torch.full((n, 1), bos), windows], dim=1)


def eval_windows(stream: torch.Tensor, length: int, bos: int, limit: int) -> torch.Tensor:
    """Consecutive non-overlapping BOS-led windows ``[<= limit, length]``."""
    n = min(limit, stream.numel() // (length - 1))
    windows = stream[: n * (length - 1)].view(n, length - 1)
    return torch.cat([torch.full((n, 1), bos), windows], dim=1)


def induction_batch(
    n: int,
    length: int,
    allowed: torch.Tensor,
    bos: int,
    min_repeat: int,
    max_repeat: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random tokens with one span repeated later; ids and predictable-target mask ``[n, length]``.

    Span length ``L`` is uniform in ``[min_repeat, max_repeat]``; the first copy starts at
    ``a`` in ``[1, length - 2L]``, the second at ``b`` in ``[a + L, length - L]``. The mask marks
    positions ``b + 1 .. b + L - 1``, the tokens an induction head can predict.
    """
    span = torch.randint(min_repeat, max_repeat + 1, (n, 1), generator=generator)
    first = 1 + (torch.rand(n, 1, generator=generator) * (length - 2 * span)).long()
    room = length - 2 * span - first + 1
    second = first + span + (torch.rand(n, 1, generator=generator) * room).long()
    ids = _random_ids(n, length, allowed, bos, generator)
    pos = torch.arange(length)
    in_copy = (pos >= second) & (pos < second + span)
    ids = ids.gather(1, torch.where(in_copy, pos - (second - first), pos))
    return ids, in_copy & (pos > second)


def _random_ids(
    n: int, length: int, allowed: torch.Tensor, bos: int, generator: torch.Generator
) -> torch.Tensor:
    ids = allowed[torch.randint(0, allowed.numel(), (n, length), generator=generator)]
    ids[:, 0] = bos
    return ids


# ---------------------------------------------------------------- model


def build_model(args: argparse.Namespace, vocab_size: int) -> GPTNeoXForCausalLM:
    """A Pythia-style GPT-NeoX: rotary positions on the whole head, parallel attention + MLP.

    Rotary positions make "attend to the previous token" a relative pattern every query can
    learn at once; with GPT-2's learned absolute positions the same runs found positional
    copying instead of induction heads.
    """
    config = GPTNeoXConfig(
        vocab_size=vocab_size,
        max_position_embeddings=args.context,
        hidden_size=args.d_model,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        intermediate_size=4 * args.d_model,
        rotary_pct=1.0,
        attention_dropout=0.0,
        hidden_dropout=0.0,
        tie_word_embeddings=True,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
    )
    model = GPTNeoXForCausalLM(config)
    model.set_attn_implementation("eager")
    return model


def lm_loss(
    model: GPTNeoXForCausalLM, ids: torch.Tensor, target_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean next-token cross-entropy on ``ids [batch, pos]``, optionally only where masked."""
    hidden = model.gpt_neox(input_ids=ids).last_hidden_state[:, :-1]
    targets = ids[:, 1:]
    if target_mask is not None:
        keep = target_mask[:, 1:]
        hidden, targets = hidden[keep], targets[keep]
    logits = model.get_output_embeddings()(hidden)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


@torch.no_grad()
def mean_loss(model: GPTNeoXForCausalLM, windows: torch.Tensor, chunk: int = 16) -> float:
    model.eval()
    losses = [lm_loss(model, part).item() * len(part) for part in windows.split(chunk)]
    model.train()
    return sum(losses) / len(windows)


def head_table(
    model: GPTNeoXForCausalLM,
    tokenizer: PreTrainedTokenizerFast,
    repeat_len: int,
    n_sequences: int = 32,
) -> dict[str, torch.Tensor]:
    """All head scores ``[layer, head]`` on a seeded ``[BOS] r r`` batch."""
    ids = hs.repeated_random_tokens(tokenizer, repeat_len=repeat_len, n_sequences=n_sequences)
    model.eval()
    pattern = hs.attention_patterns(model, ids)
    model.train()
    return {
        "induction": hs.induction_score(pattern, repeat_len),
        "previous-token": hs.previous_token_score(pattern),
        "duplicate-token": hs.duplicate_token_score(pattern, repeat_len),
        "first-token": hs.first_token_score(pattern),
    }


@torch.no_grad()
def neuron_top_tokens(
    model: GPTNeoXForCausalLM, windows: torch.Tensor, k: int = 20
) -> list[dict[str, torch.Tensor]]:
    """Per layer, every MLP neuron's most common token among its ``k`` strongest activations.

    Over all positions of ``windows [n, pos]``, for all neurons at once. Returns per layer
    ``token`` (id), ``share`` (fraction of the top ``k`` on that token) and ``max``
    (top activation), each ``[d_mlp]``.
    """
    acts = []
    hooks = [
        layer.mlp.act.register_forward_hook(lambda _m, _i, out: acts.append(out.flatten(0, 1)))
        for layer in model.gpt_neox.layers
    ]
    was_training = model.training
    model.eval()
    try:
        for part in windows.split(16):
            model.gpt_neox(input_ids=part)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    n_layers, tokens = len(model.gpt_neox.layers), windows.flatten()
    result = []
    for layer in range(n_layers):
        values, where = torch.cat(acts[layer::n_layers]).topk(k, dim=0)  # [k, d_mlp]
        top_tokens = tokens[where]
        mode = top_tokens.mode(dim=0).values
        share = (top_tokens == mode).float().mean(0)
        result.append({"token": mode, "share": share, "max": values[0]})
    return result


def neuron_rows(tokenizer, per_layer: list[dict[str, torch.Tensor]], show: int = 8) -> list[dict]:
    """The ``show`` neurons per layer with the highest share (ties: larger activation)."""
    rows = []
    for layer, stats in enumerate(per_layer):
        key = stats["share"] + stats["max"] / (stats["max"].max() * 10)
        for neuron in torch.argsort(key, descending=True)[:show].tolist():
            rows.append(
                {
                    "layer": layer,
                    "neuron": neuron,
                    "token": tokenizer.decode([int(stats["token"][neuron])]),
                    "share": stats["share"][neuron].item(),
                    "max": stats["max"][neuron].item(),
                }
            )
    return rows


# ---------------------------------------------------------------- training


def train(args: argparse.Namespace, model: GPTNeoXForCausalLM, tokenizer, streams) -> dict:
    generator = torch.Generator().manual_seed(args.seed + 1)
    bos = tokenizer.bos_token_id
    allowed = torch.arange(1, len(tokenizer))
    decay = [p for p in model.parameters() if p.ndim >= 2]
    other = [p for p in model.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": args.weight_decay},
            {"params": other, "weight_decay": 0},
        ],
        lr=args.lr,
        betas=(0.9, 0.98),
    )

    def schedule(step: int) -> float:
        if step < args.warmup:
            return (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return 0.1 + 0.45 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    log, recent, start = [], [], time.perf_counter()
    model.train()
    for step in range(1, args.steps + 1):
        copy_phase = step <= args.copy_steps
        synthetic, mask = induction_batch(
            args.copy_batch if copy_phase else args.induction_batch,
            args.induction_length,
            allowed,
            bos,
            args.min_repeat,
            args.max_repeat,
            generator,
        )
        loss = copy_loss = lm_loss(model, synthetic, mask)
        text_loss = torch.tensor(math.nan)
        if not copy_phase:
            text_loss = lm_loss(
                model, text_batch(streams["train"], args.batch, args.context, bos, generator)
            )
            loss = loss + text_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        recent.append((text_loss.item(), copy_loss.item()))
        if step % args.eval_every == 0 or step == args.steps:
            scores = head_table(model, tokenizer, 40)
            row = {
                "step": step,
                "seconds": round(time.perf_counter() - start, 1),
                "train_text_loss": torch.tensor([r[0] for r in recent]).nanmean().item(),
                "train_repeat_loss": sum(r[1] for r in recent) / len(recent),
                "eval_topics_loss": mean_loss(model, streams["eval_topics"]),
                "best_induction": scores["induction"].max().item(),
                "best_previous_token": scores["previous-token"].max().item(),
            }
            recent = []
            log.append(row)
            print(
                " ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                ),
                flush=True,
            )
    return {"log": log, "seconds": time.perf_counter() - start}


# ---------------------------------------------------------------- report


def measure_load_time(out: Path, runs: int = 3) -> dict[str, float]:
    """Fresh-process timings (s) of importing ``mi_widgets.demo`` and two ``demo_model()`` calls."""
    code = (
        "import time; t0 = time.perf_counter(); from mi_widgets.demo import demo_model; "
        "t1 = time.perf_counter(); demo_model(); t2 = time.perf_counter(); demo_model(); "
        "t3 = time.perf_counter(); print(t1 - t0, t2 - t1, t3 - t2)"
    )
    if out.resolve() != (ROOT / "mi_widgets" / "demo").resolve():
        return {}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append([float(x) for x in done.stdout.split()[-3:]])
    best = [min(column) for column in zip(*samples, strict=True)]
    return {"import": best[0], "first_call": best[1], "second_call": best[2]}


def sample_text(model: GPTNeoXForCausalLM, tokenizer, prompt: str, seed: int) -> str:
    encoded = tokenizer(prompt, return_tensors="pt")
    torch.manual_seed(seed)
    model.eval()
    with torch.no_grad():
        out = model.generate(
            **encoded, max_new_tokens=60, do_sample=True, top_k=20, temperature=0.8, pad_token_id=0
        )
    return tokenizer.decode(out[0], skip_special_tokens=True)


def score_markdown(scores: dict[str, torch.Tensor]) -> list[str]:
    n_heads = scores["induction"].shape[1]
    lines = ["| layer.head | " + " | ".join(scores) + " |", "|---|" + "---:|" * len(scores)]
    for layer in range(scores["induction"].shape[0]):
        for head in range(n_heads):
            values = " | ".join(f"{s[layer, head]:.3f}" for s in scores.values())
            lines.append(f"| {layer}.{head} | {values} |")
    return lines


def write_report(args, path: Path, stats: dict) -> None:
    log, final = stats["log"], stats["log"][-1]
    sizes = stats["sizes"]
    lines = [
        "# Demo model: how it was trained and what it measures",
        "",
        "Written by `scripts/train_demo_model.py` (seed "
        f"{args.seed}); rerun it to reproduce. Date: {stats['date']}.",
        "",
        "## Model and data",
        "",
        f"- GPT-NeoX architecture (`GPTNeoXForCausalLM`, as Pythia): {args.layers} layers with "
        f"MLPs (GELU) in parallel with attention, d_model {args.d_model}, {args.heads} heads, "
        f"d_mlp {4 * args.d_model}, rotary positions on the whole head, context "
        f"{args.context}, vocab {stats['vocab']}, tied embeddings, {stats['params']:,} "
        "parameters, float32.",
        "- Tokenizer: byte-level BPE trained with `tokenizers` on the training text; "
        "`<|endoftext|>` (id 0) is BOS, EOS and pad, and the tokenizer puts it first in every "
        "encoding (`add_special_tokens=False` to leave it out).",
        "- Text (ships with CPython, under the PSF License): `pydoc_data.topics`, the Python "
        "documentation topics behind `help()`, plus the docstrings (>= 200 characters) of "
        "the standard library's modules, classes and functions, read from its source with "
        f"`ast`. Built from Python {platform.python_version()}: {stats['corpus']}.",
        "- Eval split: every 10th documentation topic and every 20th docstring, never trained on.",
        f"- Synthetic sequences: {args.induction_length} random tokens in which a span of "
        f"{args.min_repeat}-{args.max_repeat} tokens recurs at a random later offset; the loss "
        "is only on the predictable tokens of the repeat.",
        f"- Steps 1-{args.copy_steps}: {args.copy_batch} synthetic sequences per step (the "
        "copying task alone, until the previous-token and induction heads form). Then each "
        f"step: {args.batch} text windows of {args.context} tokens (each led by BOS) plus "
        f"{args.induction_batch} synthetic sequences.",
        f"- AdamW (lr {args.lr}, betas 0.9/0.98, weight decay {args.weight_decay}), "
        f"{args.warmup} warm-up steps then cosine to 10 %, gradient clip 1.0, {args.steps} steps.",
        "",
        "## Results",
        "",
        f"- Training time: {stats['seconds']:.0f} s ({stats['seconds'] / 60:.1f} min) for "
        f"{args.steps} steps; whole script {stats['total_seconds']:.0f} s.",
        f"- Final loss (nats/token, mean over the last {args.eval_every} steps): text "
        f"{final['train_text_loss']:.3f}, synthetic repeats {final['train_repeat_loss']:.3f}.",
    ]
    for name, loss in stats["losses"].items():
        lines.append(f"- {name}: loss {loss:.3f}, perplexity {math.exp(loss):.1f}.")
    lines += [
        "",
        "Progress (losses in nats/token; scores with `repeat_len` 40):",
        "",
        "| step | s | train text | train repeats | eval topics | best induction "
        "| best prev-token |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in log:
        lines.append(
            f"| {row['step']} | {row['seconds']:.0f} | {row['train_text_loss']:.3f} "
            f"| {row['train_repeat_loss']:.3f} | {row['eval_topics_loss']:.3f} "
            f"| {row['best_induction']:.3f} | {row['best_previous_token']:.3f} |"
        )
    lines += [
        "",
        "## Head scores",
        "",
        "On 32 seeded sequences `[BOS] r r`, `r` = distinct random tokens, computed with "
        "`mi_widgets.analysis.head_scores`. Induction: attention from the second copy to "
        "the token after the earlier match (key offset -(len(r) - 1)); previous-token: "
        "to key q - 1; duplicate-token: to the earlier copy of the same token (offset "
        "-len(r)); first-token: to position 0 (BOS).",
        "",
    ]
    for repeat_len, scores in stats["scores"].items():
        best = {k: v.max().item() for k, v in scores.items()}
        lines.append(
            f"`len(r)` = {repeat_len}: best induction {best['induction']:.3f}, best "
            f"previous-token {best['previous-token']:.3f}."
        )
        lines.append("")
    lines += score_markdown(stats["scores"][40])
    lines += [
        "",
        "## Neurons that detect one token",
        "",
        "Per layer, the MLP neurons (GELU output) whose 20 strongest activations on the "
        "held-out documentation topics fall most often on a single token: a first place to "
        "look for neurons with a clear role. Layer-0 neurons see mostly the token itself, so "
        "many detect one token even at initialisation; compare the share before and after "
        "training:",
        "",
        "| layer | mean share, initialisation | mean share, trained "
        "| neurons with share >= 0.9, init / trained |",
        "|---:|---:|---:|---:|",
    ]
    for layer, (before, after) in enumerate(
        zip(stats["neurons_initial"], stats["neurons_final"], strict=True)
    ):
        lines.append(
            f"| {layer} | {before['share'].mean():.2f} | {after['share'].mean():.2f} "
            f"| {int((before['share'] >= 0.9).sum())} / {int((after['share'] >= 0.9).sum())} |"
        )
    lines += [
        "",
        "| layer.neuron | token | share of top 20 | max activation |",
        "|---|---|---:|---:|",
    ]
    lines += [
        f"| {n['layer']}.{n['neuron']} | `{json.dumps(n['token'])[1:-1]}` | {n['share']:.2f} "
        f"| {n['max']:.2f} |"
        for n in neuron_rows(stats["tokenizer"], stats["neurons_final"])
    ]
    lines += [
        "",
        "## Sample (seeded, top-k 20, temperature 0.8)",
        "",
        "```text",
        stats["sample"],
        "```",
        "",
        "## Load time",
        "",
    ]
    load = stats["load"]
    if load:
        lines.append(
            f"Fresh process, best of 3: `import mi_widgets.demo` {load['import']:.2f} s; first "
            f"`demo_model()` {load['first_call']:.2f} s (includes importing `transformers`); "
            f"second call {load['second_call']:.2f} s."
        )
    lines += ["", "## Files", "", "| file | bytes |", "|---|---:|"]
    lines += [f"| `{name}` | {size:,} |" for name, size in sizes.items()]
    lines += [
        f"| total | {sum(sizes.values()):,} |",
        "",
        "## Machine",
        "",
        f"- CPU cores (`nproc`): {len(os.sched_getaffinity(0))}; torch threads: "
        f"{torch.get_num_threads()}",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- torch {torch.__version__}, transformers {transformers.__version__}, "
        f"tokenizers {tokenizers.__version__}",
        "",
    ]
    path.write_text("\n".join(lines))


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    begin = time.perf_counter()
    torch.manual_seed(args.seed)
    out = args.out
    (out / "model").mkdir(parents=True, exist_ok=True)
    docs = read_corpus(args.corpus) if args.corpus else assign_splits(stdlib_documents())
    write_corpus(docs, out / "corpus.jsonl.gz")
    train_texts = [d["text"] for d in docs if d["split"] == "train"]
    tokenizer = train_tokenizer(train_texts, args.vocab_size, args.context)
    tokenizer.save_pretrained(out / "model")
    bos = tokenizer.bos_token_id
    streams = {"train": token_stream(tokenizer, train_texts)}
    for name, prefix in (("eval_topics", "pydoc"), ("eval_docstrings", "")):
        texts = [
            d["text"]
            for d in docs
            if d["split"] == "eval" and d["source"].startswith("pydoc") == (prefix == "pydoc")
        ]
        streams[name] = eval_windows(token_stream(tokenizer, texts), args.context, bos, 64)
    streams["train_sample"] = eval_windows(streams["train"], args.context, bos, 64)
    corpus = (
        f"{len(docs)} documents, {sum(len(d['text']) for d in docs):,} characters, "
        f"{streams['train'].numel():,} training tokens"
    )
    print(corpus, flush=True)

    model = build_model(args, len(tokenizer))
    initial_neurons = neuron_top_tokens(model, streams["eval_topics"])
    stats = train(args, model, tokenizer, streams)
    stats["neurons_initial"] = initial_neurons
    model.set_attn_implementation("sdpa")
    model.eval()
    model.save_pretrained(out / "model")

    stats["losses"] = {
        "Eval, held-out documentation topics": mean_loss(model, streams["eval_topics"]),
        "Eval, held-out docstrings": mean_loss(model, streams["eval_docstrings"]),
        "Train text (first 64 windows, for comparison)": mean_loss(model, streams["train_sample"]),
    }
    stats["scores"] = {n: head_table(model, tokenizer, n) for n in SCORE_REPEAT_LENS}
    stats["sample"] = sample_text(model, tokenizer, 'The "while" statement', args.seed)
    stats["neurons_final"] = neuron_top_tokens(model, streams["eval_topics"])
    stats["load"] = measure_load_time(out)
    stats["vocab"] = len(tokenizer)
    stats["tokenizer"] = tokenizer
    stats["params"] = sum(p.numel() for p in model.parameters())
    stats["corpus"] = corpus
    stats["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    stats["total_seconds"] = time.perf_counter() - begin
    files = sorted(
        p
        for p in out.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and p.suffix != ".py"
        and p.name != "TRAINING.md"
    )
    stats["sizes"] = {p.relative_to(out).as_posix(): p.stat().st_size for p in files}
    write_report(args, out / "TRAINING.md", stats)
    for name, loss in stats["losses"].items():
        print(f"{name}: {loss:.3f}")
    print(f"done in {stats['total_seconds']:.0f} s; report in {out / 'TRAINING.md'}")


if __name__ == "__main__":
    main()
