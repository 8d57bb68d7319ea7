"""Probing, steering and the toy model of superposition: how long they take on a CPU.

Writes the ``probing`` section of ``benchmarks/RESULTS.md``.

- ``mw.probe`` on activations of a GPT-2-small shape (12 layers, d_model 768) with a label
  planted at one layer: every layer (and every control) fitted in one batched problem, against
  the same fit called once per layer; and the fits alone (six strengths on an inner split, then
  the real and shuffled labels at the chosen one) by ``fit_logistic`` for every layer at once,
  one layer at a time, and by scikit-learn's ``LogisticRegression`` in a loop over layers
  (same data, splits, objective and L2 grid) when scikit-learn is importable (it is not a
  dependency: put it on ``PYTHONPATH`` to compare).
- ``mw.train_toy_superposition`` with its defaults (5 features, 2 dimensions, 4 sparsities).
- ``mw.steer``: a forward pass of the demo model with and without the hook.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

import mi_widgets as mw
from benchmarks._environment import write_results
from mi_widgets.probing.fit import L2_GRID, fit_logistic, log_loss, logistic_scores


def _seconds(run, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def probe_rows(n: int, layers: int, d_model: int) -> list[dict]:
    generator = torch.Generator().manual_seed(0)
    acts = torch.randn(layers, n, d_model, generator=generator)
    labels = torch.randint(0, 2, (n,), generator=generator)
    acts[layers // 2, :, :8] += (2 * labels - 1)[:, None].float() * 0.5
    result: dict = {}

    def batched() -> None:
        result["probes"] = mw.probe(acts, labels=labels)

    def per_layer() -> None:
        for layer in range(layers):
            mw.probe(acts[layer], labels=labels, layers=[layer])

    t_batched = _seconds(batched)
    t_loop = _seconds(per_layer)
    probes = result["probes"]
    best = probes.best_layer
    others = probes.accuracy[probes.layers != best]
    row = {
        "examples x layers x d_model": f"{n} x {layers} x {d_model}",
        "all layers at once s": f"{t_batched:.2f}",
        "one call per layer s": f"{t_loop:.2f}",
        "planted layer accuracy": f"{probes[best].accuracy:.3f} (layer {best})",
        "other layers (max)": f"{others.max():.3f}",
        "control (max)": f"{probes.control_accuracy.max():.3f}",
    }
    return [row | sklearn_loop(acts, labels, probes)]


def _sklearn_version() -> str:
    try:
        import sklearn
    except ImportError:
        return "(not installed)"
    return sklearn.__version__


def x_raw_stats(x: torch.Tensor, train: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation ``[d]`` of activations ``x [n, d]`` over the training rows."""
    rows = x[train].numpy()
    return rows.mean(0), rows.std(0, ddof=1)


def fit_rows(x: torch.Tensor, y: torch.Tensor, control: torch.Tensor, inner: np.ndarray) -> dict:
    """The same fits as :func:`sklearn_loop` (six strengths on the inner split, then real and
    shuffled labels at the chosen strength) by ``fit_logistic``: every layer in one batch, and
    one layer at a time."""
    grid = torch.tensor(L2_GRID)
    held = torch.as_tensor(inner)

    def fit_layers(x_layers: torch.Tensor) -> None:
        fit_y = y[~held].expand(len(grid), -1)
        weight, bias = fit_logistic(x_layers[:, ~held], fit_y, 2, grid)
        val_y = y[held].expand(len(grid), -1)
        loss = log_loss(logistic_scores(x_layers[:, held], weight, bias), val_y)
        chosen = grid[loss.argmin(-1)][:, None].expand(-1, 2)
        fit_logistic(x_layers, torch.stack([y, control]), 2, chosen)

    batched = _seconds(lambda: fit_layers(x))
    looped = _seconds(lambda: [fit_layers(x[i : i + 1]) for i in range(x.shape[0])])
    return {
        "fits, all layers at once s": f"{batched:.2f}",
        "fits, one layer at a time s": f"{looped:.2f}",
    }


def sklearn_loop(acts: torch.Tensor, labels: torch.Tensor, probes) -> dict:
    """The fits ``mw.probe`` makes, by scikit-learn's ``LogisticRegression`` one layer at a time:
    per layer the six strengths on an 80 % inner split of the training examples, then the
    real and the shuffled labels at the strength with the lowest validation loss. Its penalty
    ``1 / (2 C) ||w||^2`` on summed losses is ``mw``'s ``l2 / 2 ||w||^2`` on mean losses for
    ``C = 1 / (l2 * n_fit)``; the intercept is not penalised by either."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return {"scikit-learn loop s": "not installed"}
    train = ~torch.as_tensor(probes.test)
    x_all = acts[:, train].numpy()
    x_all = (x_all - x_all.mean(1, keepdims=True)) / x_all.std(1, keepdims=True, ddof=1)
    y = labels[train].numpy()
    rng = np.random.default_rng(0)
    inner = rng.random(len(y)) < 0.2
    control = rng.permutation(y)
    best, test = probes.best_layer, torch.as_tensor(probes.test)
    cosines = []

    def fit(x, target, l2):
        c = 1.0 / (l2 * len(target))
        return LogisticRegression(C=c, max_iter=1000, tol=1e-6).fit(x, target)

    start = time.perf_counter()
    accuracy = float("nan")
    for layer in range(acts.shape[0]):
        x = x_all[layer]
        losses = []
        for l2 in L2_GRID:
            model = fit(x[~inner], y[~inner], l2)
            p = model.predict_proba(x[inner])[:, 1].clip(1e-12, 1 - 1e-12)
            losses.append(-np.mean(y[inner] * np.log(p) + (1 - y[inner]) * np.log(1 - p)))
        chosen = L2_GRID[int(np.argmin(losses))]
        real = fit(x, y, chosen)
        fit(x, control, chosen)
        if layer == best:
            mean, std = x_raw_stats(acts[layer], train)
            predicted = real.predict((acts[layer].numpy() - mean) / std)
            accuracy = float((predicted[test.numpy()] == labels[test].numpy()).mean())
    seconds = time.perf_counter() - start
    fits = fit_rows(torch.as_tensor(x_all), torch.as_tensor(y), torch.as_tensor(control), inner)
    for layer in range(acts.shape[0]):  # untimed: the same strength as mw's, to compare weights
        theirs = fit(x_all[layer], y, float(probes.l2[layer])).coef_[0]
        ours = probes.coef[layer, 0] * x_raw_stats(acts[layer], train)[1]
        cosines.append(ours @ theirs / np.linalg.norm(ours) / np.linalg.norm(theirs))
    return fits | {
        "scikit-learn loop s": f"{seconds:.2f}",
        "scikit-learn planted layer accuracy": f"{accuracy:.3f}",
        "weight cosine to scikit-learn at mw's l2 (min)": f"{min(cosines):.4f}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=4096)
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rows = probe_rows(args.examples, 12, 768)
    toy_s = _seconds(lambda: mw.train_toy_superposition())
    model, tokenizer = mw.demo_model()
    ids = tokenizer(["The function returns a list of names"] * 8, return_tensors="pt")
    direction = torch.randn(model.config.hidden_size)

    def forward() -> None:
        with torch.no_grad():
            model(**ids)

    def steered() -> None:
        with torch.no_grad(), mw.steer(model, direction, layer=1, alpha=4.0):
            model(**ids)

    forward()
    plain_ms = 1000 * _seconds(forward, repeat=20)
    steer_ms = 1000 * _seconds(steered, repeat=20)
    load_after = os.getloadavg()
    rows[0] |= {
        "toy model (defaults) s": f"{toy_s:.1f}",
        "demo forward ms (plain / steered)": f"{plain_ms:.1f} / {steer_ms:.1f}",
    }
    notes = (
        f"Random activations with a binary label added along 8 dimensions (±0.5) at one layer; "
        f'`mw.probe(acts, labels=...)` with the defaults (`l2="auto"`: six strengths chosen on a '
        f'validation split, then a refit; the shuffled-label control fitted alongside). "One call '
        f'per layer" runs the same function on each layer alone. "Fits" time only the logistic '
        f"fits mw.probe makes (six strengths on an 80 % inner split of the training examples, then "
        f"the real and shuffled labels at the strength with the lowest validation loss) on the "
        f"same standardised data: `fit_logistic` for every layer at once, then one layer at a "
        f"time, then scikit-learn {_sklearn_version()} `LogisticRegression` (lbfgs, tol 1e-6, "
        f"C = 1 / (l2 n)) in a loop over layers; the cosine compares each layer's weights with "
        f"scikit-learn's at the strength mw chose. The toy model: 5 features, 2 "
        f"dimensions, sparsities 0, 0.7, 0.9, 0.97, 4 random starts each, 2,000 Adam steps. "
        f"Forward: the demo model on 8 texts of 8 tokens, best of 20. torch threads "
        f"{torch.get_num_threads()}. Load average (1, 5 min) {load_before[0]:.2f}, "
        f"{load_before[1]:.2f} before and {load_after[0]:.2f}, {load_after[1]:.2f} after, on 2 "
        f"cores shared with other work."
    )
    write_results("probing", "Probes, steering, toy model of superposition", rows, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
