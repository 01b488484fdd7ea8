"""`studybot report`: one server's statistics as one self-contained HTML page.

Nothing is fetched when the page opens: the style is inline, the charts are PNG data URIs with
alt text, and there is no script. Everything shown is escaped — member answers are untrusted
text, and authored prompts are shown as text too, not as HTML.
"""

from __future__ import annotations

import base64
import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape

from bot.analysis.items import GOOD, TOO_EASY, TOO_HARD, WEAK, ItemStats
from bot.cards import Image
from bot.curriculum.model import Curriculum
from bot.domain.quiz import Kind, Question
from bot.services.charts import activity_chart, funnel_chart, scale_chart
from bot.services.stats import NO_DATA, GuildStats, Unit
from bot.storage.analytics import WrongAnswer

CSS = """
:root { color-scheme: light dark; --line: #8884; --muted: #777; --bad: #d83c3e;
  --warn: #c27c0e; --info: #5865f2; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem; }
h1 { margin-bottom: 0; } h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem;
  margin-top: 2.2rem; }
.meta, .note { color: var(--muted); }
.numbers { display: flex; flex-wrap: wrap; gap: .8rem; padding: 0; list-style: none; }
.numbers li { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .9rem; }
.numbers b { display: block; font-size: 1.5rem; }
img { max-width: 100%; height: auto; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { position: sticky; top: 0; background: Canvas; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #8881; }
.flag { display: inline-block; border-radius: 4px; padding: 0 .35rem; margin: 0 .2rem .1rem 0;
  font-size: 12px; color: #fff; background: var(--info); white-space: nowrap; }
.flag.negative-discrimination { background: var(--bad); }
.flag.weak-discrimination, .flag.too-hard, .flag.too-easy { background: var(--warn); }
.flag.too-few-attempts { background: #888; }
pre, code { font: 13px/1.4 ui-monospace, monospace; }
summary { cursor: pointer; color: var(--muted); margin: .5rem 0; }
pre { white-space: pre-wrap; background: #8882; padding: .6rem; border-radius: 6px; }
article { border: 1px solid var(--line); border-radius: 8px; padding: .2rem 1rem .8rem;
  margin: 1rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
"""


def render_report(
    stats: GuildStats,
    wrong: Mapping[str, Sequence[WrongAnswer]],
    curriculum: Curriculum,
    generated_at: datetime,
) -> str:
    """The page. CPU-bound (charts): call it off the event loop."""
    title = f"Studybot report — server {stats.guild_id}"
    head = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Made {generated_at:%Y-%m-%d %H:%M} UTC · days counted in '
        f"{escape(stats.zone)}</p>",
    ]
    if stats.empty:
        body = [f'<section id="no-data"><p>{escape(NO_DATA.replace("`", ""))}</p></section>']
    else:
        body = [
            *_numbers(stats),
            *_activity(stats),
            *_funnel(stats),
            *_items(stats),
            *_flagged(stats, wrong, curriculum),
            *_members(stats),
        ]
    return "\n".join([*head, *body, "</main></body></html>", ""])


def _img(image: Image) -> str:
    data = base64.b64encode(image.data).decode("ascii")
    return f'<img src="data:{image.mime};base64,{data}" alt="{escape(image.alt)}">'


def _numbers(stats: GuildStats) -> list[str]:
    analysis = stats.analysis
    shown = [
        (stats.members, "members have studied here"),
        (stats.active_members, f"active in the last {len(stats.activity)} days"),
        (stats.lessons_finished, "lessons marked done"),
        (analysis.responses, "first answers analysed"),
        (len(analysis.items), "questions answered"),
        (len(analysis.flagged()), "questions flagged"),
    ]
    cells = "".join(f"<li><b>{value:,}</b>{escape(label)}</li>" for value, label in shown)
    return [f'<section id="summary"><ul class="numbers">{cells}</ul></section>']


def _activity(stats: GuildStats) -> list[str]:
    out = ['<section id="activity"><h2>Activity</h2>']
    if stats.studied_recently:
        out.append(_img(activity_chart(stats.activity)))
    else:
        out.append(f"<p>Nobody has studied in the last {len(stats.activity)} days.</p>")
    out.append("</section>")
    return out


def _funnel(stats: GuildStats) -> list[str]:
    out = [
        '<section id="funnel"><h2>Lesson funnel</h2>',
        '<p class="note">How many members marked each lesson done, track by track.</p>',
    ]
    if not stats.lessons_finished:
        out.append("<p>No lessons marked done yet.</p></section>")
        return out
    out.append(_img(funnel_chart([(t.title, t.lessons) for t in stats.funnel])))
    out.append(  # the chart's numbers again, folded away: the item table matters more here
        "<details><summary>The same as a table</summary>"
        '<table><thead><tr><th>Track</th><th>Lesson</th><th class="n">Finished</th></tr>'
        "</thead><tbody>"
    )
    for track in stats.funnel:
        for n, (lesson, count) in enumerate(track.lessons, 1):
            out.append(
                f"<tr><td>{escape(track.title)}</td><td>{n}. {escape(lesson)}</td>"
                f'<td class="n">{count:,}</td></tr>'
            )
    out.append("</tbody></table></details></section>")
    return out


def _flags(item: ItemStats) -> str:
    return "".join(
        f'<span class="flag {flag.value.replace(" ", "-")}">{escape(flag.value)}</span>'
        for flag in item.flags
    )


def _number(value: float | None, pattern: str) -> str:
    return "—" if value is None else format(value, pattern)


def _items(stats: GuildStats) -> list[str]:
    analysis = stats.analysis
    out = [
        '<section id="items"><h2>Items</h2>',
        f'<p class="note">Each question by members\' first answers; a generated question (⚙) '
        f"pools every seed. <b>Right</b>: the share answered right (flagged below "
        f"{TOO_HARD:.0%} or above {TOO_EASY:.0%}). <b>Discrimination</b>: the point-biserial "
        f"correlation with the member's share right on the other questions (≥ {GOOD} good, "
        f"below {WEAK} weak, negative: check the key). <b>Difficulty</b>: Rasch, in logits "
        f"(0 is the average question; a member whose ability equals it gets it right half "
        f"the time), ± its standard error. Questions with fewer than {analysis.min_attempts} "
        f"first answers are not judged. Worst first.</p>",
        '<table class="items"><thead><tr><th>Flags</th><th>Question</th><th>Topic</th>'
        '<th>Kind</th><th class="n">Answers</th><th class="n">Right</th>'
        '<th class="n">Discrimination</th><th class="n">Difficulty</th></tr></thead><tbody>',
    ]
    for item in analysis.items:
        unit = stats.units[item.unit]
        name = escape(unit.label)
        if item.judged:
            name = f'<a href="#{_anchor(unit.key)}">{name}</a>'
        difficulty = _number(item.difficulty, "+.2f")
        if item.difficulty_se is not None:
            difficulty += f" ± {item.difficulty_se:.2f}"
        out.append(
            f"<tr><td>{_flags(item)}</td><td>{name}</td><td>{escape(unit.topic)}</td>"
            f'<td>{escape(unit.kind)}</td><td class="n">{item.attempts:,}</td>'
            f'<td class="n">{_number(item.share_right, ".0%")}</td>'
            f'<td class="n">{_number(item.discrimination, "+.2f")}</td>'
            f'<td class="n">{difficulty}</td></tr>'
        )
    out.append("</tbody></table></section>")
    return out


def _anchor(key: str) -> str:
    return "q-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in key)


def _flagged(
    stats: GuildStats, wrong: Mapping[str, Sequence[WrongAnswer]], curriculum: Curriculum
) -> list[str]:
    flagged = stats.analysis.flagged()
    out = ['<section id="flagged"><h2>Flagged questions</h2>']
    if not flagged:
        out.append("<p>None: every question with enough answers looks fine.</p></section>")
        return out
    out.append(
        '<p class="note">Each with its text and answer key as members saw them, and the most '
        "common wrong answers (all attempts, as typed).</p>"
    )
    for item in flagged:
        unit = stats.units[item.unit]
        answers = sorted(
            (w for item_id in unit.item_ids for w in wrong.get(item_id, ())),
            key=lambda w: (-w.count, w.answer),
        )[:5]
        out.extend(_flagged_item(item, unit, answers, curriculum, stats.analysis.min_attempts))
    out.append("</section>")
    return out


def _flagged_item(
    item: ItemStats,
    unit: Unit,
    answers: Sequence[WrongAnswer],
    curriculum: Curriculum,
    min_attempts: int,
) -> list[str]:
    share = _number(item.share_right, ".0%")
    out = [
        f'<article id="{_anchor(unit.key)}"><h3>{escape(unit.label)}</h3>',
        f'<p class="meta">{escape(unit.topic)} · {escape(unit.kind)} · {item.attempts:,} '
        f"first answers, {share} right</p>",
        "<ul>"
        + "".join(f"<li>{escape(reason)}</li>" for reason in item.reasons(min_attempts))
        + "</ul>",
    ]
    if unit.kind == "retired":
        out.append("<p>No longer in the quiz bank.</p></article>")
        return out
    example_item = answers[0].item_id if answers else unit.item_ids[0]
    example_seed = answers[0].seed if answers and answers[0].seed is not None else 0
    question = _question(curriculum, example_item, example_seed)
    if unit.generator is not None:
        out.append(
            f"<p>Generated by <code>{escape(unit.generator)}</code> for "
            f"{escape(', '.join(unit.item_ids))}; an example (seed {example_seed}):</p>"
        )
    if question is not None:
        out.extend(_question_html(question))
    else:
        out.append("<p>The question could not be built again.</p>")
    out.extend(_wrong_html(answers, unit, curriculum))
    out.append("</article>")
    return out


def _question(curriculum: Curriculum, item_id: str, seed: int) -> Question | None:
    try:
        return curriculum.question(item_id, seed)
    except Exception:  # a generator broken since: say so, do not lose the report
        return None


def _question_html(question: Question) -> list[str]:
    out = [f"<pre>{escape(question.prompt.strip())}</pre>"]
    if question.code:
        out.append(f"<pre><code>{escape(question.code.rstrip())}</code></pre>")
    rows = [("Answer key", f"<code>{escape(question.expected_text)}</code>")]
    if question.kind is Kind.CHOICE:
        rows.append(("Choices", escape(" · ".join(question.choices))))
    if question.kind is Kind.TEXT and isinstance(question.answer, tuple):
        rows.append(("Accepted", escape(" · ".join(question.answer))))
    if question.kind is Kind.NUMERIC:
        tolerance = f"± {question.tolerance:g}"
        if question.rel_tolerance:
            tolerance += f" or {question.rel_tolerance:.2%}"
        rows.append(("Tolerance", escape(tolerance)))
    cells = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    out.append(f"<dl>{cells}</dl>")
    return out


def _wrong_html(answers: Sequence[WrongAnswer], unit: Unit, curriculum: Curriculum) -> list[str]:
    if not answers:
        return ["<p>No wrong answers recorded.</p>"]
    generated = unit.generator is not None
    head = '<th>Wrong answer</th><th class="n">Times</th>'
    if generated:
        head += "<th>Key of that question</th>"
    out = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for answer in answers:
        row = f'<td><code>{escape(answer.answer)}</code></td><td class="n">{answer.count:,}</td>'
        if generated:
            question = (
                _question(curriculum, answer.item_id, answer.seed)
                if answer.seed is not None
                else None
            )
            key = escape(question.expected_text) if question is not None else "—"
            row += f"<td><code>{key}</code> (seed {answer.seed})</td>"
        out.append(f"<tr>{row}</tr>")
    out.append("</tbody></table>")
    return out


def _members(stats: GuildStats) -> list[str]:
    analysis = stats.analysis
    fitted = [m.ability for m in analysis.members if m.ability is not None]
    notes: dict[str, int] = {}
    for member in analysis.members:
        if member.note:
            notes[member.note] = notes.get(member.note, 0) + 1
    out = ['<section id="members"><h2>Members and questions on one scale</h2>']
    if not fitted:
        out.append(
            f"<p>Too few answers for the Rasch model yet: it needs questions with "
            f"{analysis.min_attempts} or more first answers, answered both right and wrong "
            f"by members who got some right and some wrong.</p></section>"
        )
        return out
    difficulties = [i.difficulty for i in analysis.items if i.difficulty is not None]
    quartiles = statistics.quantiles(fitted, n=4) if len(fitted) > 1 else [fitted[0]] * 3
    said = (
        f"<p>The Rasch model was fitted on {analysis.fitted_members:,} members and "
        f"{analysis.fitted_items:,} questions. Members' abilities: median "
        f"{quartiles[1]:+.2f} logits (middle half {quartiles[0]:+.2f} to {quartiles[2]:+.2f})."
    )
    if notes:
        left_out = ", ".join(f"{count:,} {note}" for note, count in sorted(notes.items()))
        said += (
            f" Members without an ability: {escape(left_out)} (all right or all wrong has no "
            f"finite ability; too little data: no answers to the questions judged yet)."
        )
    out.append(said + "</p>")
    out.append(_img(scale_chart(fitted, difficulties)))
    out.append("</section>")
    return out
