"""Every analysis runs where the model is, shown without a GPU: the model is moved to torch's
"meta" device, where tensors have shapes but no data.

An op that mixes a meta tensor with a CPU tensor (other than a 0-dim scalar) raises, as it
would between a GPU and the CPU, so an analysis that makes a tensor on the CPU and combines it
with the model's activations fails here. Copies from the model's device to the CPU (where
results are handed to the views as numpy) receive stand-in data of the right shape and dtype
and are counted: an analysis has to finish on that data, not be right about it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.fx.experimental._config as fx_config
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

import mi_widgets as mw
from mi_widgets.capture.precision import model_device

from .test_attribute import random_transcoders

TEXT = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Mary and John went to the store, Mary gave a drink to"
CORPUS = [TEXT, CORRUPTED, "John gave Mary a drink at the store."] * 3
ATEN = torch.ops.aten


def stand_in(shape: torch.Size, dtype: torch.dtype) -> torch.Tensor:
    """CPU data in place of a meta tensor's: normal noise (floats) or zeros (integers)."""
    out = torch.empty(shape, dtype=dtype)
    return out.normal_() if dtype.is_floating_point else out.zero_()


def on_meta(value: Any) -> bool:
    return isinstance(value, torch.Tensor) and value.device.type == "meta"


class MetaDevice(TorchDispatchMode):
    """Lets an analysis of a model on "meta" run to its end: copies to the CPU get
    :func:`stand_in` data (``copies`` counts them), ``.item()`` a number, and the few ops
    without a meta kernel (e.g. ``bincount``) run on stand-in data. Mixing devices still
    raises."""

    def __init__(self) -> None:
        super().__init__()
        self.copies = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        first = args[0] if args else None
        to_cpu = on_meta(first) and kwargs.get("device", first.device).type == "cpu"
        if func is ATEN._to_copy.default and to_cpu:
            self.copies += 1
            return stand_in(first.shape, kwargs.get("dtype") or first.dtype)
        if func is ATEN.copy_.default and on_meta(args[1]) and first.device.type == "cpu":
            self.copies += 1
            return first.copy_(stand_in(args[1].shape, args[1].dtype))
        if func is ATEN._local_scalar_dense.default and on_meta(first):
            self.copies += 1
            return stand_in((), first.dtype).item() if first.dtype.is_floating_point else 1
        try:
            return func(*args, **kwargs)
        except NotImplementedError:  # no meta kernel: compute on stand-in data
            if not any(on_meta(a) for a in args):
                raise
            data = [stand_in(a.shape, a.dtype) if on_meta(a) else a for a in args]
            return tree_map(
                lambda t: t.to("meta") if isinstance(t, torch.Tensor) else t,
                func(*data, **kwargs),
            )


@pytest.fixture(scope="module", params=["gpt2", "llama"])
def meta_model(request, tiny_family_models, tiny_gpt2):
    model = copy.deepcopy(tiny_family_models[request.param]).eval().to("meta")
    return model, tiny_gpt2[1]


@pytest.fixture(autouse=True)
def boolean_masks_on_meta():
    """``x[mask]`` on meta: every element counts as selected (torch's documented stand-in)."""
    with fx_config.patch(meta_nonzero_assume_all_nonzero=True):
        yield


def steered_trace(model, tokenizer) -> mw.Trace:
    with mw.steer(model, torch.randn(32), layer=1, alpha=2.0):
        return mw.trace(model, tokenizer, TEXT)


def sae_and_stats(model, tokenizer) -> mw.FeatureStats:
    sae = mw.train_sae(
        model, tokenizer, CORPUS, hook="blocks.1.hook_resid_post", n_features=16, k=4,
        progress=False,
    )  # fmt: skip
    assert model_device(sae) == torch.device("meta")  # trained where the model is
    return mw.feature_stats(model, tokenizer, sae, CORPUS, k=3, progress=False)


ANALYSES: dict[str, Callable[[Any, Any], Any]] = {
    "trace": lambda model, tokenizer: mw.trace(model, tokenizer, TEXT),
    "logit_lens": lambda model, tokenizer: mw.logit_lens(mw.trace(model, tokenizer, TEXT)),
    "direct_logit_attribution": lambda model, tokenizer: mw.direct_logit_attribution(
        mw.trace(model, tokenizer, TEXT), " Mary", " John"
    ),
    "patch": lambda model, tokenizer: mw.patch(
        model, tokenizer, TEXT, CORRUPTED, mw.logit_diff(" Mary", " John")
    ),
    "patch heads": lambda model, tokenizer: mw.patch(
        model, tokenizer, TEXT, CORRUPTED, mw.logit_diff(" Mary", " John"), component="head"
    ),
    "steer": steered_trace,
    "top_activations": lambda model, tokenizer: mw.top_activations(
        model, tokenizer, CORPUS, layer=1, k=3, progress=False
    ),
    "train_sae, feature_stats": sae_and_stats,
    "probe": lambda model, tokenizer: mw.probe(model, tokenizer, CORPUS * 2, [0, 1, 0] * 6, l2=1.0),
    "attribute": lambda model, tokenizer: mw.attribute(
        model, tokenizer, TEXT, random_transcoders(32, 2, skip=True).to("meta")
    ),
    "head_scores": lambda model, tokenizer: mw.head_scores(model, tokenizer),
}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_the_analysis_makes_its_tensors_on_the_models_device(meta_model, name):
    model, tokenizer = meta_model
    with MetaDevice() as device:
        result = ANALYSES[name](model, tokenizer)
    assert device.copies > 0  # results came back to the CPU...
    fields = list(vars(result).values())
    fields += [v for field in fields if isinstance(field, dict) for v in field.values()]
    arrays = [v for v in fields if isinstance(v, (np.ndarray, torch.Tensor))]
    assert arrays and all(  # ...where the views read them
        isinstance(a, np.ndarray) or a.device.type == "cpu" for a in arrays
    )
    assert model_device(model) == torch.device("meta")  # the model stayed where it was


def test_a_cpu_tensor_meeting_the_models_device_is_caught(meta_model):
    """The check itself: what a placement bug looks like on "meta"."""
    model, _ = meta_model
    weight = next(model.parameters())
    with MetaDevice(), pytest.raises(RuntimeError, match="device"):
        weight + torch.ones(weight.shape)
