import base64
import json
import re

import numpy as np
import pytest

import mi_widgets as mw
from mi_widgets.widgets._serialization import decode_array
from tests.conftest import HOSTILE_TOKENS, random_causal_attention


def read_data(path):
    text = path.read_text(encoding="utf-8")
    data = re.search(
        r'<script type="application/json" id="mi-widgets-data">(.*?)</script>', text, re.S
    )
    blobs = dict(
        re.findall(
            r'<script type="application/octet-stream" id="mi-blob-(b\d+)">([^<]*)</script>', text
        )
    )
    return text, json.loads(data.group(1)), blobs


def test_export_is_one_file_with_everything_inlined(tmp_path):
    attention = random_causal_attention(2, 3, 7)
    view = mw.AttentionView(attention=attention, tokens=[f"t{i}" for i in range(7)], layer=1)
    path = mw.to_html(view, tmp_path / "a.html", title="My <report>")
    text, data, blobs = read_data(path)
    assert "<title>My &lt;report&gt;</title>" in text
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\s(src|href)=", text), "no external file"
    (entry,) = data["views"]
    assert entry["module"] == "attention" and entry["state"]["layer"] == 1
    assert list(entry["slices"]) == ["layer:1", "layer:0"], "current layer first"
    for key, layer in [("layer:0", 0), ("layer:1", 1)]:
        slice_ = entry["slices"][key]
        raw = base64.b64decode(blobs[slice_["blob"]])
        decoded = decode_array({**slice_["array"], "data": raw})
        assert np.abs(decoded - attention[layer]).max() <= 1 / 510 + 1e-7
    assert "attention" in data["modules"] and len(data["modules"]["attention"]) > 1000


def test_hostile_tokens_cannot_close_the_script(tmp_path):
    n = len(HOSTILE_TOKENS)
    view = mw.AttentionView(attention=random_causal_attention(1, 1, n), tokens=HOSTILE_TOKENS)
    text, data, _ = read_data(mw.to_html(view, tmp_path / "x.html"))
    assert text.count("</script>") == text.count("<script")
    assert data["views"][0]["state"]["tokens"] == HOSTILE_TOKENS


def test_budget_keeps_the_current_layer_and_drops_the_rest(tmp_path):
    view = mw.AttentionView(
        attention=random_causal_attention(3, 2, 10), tokens=list("abcdefghij"), layer=2
    )
    _, data, _ = read_data(mw.to_html(view, tmp_path / "b.html", max_bytes=2 * 55))
    assert list(data["views"][0]["slices"]) == ["layer:2"]


def test_several_views_share_one_module(tmp_path):
    views = [
        mw.AttentionView(attention=random_causal_attention(1, 1, 3, seed=s), tokens=list("abc"))
        for s in range(3)
    ]
    text, data, _ = read_data(mw.to_html(views, tmp_path / "c.html", theme="dark"))
    assert [v["id"] for v in data["views"]] == ["mi-view-0", "mi-view-1", "mi-view-2"]
    assert list(data["modules"]) == ["attention"] and data["theme"] == "dark"
    assert text.count('class="mi-widgets-view"') == 3


def test_bad_export_arguments(tmp_path):
    view = mw.AttentionView(attention=random_causal_attention(1, 1, 2), tokens=["a", "b"])
    with pytest.raises(ValueError, match="views is empty"):
        mw.to_html([], tmp_path / "e.html")
    with pytest.raises(TypeError, match=r"views\[1\] is a str, not a mi_widgets view"):
        mw.to_html([view, "x"], tmp_path / "e.html")
    with pytest.raises(ValueError, match="theme must be"):
        mw.to_html(view, tmp_path / "e.html", theme="blue")


def test_intro_is_escaped_text_in_paragraphs(tmp_path):
    view = mw.AttentionView(attention=random_causal_attention(1, 1, 2), tokens=["a", "b"])
    intro = "Look at <b>this</b> head.\n\nThen & that one."
    text, _, _ = read_data(mw.to_html(view, tmp_path / "i.html", title="T", intro=intro))
    assert "<h1>T</h1>" in text
    assert "<p>Look at &lt;b&gt;this&lt;/b&gt; head.</p>\n<p>Then &amp; that one.</p>" in text
