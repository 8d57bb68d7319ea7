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


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mi-widgets``; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="mi-widgets",
        description="Interactive mechanistic-interpretability views; offline HTML reports.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="write an offline attention report from the bundled demo model",
        description=(
            "Run the bundled demo model on a text whose second half repeats its first half, "
            "and write one self-contained HTML file with its attention patterns, opened on "
            "the head that best predicts the repeat (an induction head)."
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
    from mi_widgets.demo import demo_model, strongest_induction_head

    start = time.perf_counter()
    model, tokenizer = demo_model()
    trace = mw.trace(model, tokenizer, text)
    layer, head, score = strongest_induction_head(model, tokenizer)
    view = mw.AttentionView(
        trace,
        layer=layer,
        head=head,
        title=f"Demo model: layer {layer} head {head} is an induction head (score {score:.2f})",
    )
    mw.to_html(view, output, title="mi_widgets demo report")
    seconds = time.perf_counter() - start
    print(f"wrote {output.resolve()} ({output.stat().st_size / 1024:.0f} KiB, {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
