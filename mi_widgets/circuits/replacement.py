"""The local replacement model of one prompt: linear in its sources.

At the prompt, every attention pattern and every norm's scale is frozen
(:class:`~mi_widgets.circuits.frozen.FrozenState`) and each block's MLP output is replaced by

``mlp_out[layer] = written[layer] + b_dec (+ x @ W_skip)``, with
``written[layer] = activations @ W_dec + error`` [pos, d_model]

where ``x`` is the MLP's input (``blocks.{layer}.ln2.hook_normalized``), the transcoder's
feature activations and its error (the true MLP output minus the transcoder's output) are
constants of the prompt. The first block's input (token embeddings plus whatever the family
adds: positions, scaling) is the third kind of source. Every feature's pre-activation
``x @ W_enc + b_enc`` and every logit is then an affine function of the sources — feature
activations, errors, embeddings — and at the prompt's sources the replacement reproduces the
model's own logits.
"""

from __future__ import annotations

from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any

import torch

from ..capture import tlens
from ..capture.hooks import capture_mode
from ..capture.precision import model_device
from ..capture.readout import _StopForwardError, final_residual, logits_at, readout
from ..capture.sites import at_site, reading
from .frozen import FrozenState
from .transcoder import TranscoderSet


@dataclass
class ReplacementPass:
    """The tensors of one forward pass of the replacement over ``batch`` copies of the
    prompt, still in the autograd graph when the pass kept it.

    Attributes:
        mlp_inputs: per layer ``[batch, pos, d_model]`` each MLP's (frozen-norm) input.
        mlp_outputs: per layer ``[batch, pos, d_model]`` each spliced MLP output.
        embeddings: ``[batch, pos, d_model]`` the first block's input.
        final: ``[batch, d_model]`` the final norm's output at the pass's last position (the
            logit position unless the pass ran a prefix).
    """

    mlp_inputs: list[torch.Tensor]
    mlp_outputs: list[torch.Tensor]
    embeddings: torch.Tensor
    final: torch.Tensor


class LocalReplacement:
    """A model with transcoders spliced in, frozen at one prompt.

    Building it runs the model once on the prompt (eval mode, no gradient) and records the
    attention patterns, norm scales, MLP inputs and outputs and the first block's input.

    Args:
        model: a causal Hugging Face model of a supported family or a ``HookedTransformer``.
        transcoders: one transcoder per block (checked against the model by the caller), on
            the model's device.
        input_ids: ``[pos]`` the prompt's token ids.

    Attributes:
        input_ids: ``[pos]`` int64.
        mlp_inputs: ``[layer, pos, d_model]`` each MLP's input at the prompt.
        activations: per layer ``[pos, n_features]`` the transcoder's feature activations.
        errors: ``[layer, pos, d_model]`` true MLP output minus the transcoder's output.
        embeddings: ``[pos, d_model]`` the first block's input.
        logits: ``[d_vocab]`` float32 the model's own logits at the last position.
    """

    def __init__(self, model: Any, transcoders: TranscoderSet, input_ids: torch.Tensor) -> None:
        self.model = model
        self.transcoders = transcoders
        self.input_ids = input_ids
        self.frozen = FrozenState(model)
        self.readout = readout(model).linear()
        n_layers = len(transcoders)
        names = [f"blocks.{layer}.ln2.hook_normalized" for layer in range(n_layers)]
        names += [f"blocks.{layer}.hook_mlp_out" for layer in range(n_layers)]
        names.append("blocks.0.hook_resid_pre")
        with (
            torch.no_grad(),
            capture_mode(model, eager=False),
            self.frozen.recording(),
            reading(model, names) as records,
        ):
            self.logits = logits_at(model, lambda: self._forward(input_ids[None]), -1)[0]
        self.mlp_inputs = torch.stack([records[name][0] for name in names[:n_layers]])
        mlp_outputs = torch.stack([records[name][0] for name in names[n_layers:-1]])
        self.embeddings = records[names[-1]][0]
        with torch.no_grad():
            pairs = list(zip(transcoders, self.mlp_inputs, strict=True))
            self.activations = [tc.encode(x) for tc, x in pairs]
            predicted = torch.stack([
                tc.decode(acts, x) for (tc, x), acts in zip(pairs, self.activations, strict=True)
            ])  # fmt: skip
        self.errors = mlp_outputs.float() - predicted

    @property
    def n_layers(self) -> int:
        return len(self.transcoders)

    def written(self) -> torch.Tensor:
        """``[layer, pos, d_model]`` what the sources write into each MLP output at the prompt:
        ``activations @ W_dec + error``."""
        pairs = zip(self.activations, self.transcoders, strict=True)
        decoded = [acts @ tc.W_dec for acts, tc in pairs]
        return torch.stack(decoded).detach() + self.errors

    def run(
        self,
        written: torch.Tensor,
        embeddings: torch.Tensor,
        batch: int = 1,
        length: int | None = None,
    ) -> ReplacementPass:
        """One pass of the replacement over ``batch`` copies of the prompt (of its first
        ``length`` positions when given: what targets before ``length`` depend on).

        Args:
            written: ``[layer, pos, d_model]`` what the sources write into each MLP output
                (:meth:`written` at the prompt; zeros to find the constant parts).
            embeddings: ``[pos, d_model]`` the first block's input.
            batch: copies of the prompt (one backward target per copy).
            length: run the first ``length`` positions only (``written`` and ``embeddings``
                are cut to them).

        The embeddings become a leaf that requires a gradient, so the pass keeps the autograd
        graph unless run under ``torch.no_grad()``.
        """
        dtype = self.embeddings.dtype
        embeddings, written = embeddings[:length], written[:, :length]
        leaf = embeddings.to(dtype).expand(batch, *embeddings.shape).clone()
        leaf.requires_grad_(torch.is_grad_enabled())
        found: dict[str, Any] = {"inputs": {}, "outputs": {}}
        with ExitStack() as stack:
            stack.enter_context(capture_mode(self.model, eager=False))
            stack.enter_context(self.frozen.replaying(length))
            stack.enter_context(at_site(self.model, "blocks.0.hook_resid_pre", lambda x: leaf))
            for layer, tc in enumerate(self.transcoders):
                splice = self._splice(tc, written[layer].to(dtype), found)
                stack.enter_context(
                    at_site(self.model, f"blocks.{layer}.ln2.hook_normalized", splice[0])
                )
                stack.enter_context(at_site(self.model, f"blocks.{layer}.hook_mlp_out", splice[1]))
            final = stack.enter_context(final_residual(self.model, -1, keep_graph=True))
            with suppress(_StopForwardError):
                self._forward(self.input_ids[None, :length].expand(batch, -1))
        layers = range(self.n_layers)
        return ReplacementPass(
            mlp_inputs=[found["inputs"][layer] for layer in layers],
            mlp_outputs=[found["outputs"][layer] for layer in layers],
            embeddings=leaf,
            final=final[0],
        )

    def feature_values(self, run: ReplacementPass, layer: int) -> torch.Tensor:
        """``[batch, pos, n_features]`` float32 pre-activations of ``layer``'s features."""
        return self.transcoders[layer].pre_activations(run.mlp_inputs[layer]).float()

    def logit_values(self, run: ReplacementPass, token_ids: torch.Tensor) -> torch.Tensor:
        """``[batch, n]`` float32 logits of ``token_ids`` ``[n]`` minus the mean logit over the
        vocabulary, at the logit position."""
        directions, offsets = self.logit_directions(token_ids)
        device = run.final.device
        return run.final.float() @ directions.T.to(device) + offsets.to(device)

    def logit_directions(self, token_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``([n, d_model], [n])``: the unembedding of ``token_ids`` minus its vocabulary mean,
        and the same for the unembedding bias (float32)."""
        unembed, bias = self.readout.unembed, self.readout.unembed_bias
        directions = (unembed[:, token_ids] - unembed.mean(1, keepdim=True)).T
        return directions, bias[token_ids] - bias.mean()

    def _splice(self, tc: Any, written: torch.Tensor, found: dict[str, Any]) -> tuple[Any, Any]:
        """Edits at the MLP's input (kept; the MLP itself, whose output is replaced, gets it
        detached and builds no autograd graph) and output (replaced) of ``tc.layer``."""
        layer = tc.layer

        def keep_input(x: torch.Tensor) -> torch.Tensor:
            found["inputs"][layer] = x
            return x.detach()

        def replace_output(out: torch.Tensor) -> torch.Tensor:
            x = found["inputs"][layer]
            spliced = (written + tc.b_dec.to(out.dtype)).expand_as(out)
            if tc.W_skip is not None:
                spliced = spliced + x @ tc.W_skip.to(x.dtype)
            elif torch.is_grad_enabled():  # a node of the graph, for gradients w.r.t. it
                spliced = spliced.clone().requires_grad_()
            found["outputs"][layer] = spliced
            return spliced

        return keep_input, replace_output

    def _forward(self, input_ids: torch.Tensor) -> Any:
        ids = input_ids.to(model_device(self.model))
        if tlens.is_hooked_transformer(self.model):
            return self.model(ids)
        return self.model(input_ids=ids, use_cache=False)
