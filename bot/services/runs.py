"""Running a member's snippet through the runner, one at a time per member, rate limited.

The runner is another process (or host) behind `RunnerBackend`; this service only decides
who may run now, records the run, and turns the result into a Card.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from datetime import timedelta

from bot.cards import Action, Card, Image, Style, Tone, UserError
from bot.domain.snippets import (
    code_preview,
    describe_ending,
    failure_of,
    missing_import_hint,
    show_output,
    snippet_from_argument,
)
from bot.domain.values import MemberRef
from bot.intents import EditRun
from bot.runner.client import RunnerBackend, RunnerError, RunResult
from bot.services.context import Context

log = logging.getLogger(__name__)

MAX_CODE_CHARS = 20_000


class RunService:
    def __init__(
        self,
        ctx: Context,
        backend: RunnerBackend | None,
        runs_per_minute: int = 6,
    ) -> None:
        self.ctx = ctx
        self.backend = backend
        self.runs_per_minute = runs_per_minute
        self._running: set[tuple[int, int]] = set()

    async def admit(self, who: MemberRef, text: str) -> str:
        """The snippet to run, or the UserError `run` would raise before starting it.

        Cheap (one count query), so an adapter can refuse privately before it acknowledges a
        slow run publicly.
        """
        code = snippet_from_argument(text)
        if not code.strip():
            raise UserError(
                "There is no code to run. Put Python after `/run`, or in a ```python block."
            )
        if len(code) > MAX_CODE_CHARS:
            raise UserError(
                f"That snippet is {len(code):,} characters; the limit is {MAX_CODE_CHARS:,}."
            )
        if self.backend is None:
            raise UserError("Running code is switched off on this server.")
        if (who.guild_id, who.user_id) in self._running:
            raise UserError("Your previous snippet is still running; wait for it to finish.")
        now = self.ctx.clock.now()
        recent = await self.ctx.store.runs_since(who, now - timedelta(minutes=1))
        if recent >= self.runs_per_minute:
            raise UserError(
                f"You can run {self.runs_per_minute} snippets a minute; try again in a moment."
            )
        return code

    @contextlib.contextmanager
    def slot(self, who: MemberRef) -> Iterator[None]:
        """The member's one run at a time (a snippet or an exercise check), held while it runs.
        Checked again here: another run may have started while `admit` awaited."""
        key = (who.guild_id, who.user_id)
        if key in self._running:
            raise UserError("Your previous snippet is still running; wait for it to finish.")
        self._running.add(key)
        try:
            yield
        finally:
            self._running.discard(key)

    async def run(self, who: MemberRef, text: str, stdin: str = "") -> Card:
        code = await self.admit(who, text)
        assert self.backend is not None  # admit refuses when running is off
        now = self.ctx.clock.now()
        with self.slot(who):
            try:
                result = await self.backend.run(code, stdin=stdin)
            except RunnerError as error:
                log.warning("runner failed for %s: %s", (who.guild_id, who.user_id), error)
                raise UserError(f"The code runner is unavailable right now ({error}).") from None
        run_id = await self.ctx.store.record_run(
            who,
            code,
            hashlib.sha256(code.encode()).hexdigest(),
            result.status,
            result.exit_code,
            result.wall_ms,
            now,
        )
        return result_card(result, code, EditRun(owner=who.user_id, run=run_id))

    async def code_of(self, who: MemberRef, run_id: int) -> str:
        """The code of one of the member's own runs, to edit and run again."""
        code = await self.ctx.store.run_code(who, run_id)
        if code is None:
            raise UserError("That snippet is not yours to edit; run your own with /run.")
        return code


TITLES = {
    "timeout": "⏱️ Stopped: it ran past the time limit",
    "memory": "🧠 Stopped: it used more memory than allowed",
    "output_limit": "📜 Stopped: it printed more than the output limit",
    "killed": "⛔ The run was killed",
}


def result_card(result: RunResult, code: str = "", again: EditRun | None = None) -> Card:
    """A code-help card: the code (its first lines), the output without line numbers (head
    and tail when long, the whole of it attached), plots, and how it ended in plain words."""
    output = result.stdout
    if result.stderr:
        output = f"{output.rstrip()}\n{result.stderr}" if output.strip() else result.stderr
    shown = show_output(output)
    parts = []
    if code.strip():
        preview, more = code_preview(code)
        parts.append(f"```python\n{preview}\n```")
        if more:
            parts.append(f"-# … and {more} more line{'s' * (more != 1)} of code")
    parts.append(f"```\n{shown.text}\n```")
    notes = []
    if shown.cut_lines:
        notes.append(
            f"{shown.cut_lines} line{'s' * (shown.cut_lines != 1)} in the middle are not shown:"
            " the whole output is attached"
        )
    if shown.cut_chars:
        notes.append("long lines were cut")
    if result.truncated:
        notes.append("the runner kept only the first part of the output")
    if notes:
        parts.append("-# " + "; ".join(notes))
    hint = missing_import_hint(result.stderr)
    if hint:
        parts.append(f"💡 {hint}")
    ok = result.status == "ok"
    failure = failure_of(result.stderr) if result.status == "error" else None
    if ok:
        title = f"✅ Ran in {result.wall_ms:.0f} ms"
    elif failure is not None:
        where = f" on line {failure.line}" if failure.line else ""
        title = f"❌ {failure.exception}{where}"
    elif result.status == "error":
        title = f"❌ {describe_ending(result.status, result.exit_code).capitalize()}"
    else:
        title = TITLES.get(
            result.status, f"⚠️ It {describe_ending(result.status, result.exit_code)}"
        )
    files: tuple[Image, ...] = ()
    if shown.cut_lines or shown.cut_chars:
        files = (Image("output.txt", output.encode(), "text/plain", "The run's whole output"),)
    plots = len(result.files)
    footer = " · ".join(
        part
        for part in (
            f"{result.wall_ms:.0f} ms",
            f"{plots} plot{'s' * (plots != 1)}" if plots else "",
            result.warning or "",
        )
        if part
    )
    return Card(
        title=title,
        body="\n".join(parts),
        footer=footer,
        images=tuple(
            Image(name=f.name, data=f.data, mime=f.mime, alt=f"Plot {n} drawn by the snippet")
            for n, f in enumerate(result.files, 1)
        ),
        files=files,
        actions=(Action(again, "✏️ Edit & run again", Style.SECONDARY),) if again else (),
        tone=Tone.SUCCESS if ok else Tone.WARNING if result.status != "error" else Tone.ERROR,
        layout=True,
    )
