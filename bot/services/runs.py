"""Running a member's snippet through the runner, one at a time per member, rate limited.

The runner is another process (or host) behind `RunnerBackend`; this service only decides
who may run now, records the run, and turns the result into a Card.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from bot.cards import Card, CardField, Image, Tone, UserError
from bot.domain.snippets import (
    describe_ending,
    missing_import_hint,
    show_output,
    snippet_from_argument,
)
from bot.domain.values import MemberRef
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

    async def run(self, who: MemberRef, text: str, stdin: str = "") -> Card:
        code = await self.admit(who, text)
        assert self.backend is not None  # admit refuses when running is off
        key = (who.guild_id, who.user_id)
        if key in self._running:  # checked again: another run may have started during admit
            raise UserError("Your previous snippet is still running; wait for it to finish.")
        now = self.ctx.clock.now()
        self._running.add(key)
        try:
            result = await self.backend.run(code, stdin=stdin)
        except RunnerError as error:
            log.warning("runner failed for %s: %s", key, error)
            raise UserError(f"The code runner is unavailable right now ({error}).") from None
        finally:
            self._running.discard(key)
        await self.ctx.store.record_run(
            who,
            hashlib.sha256(code.encode()).hexdigest(),
            result.status,
            result.exit_code,
            result.wall_ms,
            now,
        )
        return result_card(result)


def result_card(result: RunResult) -> Card:
    """Output as numbered lines in a code block, plots as images, the ending in words."""
    output = result.stdout
    if result.stderr:
        output = f"{output.rstrip()}\n{result.stderr}" if output.strip() else result.stderr
    shown = show_output(output)
    notes = []
    if shown.cut_lines:
        notes.append(f"the middle {shown.cut_lines} line{'s' * (shown.cut_lines != 1)} were cut")
    if shown.cut_chars:
        notes.append("long lines were cut")
    if result.truncated:
        notes.append("the runner kept only the first part of the output")
    body = f"```\n{shown.text}\n```"
    if notes:
        body += "\n*" + "; ".join(notes) + ".*"
    hint = missing_import_hint(result.stderr)
    if hint:
        body += f"\n💡 {hint}"
    ok = result.status == "ok"
    fields = [CardField("Time", f"{result.wall_ms:.0f} ms", inline=True)]
    if result.files:
        fields.append(CardField("Plots", str(len(result.files)), inline=True))
    ending = describe_ending(result.status, result.exit_code)
    return Card(
        title=f"{'✅' if ok else '⚠️'} Your snippet {ending}",
        body=body,
        fields=tuple(fields),
        footer=result.warning or "",
        images=tuple(Image(name=f.name, data=f.data, mime=f.mime) for f in result.files),
        tone=Tone.SUCCESS if ok else Tone.WARNING,
    )
