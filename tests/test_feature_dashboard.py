"""FeatureDashboard: traits, the list summary, per-feature slices, your own text, export,
and clear errors for bad input."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import traitlets

import mi_widgets as mw
from mi_widgets.sae.stats import FeatureStats
from mi_widgets.widgets import FeatureDashboard
from mi_widgets.widgets._serialization import decode_array
from mi_widgets.widgets.feature import EXPORT_NOTE, NO_ORIGIN_NOTE
from tests.synthetic_features import FakeOrigin, demo_stats, is_dead, synthetic_stats
from tests.test_export import read_data


@pytest.fixture(scope="module")
def stats() -> FeatureStats:
    return synthetic_stats(24)


def replies(view) -> list[tuple[dict, list]]:
    """Capture what the view sends to the page."""
    sent: list[tuple[dict, list]] = []
    view.send = lambda content, buffers=None: sent.append((content, buffers or []))
    return sent


def ask(view, content: dict) -> tuple[dict, list]:
    sent = replies(view)
    view._on_custom_message(view, content, [])
    assert len(sent) == 1
    return sent[0]


def feature_parts(stats: FeatureStats, f: int) -> tuple[np.ndarray, np.ndarray]:
    """The two slices of feature ``f`` as the contract in js/CONTRACT.md lays them out."""
    values = [
        stats.window_values[f],
        stats.interval_window_values[f],
        stats.interval_edges[f],
        stats.logit_top_values[f],
        stats.logit_bottom_values[f],
        stats.nearest_cosine[f],
        [stats.sums[f] / max(stats.n_firing[f], 1)],
    ]
    top = np.concatenate(
        [stats.docs[f, :, None], stats.positions[f, :, None], stats.window_tokens[f]], 1
    )
    intervals = np.concatenate(
        [
            stats.interval_docs[f, ..., None],
            stats.interval_positions[f, ..., None],
            stats.interval_window_tokens[f],
        ],
        2,
    )
    ids = [
        top,
        intervals,
        stats.interval_counts[f],
        stats.counts[f],
        stats.logit_top[f],
        stats.logit_bottom[f],
        stats.nearest[f],
        [stats.n_firing[f]],
    ]
    return (
        np.concatenate([np.ravel(p) for p in values]).astype(np.float32),
        np.concatenate([np.ravel(p) for p in ids]).astype(np.int64),
    )


def test_traits_and_the_list_summary(stats):
    dash = FeatureDashboard(stats)
    assert dash.n_features == 24 and dash.feature == 0 and dash.title == stats.hook
    assert (dash.sort, dash.descending, dash.query, dash.hide_dead) == ("index", False, "", True)
    assert dash.vocab == stats.vocab and dash.embedded == [] and dash.text_note == NO_ORIGIN_NOTE
    assert dash.info == {
        "hook": stats.hook,
        "source": "synthetic statistics",
        "n_tokens": 10_000,
        "n_docs": 50,
        "k": 4,
        "context": 2,
        "n_intervals": 3,
        "per_interval": 2,
        "n_bins": 9,
        "n_raised": 3,
        "n_lowered": 3,
        "n_nearest": 4,
    }
    summary = {key: decode_array(value) for key, value in dash._summary.items()}
    np.testing.assert_array_equal(summary["stats"][0], stats.density.astype(np.float32))
    np.testing.assert_array_equal(summary["stats"][1], stats.max)
    np.testing.assert_array_equal(summary["edges"], stats.edges)
    starts = summary["max_token_starts"].astype(int)
    for f in range(stats.n_features):
        centre = [e.tokens[e.center] for e in stats.examples(f)]
        mine = [
            stats.vocab[i] for i in summary["max_tokens"][starts[f] : starts[f + 1]].astype(int)
        ]
        assert mine == list(dict.fromkeys(centre)), f
    assert starts[4] == starts[5], "dead feature 4 has no max token"
    assert "feature=0" in repr(dash) and "24 features" in repr(dash)


def test_the_first_feature_that_fired_is_shown_first(stats):
    firing = stats.n_firing.copy()
    firing[:2] = 0
    assert FeatureDashboard(dataclasses.replace(stats, n_firing=firing)).feature == 2
    assert FeatureDashboard(synthetic_stats(10, dead_every=1)).feature == 0, "all dead"
    assert is_dead(4, 5) and FeatureDashboard(stats, feature=4).feature == 4


@pytest.mark.parametrize("precision", ["float16", "float32"])
def test_each_feature_travels_as_two_binary_slices(stats, precision):
    dash = FeatureDashboard(stats, feature=7, precision=precision)
    assert sorted(dash._slices) == ["feature-ids:7", "feature:7"]
    for f in (0, 4, 7, 13):  # 4 is dead, 13 has padded rows
        values, ids = feature_parts(stats, f)
        encoded = dash.encode_slice(f"feature:{f}")
        assert encoded["dtype"] == precision and encoded["shape"] == [values.size]
        rounded = values.astype(precision).astype(np.float32)
        np.testing.assert_array_equal(decode_array(encoded).astype(np.float32), rounded)
        encoded_ids = dash.encode_slice(f"feature-ids:{f}")
        assert encoded_ids["dtype"] == "int32"
        np.testing.assert_array_equal(decode_array(encoded_ids), ids)
    with pytest.raises(KeyError, match="no slice 'feature:24'"):
        dash.encode_slice("feature:24")


def test_counts_past_int32_are_clipped():
    stats = synthetic_stats(3)
    huge = dataclasses.replace(stats, n_firing=stats.n_firing + 2**40)
    ids = decode_array(FeatureDashboard(huge).encode_slice("feature-ids:0"))
    assert ids[-1] == 2**31 - 1


def test_any_feature_is_served_on_request_and_unknown_keys_are_missing(stats):
    dash = FeatureDashboard(stats, embed=1)
    assert dash.slice_keys() == ["feature:0", "feature-ids:0"]
    content, buffers = ask(dash, {"type": "slice", "key": "feature-ids:17", "id": "r1"})
    assert content["id"] == "r1" and content["key"] == "feature-ids:17"
    decoded = decode_array({**content["array"], "data": buffers[0]})
    np.testing.assert_array_equal(decoded, feature_parts(stats, 17)[1])
    for key in ("feature:24", "feature:-1", "feature:x", "layer:0", None):
        content, _ = ask(dash, {"type": "slice", "key": key, "id": "r2"})
        assert content["missing"] is True, key


def test_embed_an_int_or_a_list(stats):
    dash = FeatureDashboard(stats, feature=4, embed=5)
    by_max = np.argsort(-stats.max, kind="stable").tolist()
    assert dash.embed_features() == [4, *by_max[:4]]
    top = FeatureDashboard(stats, feature=by_max[0], embed=5)
    assert top.embed_features() == by_max[:5], "the current feature counts once"
    assert dash.slice_keys()[:2] == ["feature:4", "feature-ids:4"]
    listed = FeatureDashboard(stats, feature=2, embed=[9, 2, np.int64(11)])
    assert listed.embed_features() == [2, 9, 11]
    dash.feature = 9
    assert dash.embed_features()[0] == 9


def test_feature_is_validated_with_the_valid_range(stats):
    dash = FeatureDashboard(stats)
    with pytest.raises(
        ValueError, match=r"feature = 24 is out of range: expected 0 <= feature < 24"
    ):
        dash.feature = 24
    with pytest.raises(ValueError, match=r"feature = -1 is out of range"):
        dash.feature = -1
    with pytest.raises(traitlets.TraitError, match="expected an int"):
        dash.feature = "3"
    assert dash.feature == 0
    with pytest.raises(
        ValueError, match=r"sort must be one of 'index', 'density', 'max', got 'size'"
    ):
        dash.sort = "size"
    dash.sort, dash.descending, dash.query, dash.hide_dead = "max", True, " the", False
    assert dash.get_state()["sort"] == "max"


def test_bad_arguments_name_what_was_expected(stats):
    with pytest.raises(TypeError, match=r"stats must be a mi_widgets FeatureStats .* got dict"):
        FeatureDashboard({"values": []})
    with pytest.raises(
        ValueError, match=r"feature = 30 is out of range: expected 0 <= feature < 24"
    ):
        FeatureDashboard(stats, feature=30)
    with pytest.raises(ValueError, match=r"embed = 0: expected an int >= 1"):
        FeatureDashboard(stats, embed=0)
    with pytest.raises(
        ValueError, match=r"embed\[1\] = 24 is out of range: expected 0 <= embed\[1\] < 24"
    ):
        FeatureDashboard(stats, embed=[3, 24])
    with pytest.raises(
        TypeError, match="embed must be an int or a list of feature indices, got str"
    ):
        FeatureDashboard(stats, embed="all")
    with pytest.raises(TypeError, match=r"embed\[0\] must be an int, got float"):
        FeatureDashboard(stats, embed=[1.5])
    with pytest.raises(TypeError, match="origin must have a method activations"):
        FeatureDashboard(stats, origin=object())
    with pytest.raises(ValueError, match="precision must be 'float16' or 'float32'"):
        FeatureDashboard(stats, precision="int8")
    with pytest.raises(ValueError, match="sort must be one of"):
        FeatureDashboard(stats, sort="random")


def test_your_own_text_goes_through_the_origin(stats):
    origin = FakeOrigin(stats.n_features)
    dash = FeatureDashboard(stats, origin=origin, feature=3)
    assert dash.text_note == ""
    text = "<script>x</script> hello  world\n"
    content, buffers = ask(dash, {"type": "text", "id": "t1", "text": text, "feature": 3})
    tokens, expected = FakeOrigin.expected(text, 3)
    assert content["id"] == "t1" and content["feature"] == 3 and content["tokens"] == tokens
    assert content["array"]["dtype"] == "float32"
    np.testing.assert_array_equal(decode_array({**content["array"], "data": buffers[0]}), expected)
    # another feature of the same text: no new model run
    content, buffers = ask(dash, {"type": "text", "id": "t2", "text": text, "feature": 5})
    np.testing.assert_array_equal(
        decode_array({**content["array"], "data": buffers[0]}), FakeOrigin.expected(text, 5)[1]
    )
    assert origin.calls == 1
    assert dash.text_activations(text)[0] == tokens  # the current feature, 3
    content, _ = ask(dash, {"type": "text", "id": "t3", "text": "", "feature": 3})
    assert content == {
        "type": "text",
        "id": "t3",
        "error": "ValueError: text must be a non-empty string, got ''",
    }
    content, _ = ask(dash, {"type": "text", "id": "t4", "text": "a", "feature": 99})
    assert "feature = 99 is out of range" in content["error"]


def test_the_origin_comes_from_the_stats_or_the_argument(stats):
    live = dataclasses.replace(stats, origin=FakeOrigin(stats.n_features))
    assert FeatureDashboard(live).text_note == ""
    dash = FeatureDashboard(stats)
    content, _ = ask(dash, {"type": "text", "id": "t", "text": "hello", "feature": 0})
    assert content["error"] == f"RuntimeError: {NO_ORIGIN_NOTE}"


class _WrongOrigin:
    def __init__(self, result):
        self.result = result

    def activations(self, text):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (["a"], r"TypeError: origin.activations\(text\) must return \(tokens, acts\), got list"),
        (("ab", np.zeros((2, 24))), "TypeError: .* with tokens a list of strings, got str"),
        (
            (["a", "b"], np.zeros((2, 5))),
            r"ValueError: .* shape \[2, 5\]; expected \[2 tokens, 24 features\]",
        ),
        (RuntimeError("model on fire"), "RuntimeError: model on fire"),
    ],
)
def test_a_broken_origin_is_reported_to_the_page(stats, result, message):
    dash = FeatureDashboard(stats, origin=_WrongOrigin(result))
    content, buffers = ask(dash, {"type": "text", "id": "t", "text": "ab", "feature": 0})
    assert buffers == [] and "tokens" not in content
    assert re.fullmatch(message, content["error"]), content["error"]


def test_saved_stats_need_an_origin_for_new_text(stats, tmp_path):
    loaded = FeatureStats.load(stats.save(tmp_path / "features.npz"))
    assert FeatureDashboard(loaded).text_note == NO_ORIGIN_NOTE
    dash = FeatureDashboard(loaded, origin=FakeOrigin(loaded.n_features))
    assert dash.text_note == "" and dash.text_activations("a b", 1)[0] == ["a", " b"]


def test_export_embeds_the_chosen_features_and_disables_the_text_box(stats, tmp_path):
    dash = FeatureDashboard(stats, feature=5, embed=[1, 2], origin=FakeOrigin(24))
    path = mw.to_html(dash, tmp_path / "features.html")
    text, data, _ = read_data(path)
    (view,) = data["views"]
    assert view["module"] == "feature"
    assert view["state"]["text_note"] == EXPORT_NOTE and view["state"]["embedded"] == [5, 1, 2]
    assert sorted(view["slices"]) == sorted(dash.slice_keys())
    assert set(view["state"]["_summary"]) == {"stats", "max_tokens", "max_token_starts", "edges"}
    assert dash.text_note == "" and dash.embedded == [], "exporting leaves the live widget alone"
    assert "<script>alert(1)</script>" not in text and "\\u003cscript\\u003ealert(1)" in text


def test_exported_file_grows_by_a_few_kilobytes_per_feature(tmp_path):
    stats = synthetic_stats(256, k=20, context=8, n_intervals=10, per_interval=5, n_logits=10)
    sizes = {}
    for n in (1, 65):
        path = mw.to_html(FeatureDashboard(stats, embed=n), tmp_path / f"f{n}.html")
        sizes[n] = path.stat().st_size
    per_feature = (sizes[65] - sizes[1]) / 64
    # 1,230 float16 values and 1,378 int32 ids, in base64, plus a few hundred bytes of headers
    assert 10_000 < per_feature < 11_500, per_feature


@pytest.mark.usefixtures("torch_single_thread")
@pytest.mark.parametrize("hook", ["blocks.1.hook_resid_post", "blocks.1.mlp.hook_post"])
def test_real_statistics_of_the_demo_model(hook):
    stats = demo_stats(hook)
    dash = FeatureDashboard(stats)
    assert dash.text_note == "" and dash.info["n_raised"] == (10 if "resid" in hook else 0)
    for f in range(stats.n_features):
        values, ids = feature_parts(stats, f)
        assert decode_array(dash.encode_slice(f"feature:{f}")).size == values.size
        np.testing.assert_array_equal(decode_array(dash.encode_slice(f"feature-ids:{f}")), ids)
    text = "def add(a, b):\n    return a + b"
    content, buffers = ask(dash, {"type": "text", "id": "t", "text": text, "feature": 7})
    tokens, acts = stats.origin.activations(text)
    assert content["tokens"] == tokens
    values = decode_array({**content["array"], "data": buffers[0]})
    np.testing.assert_array_equal(values, acts[:, 7])
