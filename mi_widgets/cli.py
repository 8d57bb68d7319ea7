"""The ``mi-widgets`` command."""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

DEMO_TEXT = (
    "The quick brown fox jumps over the lazy dog. The quick brown fox jumps over the lazy dog."
)

_DEMO_INTRO = """\
This report shows the attention of a tiny GPT-2 (2 layers, 4 heads) built from its config
with seeded random weights, and a tokenizer trained on the Python documentation that ships
with CPython. Nothing was downloaded, and the file works offline. An untrained model has no
circuits yet: the patterns here are what attention looks like before learning, close to
uniform over the earlier tokens.

The grid scores every head on sequences of random tokens repeated twice. Induction: the mean
attention a head pays, from each token of the second copy, to the token that followed the
same token in the first copy. Choose another score (previous-token, duplicate-token,
first-token) in the grid's menu; click a cell to show that head below.

What to look at: the selected head is layer {layer}, head {head}, the one with the highest
induction score ({score:.2f}). A trained induction head scores near 1 and draws a stripe
parallel to the diagonal in the repeated half of the text; here, untrained, every row spreads
its attention evenly. Hover any cell for its exact value; click a token to lock it and see
where it looks."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mi-widgets``; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="mi-widgets",
        description="Interactive mechanistic-interpretability views; offline HTML reports.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="write an offline attention report of a tiny model built from config",
        description=(
            "Build a tiny GPT-2 from its config (seeded random weights, tokenizer trained "
            "offline on CPython's documentation), score every head, run it on a text whose "
            "second half repeats its first half, and write one self-contained HTML file "
            "(no network needed to open it): a grid of head scores linked to the attention "
            "patterns, opened on the head with the highest induction score."
        ),
    )
    demo.add_argument("-o", "--output", default="mi_widgets_demo.html", help="HTML file to write")
    demo.add_argument("--text", default=DEMO_TEXT, help="text to run the model on")
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        return _demo(pathlib.Path(arguments.output), arguments.text)
    parser.print_help()
    return 0


def _demo(output: pathlib.Path, text: str) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import mi_widgets as mw
    from mi_widgets.demo.untrained import untrained_model

    start = time.perf_counter()
    model, tokenizer = untrained_model()
    scores = mw.head_scores(model, tokenizer)
    layer, head, score = scores.top("induction", 1)[0]
    trace = mw.trace(model, tokenizer, text, kinds={"attention"})
    attention = mw.AttentionView(trace, layer=layer, head=head, title="Attention of the tiny model")
    grid = mw.HeadScoresView(scores, score="induction", attention=attention)
    mw.to_html(
        [grid, attention],
        output,
        title="mi_widgets demo: attention and head scores",
        intro=_DEMO_INTRO.format(layer=layer, head=head, score=score),
    )
    seconds = time.perf_counter() - start
    print(f"wrote {output.resolve()} ({output.stat().st_size / 1024:.0f} KiB, {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
