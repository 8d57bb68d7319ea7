"""The bundled demo model and its training text; nothing is downloaded.

``demo_model()`` loads a small GPT-NeoX (Pythia-style: 2 layers with MLPs, rotary positions)
trained by ``scripts/train_demo_model.py`` on the Python documentation and standard-library
docstrings that ship with CPython, plus sequences of repeated random tokens. It has a
previous-token head in layer 0 and induction heads in layer 1; ``TRAINING.md`` next to this
file lists how it was trained and every head's measured scores.

>>> model, tokenizer = demo_model()
>>> trace = mw.trace(model, tokenizer, "a b c d a b c d")
>>> trace.n_layers, trace.n_heads
(2, 4)
>>> texts = demo_corpus("eval")     # held-out documents, list[str]
>>> len(texts)
107

``demo_transcoders()`` loads one transcoder per layer of the demo model, trained on its
training text by ``scripts/train_demo_transcoders.py`` (``transcoders/QUALITY.md`` lists their
measured quality):

>>> tcs = demo_transcoders()
>>> len(tcs), tcs[0].n_features, tcs[0].k
(2, 1024, 16)

``untrained_model()`` (in :mod:`mi_widgets.demo.untrained`) builds the same kind of tiny model
with random weights, to show what attention looks like before training.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import GPTNeoXForCausalLM, PreTrainedTokenizerFast

    from ..circuits import TranscoderSet

#: Folder of the shipped weights (safetensors), config and tokenizer.
MODEL_DIR = Path(__file__).with_name("model")
#: Folder of the shipped transcoders (one safetensors file per layer) and their QUALITY.md.
TRANSCODERS_DIR = Path(__file__).with_name("transcoders")
#: The training text: one JSON object per line, ``{"source", "text", "split"}``, gzip.
CORPUS_PATH = Path(__file__).with_name("corpus.jsonl.gz")
_SPLITS = ("all", "train", "eval")


def demo_model() -> tuple[GPTNeoXForCausalLM, PreTrainedTokenizerFast]:
    """The trained demo model (eval mode, float32, CPU) and its tokenizer, loaded offline.

    The tokenizer puts ``<|endoftext|>`` (BOS) before every text, as the model was trained;
    pass ``add_special_tokens=False`` to leave it out. Each call returns a fresh copy.
    """
    from transformers import GPTNeoXForCausalLM, PreTrainedTokenizerFast

    if not (MODEL_DIR / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"the demo weights are missing from {MODEL_DIR}; reinstall mi_widgets or run "
            "scripts/train_demo_model.py"
        )
    from transformers.utils import logging

    bar = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # a "Loading weights" bar for a 3 MB file is noise
    try:
        model = GPTNeoXForCausalLM.from_pretrained(MODEL_DIR, local_files_only=True)
    finally:
        if bar:
            logging.enable_progress_bar()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(MODEL_DIR, local_files_only=True)
    return model.eval(), tokenizer


def demo_corpus(split: str = "all") -> list[str]:
    """Texts the demo model was trained (``"train"``) or evaluated (``"eval"``) on, or both.

    About 2,000 documents: CPython's documentation topics (``help("if")``) and standard
    library docstrings, in a fixed order.
    """
    if split not in _SPLITS:
        raise ValueError(
            f"split must be one of {', '.join(repr(s) for s in _SPLITS)}; got {split!r}"
        )
    with gzip.open(CORPUS_PATH, "rt", encoding="utf-8") as file:
        records = [json.loads(line) for line in file]
    return [r["text"] for r in records if split == "all" or r["split"] == split]


def demo_transcoders() -> TranscoderSet:
    """The transcoders of the demo model (one per layer, float32, CPU), loaded offline.

    TopK transcoders of 1,024 features (k = 16) reading ``blocks.{i}.ln2.hook_normalized`` and
    predicting ``blocks.{i}.hook_mlp_out``; ``transcoders/QUALITY.md`` next to this file lists
    how they were trained and their measured variance explained and loss. Each call returns a
    fresh copy.
    """
    from ..circuits import TranscoderSet

    if not any(TRANSCODERS_DIR.glob("layer_*.safetensors")):
        raise FileNotFoundError(
            f"the demo transcoders are missing from {TRANSCODERS_DIR}; reinstall mi_widgets or "
            "run scripts/train_demo_transcoders.py"
        )
    return TranscoderSet.load(TRANSCODERS_DIR)
