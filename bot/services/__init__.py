"""Use cases, one module per feature; each takes plain ids and returns Cards."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.context import Context
from bot.services.leaderboard import LeaderboardService
from bot.services.lessons import LessonService
from bot.services.progress import ProgressService
from bot.services.quizzes import QuizService


@dataclass
class Services:
    ctx: Context
    lessons: LessonService
    quizzes: QuizService
    progress: ProgressService
    leaderboard: LeaderboardService

    @classmethod
    def build(cls, ctx: Context) -> Services:
        return cls(
            ctx=ctx,
            lessons=LessonService(ctx),
            quizzes=QuizService(ctx),
            progress=ProgressService(ctx),
            leaderboard=LeaderboardService(ctx),
        )
