import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from ecitiz_kit import lifecycle
from ecitiz_kit.colours import contrast_ratio
from ecitiz_kit.domain import charts
from ecitiz_kit.domain.request_list import Day

SVG = "{http://www.w3.org/2000/svg}"


def month(counts_for_day):
    first = date(2026, 10, 31)
    return [Day(first + timedelta(days=n), counts_for_day(n)) for n in range(30)]


def test_one_stacked_bar_per_day_with_a_part_per_status():
    days = month(lambda n: {"submitted": n % 3, "accepted": n % 4, "closed": 1})
    svg = ET.fromstring(str(charts.daily_chart(days, "en")))
    groups = svg.findall(f"{SVG}g")
    assert len(groups) == 30
    for day, group in zip(days, groups, strict=True):
        parts = group.findall(f"{SVG}rect")
        # Zero counts draw nothing; the others stack in life cycle order.
        assert [p.get("data-status") for p in parts] == [
            s for s in lifecycle.STATUSES if day.counts.get(s)
        ]
        assert sum(int(p.get("data-count")) for p in parts) == day.total
        assert [p.get("fill") for p in parts] == [
            charts.COLOURS[p.get("data-status")] for p in parts
        ]
        # Each part's height is proportional to its count, stacked without gaps.
        bottom = charts.HEIGHT - charts.BOTTOM
        for part in parts:
            height = float(part.get("height"))
            assert float(part.get("y")) + height == pytest.approx(bottom, abs=0.15)
            bottom = float(part.get("y"))
        title = group.find(f"{SVG}title").text
        assert title.endswith(f": {day.total} requests" if day.total != 1 else "")


def test_bars_share_one_scale_topped_at_a_round_number():
    days = month(lambda n: {"submitted": 37} if n == 12 else {"submitted": n % 2})
    svg = ET.fromstring(str(charts.daily_chart(days, "en")))
    tallest = max(float(r.get("height")) for r in svg.iter(f"{SVG}rect"))
    plot = charts.HEIGHT - charts.TOP - charts.BOTTOM
    assert tallest == pytest.approx(plot * 37 / 50, abs=0.1)  # axis tops at 50
    labels = [t.text for t in svg.findall(f"{SVG}text")]
    assert {"0", "25", "50"} <= set(labels)


def test_chart_is_an_image_with_a_title_and_a_summary():
    days = month(lambda n: {"accepted": 5} if n == 29 else {"submitted": 1})
    markup = str(charts.daily_chart(days, "en"))
    svg = ET.fromstring(markup)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == f"{charts.TITLE_ID} {charts.DESC_ID}"
    assert svg.find(f"{SVG}title").text == "Requests per day over the last 30 days"
    desc = svg.find(f"{SVG}desc").text
    assert "34 requests from October 31, 2026 to November 29, 2026" in desc
    assert "busiest day was November 29, 2026, with 5 requests" in desc
    assert "<script" not in markup and " on" not in markup  # no JavaScript


def test_chart_in_french_has_french_dates():
    days = month(lambda n: {"submitted": 1})
    svg = ET.fromstring(str(charts.daily_chart(days, "fr")))
    assert "31 octobre 2026" in svg.find(f"{SVG}desc").text
    assert "29 nov." in [t.text for t in svg.findall(f"{SVG}text")]


def test_an_empty_month_draws_no_bar_and_says_so():
    days = month(lambda n: {})
    svg = ET.fromstring(str(charts.daily_chart(days, "en")))
    assert list(svg.iter(f"{SVG}rect")) == []
    assert svg.find(f"{SVG}desc").text.startswith("No request from")


def test_dates_label_today_and_every_seventh_day_before():
    days = month(lambda n: {})
    svg = ET.fromstring(str(charts.daily_chart(days, "en")))
    labels = [t.text for t in svg.findall(f"{SVG}text") if not t.text.isdigit()]
    assert labels == ["Nov 1", "Nov 8", "Nov 15", "Nov 22", "Nov 29"]


@pytest.mark.parametrize("status", lifecycle.STATUSES)
def test_every_status_colour_stands_out_from_the_background(status):
    assert contrast_ratio(charts.COLOURS[status]) >= 3.0
    assert len(set(charts.COLOURS.values())) == len(lifecycle.STATUSES)


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(
    "value, top", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (200, 200), (201, 500)]
)
def test_nice_ceiling(value, top):
    assert charts.nice_ceiling(value) == top


def test_numbers_only_in_attributes():
    days = month(lambda n: {"rejected": n})
    markup = str(charts.daily_chart(days, "fr"))
    for value in re.findall(r' (?:x|y|width|height)="([^"]*)"', markup):
        assert re.fullmatch(r"[0-9.]+%?", value), value
