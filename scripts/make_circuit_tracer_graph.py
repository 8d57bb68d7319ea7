"""Make the circuit-tracer reference graph in ``tests/data/circuit_tracer/``.

Runs in circuit-tracer 0.5's own virtual environment (it cannot share this project's: it pins
``transformers<=4.57``), from the repository root::

    PEER/bin/python scripts/make_circuit_tracer_graph.py

where PEER was made as ``benchmarks/attribution.py`` describes (``python -m
benchmarks.attribution --peer-venv PEER --no-ours`` creates it). Seeded: a 2-layer
TransformerLens model from config (random weights) with random ReLU transcoders (built by
``benchmarks/_attribution_peer.py``), the bundled demo tokenizer (saved to a temporary folder
in the format transformers 4 reads), circuit-tracer's ``attribute`` on a short prompt and its
``create_graph_files`` pruned at node threshold 0.95 and edge threshold 0.99.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from benchmarks._attribution_peer import build_replacement_model, save_tokenizer  # noqa: E402

SHAPE = {
    "n_layers": 2,
    "d_model": 64,
    "n_heads": 4,
    "d_mlp": 256,
    "n_features": 512,
    "d_vocab": 2048,
}
PROMPT = "The cat sat on the mat. The cat"
SLUG = "circuit-tracer-reference"


def main(argv: list[str] | None = None) -> None:
    import torch
    from circuit_tracer import attribute
    from circuit_tracer.utils.create_graph_files import create_graph_files
    from transformers import AutoTokenizer

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=pathlib.Path, default=REPO / "tests/data/circuit_tracer")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        tokenizer_dir = save_tokenizer(REPO / "mi_widgets/demo/model", pathlib.Path(work))
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        model = build_replacement_model(SHAPE, str(tokenizer_dir), seed=arguments.seed)
        ids = torch.tensor(tokenizer(PROMPT)["input_ids"])  # starts with the BOS token
        graph = attribute(ids, model, max_n_logits=5, desired_logit_prob=0.95)
        graph_dir = pathlib.Path(work) / "graph"
        create_graph_files(
            graph, slug=SLUG, output_path=graph_dir, node_threshold=0.95, edge_threshold=0.99
        )
        arguments.output.mkdir(parents=True, exist_ok=True)
        shutil.copy(graph_dir / f"{SLUG}.json", arguments.output / f"{SLUG}.json")
    print(
        f"{len(ids)} tokens, {len(graph.active_features)} active features, "
        f"{len(graph.logit_targets)} logits -> {arguments.output / f'{SLUG}.json'}"
    )


if __name__ == "__main__":
    main()
