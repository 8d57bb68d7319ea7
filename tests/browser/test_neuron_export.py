"""The exported NeuronView in Chromium with every network request aborted."""

from __future__ import annotations

import numpy as np
import pytest

import mi_widgets as mw
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pixels import canvas_rgba, css_rgb, diverging_colors, expected_colors
from tests.conftest import HOSTILE_TOKENS

pytestmark = pytest.mark.browser

READY = ".mi-neuron-view[data-ready='true']"
BAR = ".mi-neuron-bar"


def known_activations(n_tokens: int = 12, n_neurons: int = 6) -> np.ndarray:
    """``[2, N, M]``: values that cover the scale, positive and negative."""
    grid = np.linspace(-2.0, 3.0, n_tokens, dtype=np.float32)
    layer0 = np.stack([grid * (1 + m) * (-1) ** m for m in range(n_neurons)], axis=1)
    return np.stack([layer0, layer0[::-1] * 0.5])


def export(tmp_path, view, theme="light", name="neuron.html"):
    path = tmp_path / name
    mw.to_html(view, path, theme=theme)
    return path


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_token_has_the_colour_of_its_activation(offline, tmp_path, theme):
    acts = known_activations()
    tokens = [f" t{i}" for i in range(acts.shape[1])]
    view = mw.NeuronView(activations=acts, tokens=tokens, neuron=1)
    session = offline()
    page = session.open(export(tmp_path, view, theme), READY)
    expected = expected_colors(view.activations[0, :, 1], dark=theme == "dark")
    np.testing.assert_array_equal(css_rgb(page, ".mi-neuron-text .mi-ntok"), expected)
    bar = canvas_rgba(page, BAR)
    cell = bar.shape[1] // len(tokens)
    centres = bar[bar.shape[0] // 2, (np.arange(len(tokens)) + 0.5).astype(int) * cell, :3]
    np.testing.assert_array_equal(centres.astype(int), expected)
    root = page.locator(".mi-neuron-view")
    assert float(root.get_attribute("data-scale")) == pytest.approx(np.abs(acts[0, :, 1]).max())
    # 0 is the neutral middle of the map, the ends are the extremes of the scale
    legend = canvas_rgba(page, ".mi-legend-bar")
    np.testing.assert_array_equal(
        legend[5, [0, 255], :3], diverging_colors(theme == "dark")[[0, 255]]
    )
    assert session.requests == [] and session.errors == []
    if theme == "dark":
        page.locator(".mi-neuron-view").screenshot(path=SCREENSHOTS / "neuron_export_dark.png")


def test_hover_shows_the_exact_value_and_the_top_neurons(offline, tmp_path):
    acts = known_activations()
    tokens = [f"w{i}" for i in range(acts.shape[1])]
    view = mw.NeuronView(activations=acts, tokens=tokens, neuron=2, precision="float32")
    page = offline().open(export(tmp_path, view), READY)
    tooltip = page.locator(".mi-tooltip")
    for t in (0, 5, 11):
        page.locator(f".mi-neuron-text .mi-ntok[data-index='{t}']").hover()
        tooltip.wait_for(state="visible")
        text = tooltip.text_content()
        assert f'"w{t}"' in text and f"{acts[0, t, 2]:.4f}" in text, text
        assert float(tooltip.get_attribute("data-value")) == pytest.approx(acts[0, t, 2])
        best = np.argsort(-acts[0, t], kind="stable")[:3]
        assert f"N{best[0]} {acts[0, t, best[0]]:.4f}" in text
        listed = page.eval_on_selector_all(
            ".mi-top-neuron", "els => els.map(e => +e.dataset.neuron)"
        )
        assert listed == np.argsort(-acts[0, t], kind="stable").tolist()
    # click a neuron listed at the token: it becomes the neuron shown
    page.locator(".mi-top-neuron").nth(1).click()
    second = int(np.argsort(-acts[0, 11], kind="stable")[1])
    page.wait_for_selector(f".mi-neuron-view[data-painted-neuron='{second}']")


def test_keys_picker_and_layer_selector(offline, tmp_path):
    acts = known_activations()
    tokens = [f"w{i}" for i in range(acts.shape[1])]
    view = mw.NeuronView(activations=acts, tokens=tokens, neuron=0)
    page = offline().open(export(tmp_path, view), READY)
    root = page.locator(".mi-neuron-view")
    root.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(".mi-neuron-view[data-painted-neuron='1']")
    page.keyboard.press("ArrowDown")
    page.wait_for_selector(".mi-neuron-view[data-painted-layer='1']")
    assert page.locator(".mi-layer-select").input_value() == "1"
    expected = expected_colors(acts[1, :, 1], dark=False)
    np.testing.assert_array_equal(css_rgb(page, ".mi-neuron-text .mi-ntok"), expected)
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_selector(".mi-neuron-view[data-token='0']")
    page.keyboard.press("Shift+ArrowRight")
    page.wait_for_selector(".mi-neuron-view[data-token='1']")
    assert page.locator(".mi-ntok.mi-selected").get_attribute("data-index") == "1"
    page.keyboard.press("Escape")
    page.wait_for_selector(".mi-neuron-view[data-token='']")
    page.keyboard.press("ArrowUp")
    page.wait_for_selector(".mi-neuron-view[data-painted-layer='0']")
    # type an index
    page.locator(".mi-neuron-input").fill("4")
    page.locator(".mi-neuron-input").press("Enter")
    page.wait_for_selector(".mi-neuron-view[data-painted-neuron='4']")
    # browse the neurons sorted by their maximum on the text (the list is open from the start)
    page.wait_for_selector(".mi-neuron-item")
    listed = page.eval_on_selector_all(".mi-neuron-item", "els => els.map(e => +e.dataset.neuron)")
    assert listed == np.argsort(-acts[0].max(0), kind="stable").tolist()
    page.locator(".mi-neuron-item").nth(2).click()
    page.wait_for_selector(f".mi-neuron-view[data-painted-neuron='{listed[2]}']")
    # click a token to select it, again to clear it
    page.locator(".mi-ntok[data-index='3']").click()
    page.wait_for_selector(".mi-neuron-view[data-token='3']")
    page.locator(".mi-ntok[data-index='3']").click()
    page.wait_for_selector(".mi-neuron-view[data-token='']")


def test_hostile_tokens_show_literally_with_whitespace_kept(offline, tmp_path):
    tokens = [*HOSTILE_TOKENS, "line", "\n", "next"]
    acts = np.random.default_rng(0).normal(size=(len(tokens), 4)).astype(np.float32)
    session = offline()
    page = session.open(export(tmp_path, mw.NeuronView(activations=acts, tokens=tokens)), READY)
    spans = page.eval_on_selector_all(
        ".mi-neuron-text .mi-ntok", "els => els.map(e => [e.textContent, e.childElementCount])"
    )
    texts = [text for text, _ in spans]
    assert texts[:4] == [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "&amp;",
        '"quotes"',
    ]
    assert texts[4] == "↵\n" and texts[5] == "\t" and texts[6] == "∅" and texts[-2] == "↵\n"
    assert all(children == 0 for _, children in spans)
    assert page.locator(".mi-neuron-view img, .mi-neuron-view script").count() == 0
    boxes = [page.locator(f".mi-ntok[data-index='{i}']").bounding_box() for i in (10, 12)]
    assert boxes[1]["y"] > boxes[0]["y"] + 5, "a newline token breaks the line"
    assert session.dialogs == [] and session.errors == []


def test_examples_embedded_for_chosen_neurons_and_marked_absent_for_others(
    offline, tmp_path, tiny_family_models, tiny_gpt2
):
    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    corpus = ["Mary went to the store.", "John gave a drink to Mary.", "the store, the drink"]
    top = mw.top_activations(model, tokenizer, corpus, layer=1, k=4, context=2, progress=False)
    trace = mw.trace(model, tokenizer, "When Mary and John went to the store")
    view = mw.NeuronView(trace, layer=1, neuron=3, examples=top, export_neurons=[10])
    session = offline()
    page = session.open(export(tmp_path, view), READY)
    page.wait_for_selector(".mi-examples[data-state='ready']")
    rows = page.locator(".mi-example")
    assert rows.count() == 4
    for j, example in enumerate(top.examples(3)):
        row = rows.nth(j)
        assert int(row.get_attribute("data-doc")) == example.doc
        assert int(row.get_attribute("data-position")) == example.position
        spans = row.locator(".mi-ntok")
        assert spans.all_text_contents() == [t.replace("\n", "↵") for t in example.tokens]
        marked = row.locator(".mi-example-max")
        assert marked.count() == 1
        assert int(marked.get_attribute("data-index")) == example.center
    title = page.locator(".mi-examples-title").text_content()
    assert "neuron 3" in title and f"{top.n_docs} documents" in title
    page.locator(".mi-neuron-view").focus()
    page.keyboard.press("ArrowRight")  # neuron 4: not embedded
    page.wait_for_selector(".mi-examples[data-state='missing']")
    assert "not embedded in this report" in page.locator(".mi-examples-status").text_content()
    page.locator(".mi-neuron-input").fill("10")
    page.locator(".mi-neuron-input").press("Enter")
    page.wait_for_selector(".mi-examples[data-state='ready']")
    assert page.locator(".mi-example").count() == 4
    page.locator(".mi-layer-select").select_option("0")
    page.wait_for_selector(".mi-examples[data-state='other-layer']")
    assert session.requests == [] and session.errors == []
    page.locator(".mi-layer-select").select_option("1")
    page.locator(".mi-neuron-view").screenshot(path=SCREENSHOTS / "neuron_export_light.png")


def test_save_png_downloads_the_picture(offline, tmp_path):
    acts = known_activations()
    tokens = [f"w{i}" for i in range(acts.shape[1])]
    view = mw.NeuronView(activations=acts, tokens=tokens, neuron=0)
    page = offline().open(export(tmp_path, view), READY)
    with page.expect_download() as download_info:
        page.locator(".mi-save-png").click()
    saved = tmp_path / "saved.png"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "neuron-L0-N0.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved.stat().st_size > 2000


def test_opens_on_the_most_active_neuron_with_the_list_shown(offline, tmp_path):
    acts = known_activations()
    tokens = [f"w{i}" for i in range(acts.shape[1])]
    best = int(np.argmax(acts[0].max(0)))
    assert best != 0
    page = offline().open(export(tmp_path, mw.NeuronView(activations=acts, tokens=tokens)), READY)
    page.wait_for_selector(f".mi-neuron-view[data-painted-neuron='{best}']")
    assert "the most active neuron on this text" in page.locator(".mi-subtitle").inner_text()
    assert page.locator(".mi-neuron-item").first.is_visible()
    assert page.locator(".mi-neuron-item").first.get_attribute("data-neuron") == str(best)
    page.locator(".mi-neuron-input").fill("0")
    page.locator(".mi-neuron-input").press("Enter")
    page.wait_for_selector(".mi-neuron-view[data-painted-neuron='0']")
    assert "most active" not in page.locator(".mi-subtitle").inner_text()


#: Left edge (x) and top (y) of each vertical run of pixels of exactly ``rgb`` in a PNG: the
#: boxes "save PNG" draws around example tokens.
_BOX_EDGES = """async ([b64, rgb]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const image = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const left = new Map();
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const i = 4 * (y * canvas.width + x);
      if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) {
        left.set(y, x);
        break;
      }
    }
  }
  return [...left.entries()];
}"""


def test_saved_png_aligns_example_rows_on_their_example_token(
    offline, tmp_path, tiny_family_models, tiny_gpt2
):
    import base64

    model, tokenizer = tiny_family_models["gpt2"], tiny_gpt2[1]
    corpus = ["Mary went to the store.", "John gave a drink to Mary.", "the store, the drink"]
    top = mw.top_activations(model, tokenizer, corpus, layer=1, k=4, context=3, progress=False)
    before = {"".join(e.tokens[: e.center]) for e in top.examples(3)}
    assert len(before) > 1, "rows differ before their example token (else any layout aligns)"
    trace = mw.trace(model, tokenizer, "When Mary and John went to the store")
    view = mw.NeuronView(trace, layer=1, neuron=3, examples=top)
    page = offline().open(export(tmp_path, view), READY)
    page.wait_for_selector(".mi-examples[data-state='ready']")
    with page.expect_download() as download_info:
        page.locator(".mi-save-png").click()
    saved = tmp_path / "aligned.png"
    download_info.value.save_as(saved)
    accent = [217, 72, 15]  # --mi-accent of the light theme: the example-token box
    edges = page.evaluate(_BOX_EDGES, [base64.b64encode(saved.read_bytes()).decode(), accent])
    ys = np.array([y for y, _ in edges])
    rows = len(top.examples(3))
    pitch = 2 * 20  # the figure's rows: 20 px, drawn at scale 2
    assert ys.max() - ys.min() + 1 >= (rows - 1) * pitch + 36, "a boxed token in every row"
    lefts = {x for _, x in edges}
    assert len(lefts) == 1, f"the boxes start at x = {sorted(lefts)}: rows are not aligned"
