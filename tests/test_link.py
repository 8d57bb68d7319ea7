"""Links as data: one Link type, rules that name the traits (source → target) and the views
they join, the same data in Python, notebook snapshots and exported reports."""

from __future__ import annotations

import pytest
import traitlets

import mi_widgets as mw
from mi_widgets.export.snapshot import view_snapshot
from mi_widgets.widgets.link import (
    HeadLink,
    Link,
    LinkableView,
    LinkRule,
    Side,
    report_links,
)
from tests.test_head_scores_view import attention_view, make_scores


def _no_size_check(_source: object, _target: object) -> None:
    return None


#: A rule whose two sides name their traits differently.
PICK = LinkRule(
    name="PickLink",
    traits={"picked": "shown", "row": "row"},
    source=Side("picker", "a Picker"),
    target=Side("display", "a Display"),
    check_sizes=_no_size_check,
    describe=lambda view: f"picked={view.picked}",
)


class Picker(LinkableView):
    link_sources = (PICK,)
    picked = traitlets.Int(0)
    row = traitlets.Int(0)


class Display(LinkableView):
    link_targets = (PICK,)
    shown = traitlets.Int(0)
    row = traitlets.Int(0)


def test_a_rule_maps_source_traits_to_target_traits_both_ways():
    picker, display = Picker(picked=3, row=1), Display(shown=0, row=0)
    link = PICK(picker, display)
    assert isinstance(link, Link) and link.rule is PICK
    assert (display.shown, display.row) == (3, 1), "the target starts from the source"
    display.shown = 7
    assert (picker.picked, picker.row) == (7, 1)
    picker.row = 2
    assert (display.shown, display.row) == (7, 2)
    assert link.traits == {"picked": "shown", "row": "row"}
    assert repr(link) == "PickLink(linked: picked=7)"
    link.unlink()
    display.shown = 1
    assert picker.picked == 7 and repr(link) == "PickLink(unlinked: picked=7)"


def test_report_data_names_each_side_when_they_differ():
    picker, display, other = Picker(), Display(), Display()
    PICK(picker, display)
    assert report_links([picker, display, other], ["a", "b", "c"]) == [
        {"source": "a", "target": "b", "traits": [["picked", "shown"], "row"]}
    ]
    assert report_links([display, picker], ["b", "a"]) == [
        {"source": "a", "target": "b", "traits": [["picked", "shown"], "row"]}
    ], "each link once, from its source, whatever the order of the views"


def test_a_view_must_declare_its_side_of_a_rule():
    with pytest.raises(TypeError, match="picker must be a Picker, got Display"):
        PICK(Display(), Display())
    with pytest.raises(TypeError, match="display must be a Display, got Picker"):
        PICK(Picker(), Picker())
    with pytest.raises(TypeError, match="picker must be a Picker, got int"):
        PICK(3, Display())


def test_both_views_list_the_link_and_forget_it_when_unlinked():
    scores_view, attention = mw.HeadScoresView(make_scores()), attention_view()
    link = mw.link_heads(scores_view, attention)
    assert link.rule is HeadLink and isinstance(HeadLink, LinkRule)
    assert (link.source, link.target) == (scores_view, attention)
    assert scores_view.links == [link] and attention.links == [link]
    other = mw.HeadScoresView(make_scores(), attention=attention)
    assert attention.links == [link, other.links[0]]
    link.unlink()
    assert scores_view.links == [] and attention.links == [other.links[0]]


def test_a_snapshot_lists_the_links_its_view_is_the_source_of():
    scores_view, attention = mw.HeadScoresView(make_scores()), attention_view()
    mw.link_heads(scores_view, attention)
    assert view_snapshot(scores_view)["links"] == [
        {"target": attention.model_id, "traits": ["layer", "head"]}
    ]
    assert view_snapshot(attention)["links"] == [], "the target does not repeat it"
