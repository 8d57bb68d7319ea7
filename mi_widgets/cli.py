"""The ``mi-widgets`` command."""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

from .export.notebook import DEFAULT_REPORT_MAX_BYTES

DEMO_TEXT = (
    "Seven otters juggle brass lanterns under the violet bridge at midnight. "
    "Seven otters juggle brass lanterns under the violet bridge at midnight."
)

#: The file ``mi-widgets demo`` writes in the working directory unless given ``-o``.
DEMO_OUTPUT = "mi_widgets_demo.html"

_DEMO_INTRO = """\
This report shows the attention of the demo model that ships with mi_widgets: a small
GPT-NeoX (2 layers of 4 heads, with MLPs) trained on the Python documentation and docstrings
that come with CPython, plus sequences of repeated random tokens. Nothing was downloaded, and
the file works offline.

The grid scores every head {scored_on}. Induction: the mean attention a head pays, from each
token that occurred before, to the token that followed it the time before. Previous-token:
the mean attention to the token just before. Choose another score in the grid's menu; click a
cell to show that head below. On random tokens repeated twice, {random_note}

What to look at: the selected head is layer {layer}, head {head}, the one with the highest
induction score here ({score:.2f}). Where the text repeats, its rows attend to the token after
the earlier copy of the current token: a stripe parallel to the diagonal. It finds that token
with the help of a previous-token head in an earlier layer: layer {prev_layer}, head
{prev_head} (previous-token score {prev_score:.2f}) looks one token back from every position
and writes what it saw there. {loss_note}
Hover any cell for its exact value; click a token to lock it and see where it looks."""


def _copy_loss_note(trace) -> str:
    """Mean loss on tokens that copying an earlier match predicts, vs the other tokens."""
    import torch  # only the demo needs it: `mi-widgets --help` and `report` start fast

    ids, loss = trace.input_ids.reshape(-1), trace.loss
    earlier = torch.ones(len(ids), len(ids), dtype=torch.bool).tril(-1)
    same = (ids[:, None] == ids[None, :]) & earlier  # [pos, earlier pos]
    follows = torch.zeros_like(same)
    follows[:-1, :-1] = same[:-1, :-1] & (ids[1:, None] == ids[None, 1:])
    copyable = follows.any(1)  # pos i: its token and the next one occurred together before
    if not copyable.any() or copyable[:-1].all():
        return ""
    rest = ~copyable & ~loss.isnan()
    return (
        f"On this text the model's loss is {loss[copyable].mean():.2f} nats/token on the "
        f"{int(copyable.sum())} tokens whose next token repeats an earlier pair, and "
        f"{loss[rest].mean():.2f} on the others."
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
        help="write an offline attention report of the bundled demo model",
        description=(
            "Load the bundled demo model (a small GPT-NeoX trained on CPython's documentation; "
            "no download), score every head, run it on a text whose second half repeats its "
            "first half, and write one self-contained HTML file (no network needed to open "
            "it): a grid of head scores linked to the attention patterns, opened on the head "
            "with the highest induction score."
        ),
    )
    demo.add_argument(
        "-o", "--output", default=DEMO_OUTPUT, help=f"HTML file to write (default: {DEMO_OUTPUT})"
    )
    demo.add_argument("--text", default=DEMO_TEXT, help="text to run the model on")
    report = commands.add_parser(
        "report",
        help="turn a notebook into one offline HTML report",
        description=(
            "Write a notebook as one self-contained HTML file that opens offline: its text, "
            "code and outputs, every mi_widgets view drawn from the snapshot saved with its "
            "output, plotly figures drawn by plotly.js (inlined once). Widgets that cannot "
            "be drawn are shown as a note. Same as `jupyter nbconvert --to mi_html`."
        ),
    )
    report.add_argument("notebook", type=pathlib.Path, help="the .ipynb file")
    report.add_argument(
        "-o", "--output", type=pathlib.Path, help="HTML file (default: NOTEBOOK.html)"
    )
    report.add_argument(
        "--execute", action="store_true", help="run the notebook first (in its own directory)"
    )
    report.add_argument("--timeout", type=int, default=600, help="seconds per cell with --execute")
    report.add_argument(
        "--max-mb",
        type=float,
        default=DEFAULT_REPORT_MAX_BYTES / 2**20,
        help="MiB of view data to embed; past it views keep their current selection",
    )
    report.add_argument("--theme", choices=("light", "dark"), default="light")
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        return _demo(pathlib.Path(arguments.output), arguments.text)
    if arguments.command == "report":
        return _report(arguments)
    parser.print_help()
    return 0


def _demo(output: pathlib.Path, text: str) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import mi_widgets as mw
    from mi_widgets.demo import demo_model

    start = time.perf_counter()
    model, tokenizer = demo_model()
    random_scores = mw.head_scores(model, tokenizer)
    trace = mw.trace(model, tokenizer, text, kinds={"attention", "logits"})
    assert isinstance(trace, mw.Trace)  # one text gives one trace
    text_scores = mw.head_scores(trace)
    repeats = bool(text_scores.top("induction", 1))
    scores = text_scores if repeats else random_scores
    layer, head, score = scores.top("induction", 1)[0]
    prev_layer, prev_head, prev_score = scores.top("previous_token", 1)[0]
    attention = mw.AttentionView(trace, layer=layer, head=head, title="Attention of the demo model")
    grid = mw.HeadScoresView(scores, score="induction", attention=attention)
    induction = random_scores["induction"]
    strong = [f"{li}.{h}" for li, h in zip(*(induction >= 0.5).nonzero(), strict=True)]
    mw.to_html(
        [grid, attention],
        output,
        title="mi_widgets demo: attention and head scores",
        intro=_DEMO_INTRO.format(
            scored_on="on this text"
            if repeats
            else "on sequences of random tokens repeated twice (its switch shows this text's)",
            random_note=(
                f"{len(strong)} heads score 0.5 or more on induction (layer.head: "
                f"{', '.join(strong)}), best {float(induction.max()):.2f}."
            ),
            layer=layer,
            head=head,
            score=score,
            prev_layer=prev_layer,
            prev_head=prev_head,
            prev_score=prev_score,
            loss_note=_copy_loss_note(trace),
        ),
    )
    seconds = time.perf_counter() - start
    print(f"wrote {output.resolve()} ({output.stat().st_size / 1024:.0f} KiB, {seconds:.1f} s)")
    return 0


def _report(arguments: argparse.Namespace) -> int:
    from mi_widgets.export.report import write_report

    source: pathlib.Path = arguments.notebook
    if not source.is_file():
        print(f"mi-widgets report: no notebook at {source}", file=sys.stderr)
        return 2
    output = arguments.output or source.with_suffix(".html")
    start = time.perf_counter()
    found = write_report(
        source,
        output,
        execute=arguments.execute,
        timeout=arguments.timeout,
        max_bytes=int(arguments.max_mb * 2**20),
        theme=arguments.theme,
    )
    seconds = time.perf_counter() - start
    print(
        f"wrote {output.resolve()} ({output.stat().st_size / 2**20:.1f} MiB, {found.views} views, "
        f"{found.figures} figures, {found.placeholders} not shown, {seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
