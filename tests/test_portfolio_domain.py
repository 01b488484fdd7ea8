"""The portfolio board's pure rules: fields, links, mentions, scores and how reviews add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.portfolio import (
    COMMENT_MAX,
    CRITERIA,
    LINK_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Board,
    PortfolioError,
    Project,
    Scores,
    Summary,
    check_link,
    check_project,
    check_review,
    clean_text,
    neutralise_mentions,
    showcase_order,
    summarise,
)
from bot.domain.schedules import Kind, delivery_key

GOOD = {
    "title": "Bus delays in Leeds",
    "problem": "Commuters cannot tell which buses will be late.",
    "data": "Two years of GTFS-realtime feeds, cleaned of duplicate pings.",
    "link": "https://github.com/ada/bus-delays",
    "evaluation": "MAE 2.1 min vs 3.4 for the timetable; fails on match days.",
}


def test_a_good_project_is_kept_as_written() -> None:
    draft = check_project(GOOD)
    assert draft.title == GOOD["title"] and draft.link == GOOD["link"]
    assert draft.evaluation.endswith("fails on match days.")


@pytest.mark.parametrize(
    ("field", "value", "sentence"),
    [
        ("title", "   ", "The title is empty."),
        ("problem", "", "The problem is empty."),
        ("data", "\n\t ", "The data is empty."),
        ("evaluation", "x" * (TEXT_MAX + 1), "The evaluation is longer than 1,000 characters."),
        ("title", "t" * (TITLE_MAX + 1), "The title is longer than 100 characters."),
        ("link", "", "The link is empty."),
        ("link", "h" * (LINK_MAX + 1), "The link is longer than 300 characters."),
    ],
)
def test_empty_or_over_long_fields_are_one_sentence(field: str, value: str, sentence: str) -> None:
    with pytest.raises(PortfolioError) as refused:
        check_project({**GOOD, field: value})
    assert str(refused.value) == sentence


@pytest.mark.parametrize(
    "link",
    [
        "ftp://example.com/code",
        "javascript:alert(1)",
        "github.com/ada/bus-delays",
        "file:///etc/passwd",
        "https://",
        "https://github.com@evil.example/ada",
        "https://exa mple.com",
        "https://example.com/<script>",
        "http://[::1",
    ],
)
def test_only_http_and_https_links(link: str) -> None:
    with pytest.raises(
        PortfolioError, match=r"^The link must be an http:// or https:// address\.$"
    ):
        check_link(link)


def test_http_links_pass_as_typed() -> None:
    assert check_link("  HTTP://example.com/a_b?x=1#y  ") == "HTTP://example.com/a_b?x=1#y"
    assert check_link("https://gitlab.com/ada/x") == "https://gitlab.com/ada/x"


def test_mentions_are_neutralised_and_never_longer() -> None:
    raw = "ping @everyone and @Here, <@123>, <@!45>, <@&67>, <#89>, </quiz:1234>"
    cleaned = neutralise_mentions(raw)
    assert cleaned == ("ping ＠everyone and ＠Here, @member, @member, @role, #channel, /quiz")
    assert "@everyone" not in cleaned and "<@" not in cleaned
    assert len(cleaned) <= len(raw)


def test_cleaning_folds_titles_and_drops_control_characters() -> None:
    assert clean_text("  Bus\n delays \x00in\u202e Leeds ", single_line=True) == (
        "Bus delays in Leeds"
    )
    assert clean_text("line one  \r\nline two\x07\n") == "line one\nline two"
    draft = check_project({**GOOD, "problem": "Tell @everyone <@&1> about it"})
    assert draft.problem == "Tell ＠everyone @role about it"


def test_reviews_take_four_scores_from_one_to_four_and_a_comment() -> None:
    marks = {"problem": "3", "end_to_end": 4, "evaluation": "2", "code": " 1 "}
    scores, comment = check_review(marks, "  Clear problem; add a baseline.  ")
    assert scores == Scores(3, 4, 2, 1) and comment == "Clear problem; add a baseline."
    for bad in ("0", "5", "three", "", "2.5"):
        with pytest.raises(PortfolioError, match="from 1 to 4"):
            check_review({**marks, "code": bad}, "ok")
    with pytest.raises(PortfolioError, match=r"^The comment is empty\.$"):
        check_review(marks, "   ")
    with pytest.raises(PortfolioError, match="longer than 1,000"):
        check_review(marks, "x" * (COMMENT_MAX + 1))


def test_summaries_are_means_per_criterion() -> None:
    summary = summarise([Scores(4, 3, 2, 1), Scores(2, 3, 4, 3)])
    assert summary == Summary(2, (3.0, 3.0, 3.0, 2.0))
    assert summary.overall == pytest.approx(2.75)
    assert summary.text() == (
        "2 reviews · real problem 3.0 · end to end 3.0 · honest evaluation 3.0 · clean code 2.0"
    )
    assert summarise([]).text() == "no reviews yet"
    assert [c.key for c in CRITERIA] == ["problem", "end_to_end", "evaluation", "code"]
    assert all(len(level) <= 100 for c in CRITERIA for level in c.levels)  # radio option limit


def _board(pid: int, means: tuple[float, ...], reviews: int, age_days: int) -> Board:
    created = datetime(2026, 11, 20, tzinfo=UTC) - timedelta(days=age_days)
    project = Project(pid, 1, pid, "", f"p{pid}", "", "", "https://x.io", "", created, created)
    return Board(project, Summary(reviews, means))


def test_the_showcase_ranks_by_mean_then_reviews_then_age() -> None:
    boards = [
        _board(1, (3.0, 3.0, 3.0, 3.0), 1, 1),
        _board(2, (4.0, 4.0, 2.0, 2.0), 3, 1),  # same mean, more reviews
        _board(3, (4.0, 4.0, 4.0, 3.0), 1, 1),
        _board(4, (), 0, 1),  # unreviewed: never featured
        _board(5, (3.0, 3.0, 3.0, 3.0), 1, 5),  # same as 1, older
    ]
    assert [b.project.id for b in showcase_order(boards)] == [3, 2, 5, 1]


def test_a_showcase_is_keyed_by_its_iso_week() -> None:
    sunday = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    assert delivery_key(Kind.SHOWCASE, sunday, ZoneInfo("UTC")) == "showcase:2026-W48"
    monday = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # already Monday in Berlin: week 49
    assert delivery_key(Kind.SHOWCASE, monday, ZoneInfo("Europe/Berlin")) == "showcase:2026-W49"
