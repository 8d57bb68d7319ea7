"""Exact patching from each cell's own layer and position equals a full forward pass per cell."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mi_widgets as mw
from mi_widgets.analysis.patching import COMPONENTS
from mi_widgets.capture.hooks import capture_mode
from mi_widgets.capture.readout import readout
from mi_widgets.capture.sites import at_site, reading
from tests.test_patch_estimates import GRIDS

CLEAN = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Mary and John went to the store, Mary gave a drink to"


def one_full_pass_per_cell(model, tokenizer, component, over, direction):
    """``[grid]`` logit differences, each cell patched in its own full forward pass."""
    ids = torch.tensor([tokenizer(t)["input_ids"] for t in (CLEAN, CORRUPTED)])
    source, base = (0, 1) if direction == "denoise" else (1, 0)
    mary, john = (tokenizer(t)["input_ids"][0] for t in (" Mary", " John"))
    count = mw.capture.sites.n_layers(model)
    sites = [f"blocks.{layer}.{COMPONENTS[component]}" for layer in range(count)]
    with torch.no_grad(), capture_mode(model, eager=False), reading(model, sites) as records:
        model(ids)
    n_heads = mw.capture.sites.head_shape(model)[0]
    sizes = {"layer": count, "position": ids.shape[1], "head": n_heads}
    shape = tuple(sizes[axis] for axis in over.split(","))
    out = np.empty(shape, dtype=np.float64)
    for cell in np.ndindex(shape):
        where = dict(zip(over.split(","), cell, strict=True))
        donor = records[sites[where["layer"]]][source]
        index = (0, where.get("position", slice(None)))
        if "head" in where:
            index = (*index, where["head"])

        def edit(x, donor=donor, index=index):
            x = x.clone()
            x[index] = donor[index[1:]]
            return x

        with (
            torch.no_grad(),
            capture_mode(model, eager=False),
            at_site(model, sites[where["layer"]], edit),
        ):
            logits = model(ids[base : base + 1])
            logits = logits if isinstance(logits, torch.Tensor) else logits.logits
        out[cell] = float(logits[0, -1, mary] - logits[0, -1, john])
    return out


#: Every grid denoising, and noising where the run differs most (all layers, from each token).
CASES = [(*grid, "denoise") for grid in GRIDS] + [("resid", "layer,position", "noise")]


def check_every_cell(model, tokenizer, cases=CASES):
    metric = mw.logit_diff(" Mary", " John")
    for component, over, direction in cases:
        result = mw.patch(
            model, tokenizer, CLEAN, CORRUPTED, metric, component=component, over=over,
            direction=direction, batch_size=5,
        )  # fmt: skip
        expected = one_full_pass_per_cell(model, tokenizer, component, over, direction)
        np.testing.assert_allclose(
            result.raw, expected, atol=1e-5, err_msg=f"{component} {over} {direction}"
        )


def test_every_cell_of_every_grid_on_every_family(tiny_family_models, tiny_gpt2):
    checked = []
    for name, model in tiny_family_models.items():
        try:
            readout(model)
        except ValueError:  # a base model without an LM head
            continue
        check_every_cell(model, tiny_gpt2[1])
        checked.append(name)
    assert {"gpt2", "gpt_neox", "llama", "bert"} <= set(checked)


def test_every_cell_on_a_hooked_transformer(hooked):
    check_every_cell(*hooked, cases=[CASES[0], CASES[-2], CASES[-1]])


def test_the_demo_model_from_the_cells_layer(torch_single_thread):
    """The demo model, every residual cell: the exact endpoints hold and the blocks skipped
    for later layers are restored afterwards."""
    model, tokenizer = mw.demo_model()
    blocks = list(model.gpt_neox.layers)
    clean = "The list holds key value file name. The list holds key"
    corrupted = "The list holds key error file name. The list holds key"
    metric = mw.logit_diff(" value", " error")
    result = mw.patch(model, tokenizer, clean, corrupted, metric, batch_size=4)
    assert list(model.gpt_neox.layers) == blocks
    assert result.values[-1, -1] == pytest.approx(1.0, abs=1e-5)
    assert result.values[0, 8] == pytest.approx(0.99, abs=0.01)  # the copied token
    np.testing.assert_allclose(result.values[:, :8], 0.0, atol=1e-5)
