"""LogitLensView traits, wire format, validation, the plotly figure and the AttentionView link."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import mi_widgets as mw
from mi_widgets.analysis.lens import LogitLens
from mi_widgets.widgets._serialization import decode_array
from mi_widgets.widgets.lens import FLOAT16_ERROR
from mi_widgets.widgets.link import report_links
from tests.conftest import random_causal_attention

ROWS = ["embed", "L0", "L1"]
TOKENS = ["<script>alert(1)</script>", " key", "&amp;", "\n", " key"]
#: The first ten can be top-3 somewhere; the last six never are (their logits are -12).
CANDIDATES = [
    " value",
    "<script>alert(1)</script>",
    "&amp;",
    "\n",
    " key",
    "<img src=x onerror=alert(1)>",
    "🦄",
    "",
    " the",
    ".",
    *[f" rare{i}" for i in range(6)],
]
K = 3
R, N, C = len(ROWS), len(TOKENS), len(CANDIDATES)
VALUE, SCRIPT, RARE = 0, 1, 10


def known_lens(rows: list[str] = ROWS, seed: int = 3) -> LogitLens:
    """A lens with random but fixed probabilities; the last row predicts " value" at the last
    position and ``<script>`` at position 0."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, (len(rows), N, C))
    logits[:, :, RARE:] = -12.0
    logits[-1, -1, VALUE] = 9.0
    logits[-1, 0, SCRIPT] = 9.0
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    top = np.argsort(-probs, axis=-1, kind="stable")[..., :K]
    return LogitLens(
        tokens=list(TOKENS),
        rows=list(rows),
        candidates=np.arange(100, 100 + C),
        candidate_tokens=list(CANDIDATES),
        probs=probs.astype(np.float32),
        top=top.astype(np.int32),
        targets=[VALUE],
        model_name="KnownModel",
    )


def attention_view(n_layers: int = R - 1, n_tokens: int = N) -> mw.AttentionView:
    pattern = random_causal_attention(n_layers, 2, n_tokens)
    return mw.AttentionView(attention=pattern, tokens=[f"t{i}" for i in range(n_tokens)])


def top_probabilities(
    view: mw.LogitLensView, rows: int = R, positions: int = N
) -> tuple[np.ndarray, np.ndarray]:
    """What the page reads from the wire: ``[row, pos, k]`` candidates and probabilities."""
    columns = decode_array(view._columns).astype(int)
    starts = decode_array(view._column_starts).astype(int)
    probs = decode_array(view._column_probs)
    top = decode_array(view._top).astype(int)
    at = starts[np.arange(positions)][None, :, None] + top
    return columns[at], probs[at, np.arange(rows)[:, None, None]]


# ---- traits and encoding ------------------------------------------------------------------


def test_traits_mirror_the_lens_and_select_the_last_cell():
    lens = known_lens()
    view = mw.LogitLensView(lens)
    assert view.lens is lens
    assert (view.rows, view.tokens, view.candidate_tokens) == (ROWS, TOKENS, CANDIDATES)
    assert (view.targets, view.k, view.title) == ([VALUE], K, "Logit lens of KnownModel")
    assert (view.row, view.position, view.target) == (R - 1, N - 1, VALUE)
    assert (view.layer, view.query_token, view.target_token) == (1, N - 1, " value")
    assert view.next_tokens == [4, 2, 3, 4, -1], "the candidate of the following input token"
    assert repr(view) == (
        "LogitLensView(3 rows x 5 positions, selected L1 at ' key'_4: top ' value' "
        f"{lens.top_tokens(2, 4)[0][1]:.4f}; target ' value')"
    )


def test_every_cells_top_k_travels_as_float16_within_the_stated_error():
    lens = known_lens()
    view = mw.LogitLensView(lens)
    assert view._column_probs["dtype"] == "float16"
    assert view._top["dtype"] == "int32" and view._top["shape"] == [R, N, K]
    assert isinstance(view._column_probs["data"], bytes)
    candidates, probs = top_probabilities(view)
    np.testing.assert_array_equal(candidates, lens.top)
    exact = np.take_along_axis(lens.probs, lens.top, axis=2)
    error = np.abs(probs - exact)
    assert error.max() <= FLOAT16_ERROR and error.max() > 0, "float16: small but not zero"
    np.testing.assert_array_equal(probs, exact.astype(np.float16).astype(np.float64))


def test_float32_precision_is_exact_and_columns_hold_targets_and_next_tokens():
    lens = known_lens()
    view = mw.LogitLensView(lens, precision="float32")
    _, probs = top_probabilities(view)
    np.testing.assert_array_equal(probs, np.take_along_axis(lens.probs, lens.top, axis=2))
    columns = decode_array(view._columns).astype(int)
    starts = decode_array(view._column_starts).astype(int)
    table = decode_array(view._column_probs)
    for p in range(N):
        kept = columns[starts[p] : starts[p + 1]]
        assert list(kept) == sorted(
            set(lens.top[:, p].ravel()) | {VALUE, *view.next_tokens[p : p + 1]} - {-1}
        )
        np.testing.assert_array_equal(table[starts[p] : starts[p + 1]].T, lens.probs[:, p, kept])
    assert not set(columns) & set(range(RARE, C)), "never-top candidates are not sent up front"


def test_a_candidate_not_kept_at_a_position_comes_as_a_slice():
    lens = known_lens()
    view = mw.LogitLensView(lens)
    assert view.slice_keys() == [] and view.view_state().get("_slices") is None
    assert view.has_slice(f"target:{RARE}") and not view.has_slice(f"target:{C}")
    assert not view.has_slice("layer:0") and not view.has_slice("target:x")
    line = decode_array(view.encode_slice(f"target:{RARE}"))
    assert line.shape == (R, N)
    np.testing.assert_array_equal(line, lens.probs[:, :, RARE].astype(np.float16))
    assert np.abs(line - lens.probs[:, :, RARE]).max() <= FLOAT16_ERROR
    with pytest.raises(KeyError, match="expected 'target:<candidate>'"):
        view.encode_slice("target:99")
    sent = []
    view.send = lambda content, buffers=None: sent.append((content, buffers))
    view._on_custom_message(view, {"type": "slice", "key": f"target:{RARE}", "id": "a"}, [])
    view._on_custom_message(view, {"type": "slice", "key": "nope", "id": "b"}, [])
    assert sent[0][0]["array"]["shape"] == [R, N] and len(sent[0][1][0]) == 2 * R * N
    assert sent[1][0]["missing"] is True


def test_line_and_figure_follow_the_selection():
    lens = known_lens()
    view = mw.LogitLensView(lens, row="L0", position=2, target="&amp;")
    assert (view.row, view.position, view.target) == (1, 2, 2)
    np.testing.assert_array_equal(view.line(), lens.probs[:, 2, 2])
    figure = mw.LogitLensView(lens).figure() and view.figure()
    assert type(figure).__name__ == "FigureWidget"
    np.testing.assert_allclose(figure.data[0].y, lens.probs[:, 2, 2])
    assert list(figure.data[0].x) == ROWS and list(figure.data[1].x) == ["L0"]
    assert figure.layout.title.text == "P('&amp;') at '&amp;'_2"
    view.position = 4
    view.target_token = " value"
    view.row = 2
    np.testing.assert_allclose(figure.data[0].y, lens.probs[:, 4, VALUE])
    assert list(figure.data[1].x) == ["L1"]
    np.testing.assert_allclose(figure.data[1].y, [lens.probs[2, 4, VALUE]])
    assert figure.layout.title.text == "P(' value') at ' key'_4"


def test_row_and_position_drive_the_link_traits_and_back():
    view = mw.LogitLensView(known_lens(), row=2, position=1)
    view.row = 1
    assert view.layer == 0
    view.row = 0  # "embed" maps to no layer: layer stays
    assert view.layer == 0 and view.row == 0
    view.layer = 1
    assert view.row == 2
    view.position = 3
    assert view.query_token == 3
    view.query_token = 0
    assert view.position == 0
    view.query_token = None  # an AttentionView unlocking its token moves nothing
    assert view.position == 0
    no_embed = mw.LogitLensView(known_lens(["L0", "L1", "L2"]), row=0)
    assert no_embed.layer == 0 and no_embed.n_layer_rows == 3
    no_embed.layer = 2
    assert no_embed.row == 2


# ---- validation ---------------------------------------------------------------------------


def test_bad_input_names_the_argument_the_value_and_what_was_expected():
    lens = known_lens()
    with pytest.raises(TypeError, match=r"lens must be a mi_widgets\.LogitLens .* got ndarray"):
        mw.LogitLensView(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"row = 3 is out of range: expected 0 <= row < 3"):
        mw.LogitLensView(lens, row=3)
    with pytest.raises(
        ValueError, match=r"row='L7' is not a row of this lens; rows: embed, L0, L1"
    ):
        mw.LogitLensView(lens, row="L7")
    with pytest.raises(
        ValueError, match=r"position = 5 is out of range: expected 0 <= position < 5"
    ):
        mw.LogitLensView(lens, position=5)
    message = (
        r"target=' nope' is not among the 16 candidate tokens of this lens; pass it in targets="
    )
    with pytest.raises(ValueError, match=message):
        mw.LogitLensView(lens, target=" nope")
    with pytest.raises(ValueError, match=r"target = 16 is out of range"):
        mw.LogitLensView(lens, target=16)
    with pytest.raises(ValueError, match=r"precision must be 'float16' or 'float32', got 'uint8'"):
        mw.LogitLensView(lens, precision="uint8")
    view = mw.LogitLensView(lens)
    with pytest.raises(ValueError, match=r"position = -1 is out of range"):
        view.position = -1
    with pytest.raises(ValueError, match=message):
        view.target_token = " nope"
    with pytest.raises(ValueError, match=r"layer = 2 is out of range: expected 0 <= layer < 2"):
        view.layer = 2
    with pytest.raises(traitlets.TraitError):
        view.row = "L0"
    assert (view.row, view.position, view.target) == (R - 1, N - 1, VALUE), "nothing changed"


def test_default_target_without_targets_is_the_cells_top_1():
    lens = known_lens()
    bare = LogitLens(**{**lens.__dict__, "targets": []})
    view = mw.LogitLensView(bare, row=1, position=2)
    assert view.target == lens.top[1, 2, 0] and view.targets == []


# ---- link with an AttentionView -----------------------------------------------------------


def test_link_moves_the_attention_view_and_follows_it():
    attention = attention_view()
    view = mw.LogitLensView(known_lens(), row=1, position=2, attention=attention)
    assert (attention.layer, attention.query_token) == (0, 2), "the attention view follows first"
    [link] = view.links
    assert repr(link) == "LensLink(linked: row=L0, position=2)"
    view.row, view.position = 2, 4
    assert (attention.layer, attention.query_token) == (1, 4)
    view.row = 0  # embed: the attention layer stays
    assert attention.layer == 1 and view.row == 0
    attention.layer = 0
    assert (view.row, view.layer) == (1, 0)
    attention.query_token = 3
    assert view.position == 3
    attention.query_token = None
    assert view.position == 3 and view.query_token is None
    link.unlink()
    attention.layer = 1
    assert view.row == 1 and view.links == []


def test_link_needs_matching_views_and_reports_its_traits():
    lens = known_lens()
    with pytest.raises(ValueError, match=r"lens_view has 2 layer rows but attention_view has 3"):
        mw.link_lens(mw.LogitLensView(lens), attention_view(n_layers=3))
    with pytest.raises(ValueError, match=r"lens_view has 5 positions but attention_view has 4"):
        mw.link_lens(mw.LogitLensView(lens), attention_view(n_tokens=4))
    with pytest.raises(TypeError, match=r"lens_view must be a mi_widgets\.LogitLensView"):
        mw.link_lens(attention_view(), attention_view())
    with pytest.raises(TypeError, match=r"attention_view must be a mi_widgets\.AttentionView"):
        mw.link_lens(mw.LogitLensView(lens), mw.LogitLensView(lens))
    with pytest.raises(TypeError, match=r"scores_view must be a view that selects a head"):
        mw.link_heads(mw.LogitLensView(lens), attention_view())
    attention = attention_view()
    view = mw.LogitLensView(lens, attention=attention)
    links = report_links([view, attention], ["a", "b"])
    assert links == [{"source": "a", "target": "b", "traits": ["layer", "query_token"]}]
    assert report_links([view], ["a"]) == []


def test_the_demo_models_lens_links_with_its_attention_view():
    model, tokenizer = mw.demo_model()
    trace = mw.trace(model, tokenizer, "The list holds key value file name. The list holds key")
    lens = mw.logit_lens(trace, targets=[" value"])
    attention = mw.AttentionView(trace)
    view = mw.LogitLensView(lens, attention=attention)
    assert view.rows == ["embed", "L0", "L1"] and view.target_token == " value"
    assert (attention.layer, attention.query_token) == (1, trace.n_tokens - 1)
    assert lens.top_tokens(2, trace.n_tokens - 1)[0][0] == " value", "the induction answer"
    np.testing.assert_array_equal(view.line(), lens.probability(" value", -1))
    candidates, probs = top_probabilities(view, rows=3, positions=trace.n_tokens)
    np.testing.assert_array_equal(candidates, lens.top)
    assert np.abs(probs - np.take_along_axis(lens.probs, lens.top, axis=2)).max() <= FLOAT16_ERROR
    assert view.next_tokens[7] == lens.candidate_tokens.index(" value"), (
        "after ' key' comes ' value'"
    )


def test_a_slice_request_without_a_key_is_answered_as_missing():
    view = mw.LogitLensView(known_lens())
    sent = []
    view.send = lambda content, buffers=None: sent.append((content, buffers))
    view._on_custom_message(view, {"type": "slice", "id": "a"}, [])
    view._on_custom_message(view, {"type": "slice", "key": 3, "id": "b"}, [])
    assert [content["missing"] for content, _ in sent] == [True, True]
    assert [content["id"] for content, _ in sent] == ["a", "b"]
