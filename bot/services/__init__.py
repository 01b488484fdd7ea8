"""Use cases, one module per feature; each takes plain ids and returns Cards."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runner.client import RunnerBackend
from bot.services.context import Context
from bot.services.leaderboard import LeaderboardService
from bot.services.lessons import LessonService
from bot.services.progress import ProgressService
from bot.services.quizzes import QuizService
from bot.services.runs import RunService


@dataclass
class Services:
    ctx: Context
    lessons: LessonService
    quizzes: QuizService
    progress: ProgressService
    leaderboard: LeaderboardService
    runs: RunService

    @classmethod
    def build(cls, ctx: Context, runner: RunnerBackend | None = None) -> Services:
        return cls(
            ctx=ctx,
            lessons=LessonService(ctx),
            quizzes=QuizService(ctx),
            progress=ProgressService(ctx),
            leaderboard=LeaderboardService(ctx),
            runs=RunService(ctx, runner),
        )
