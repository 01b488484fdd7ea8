"""Use cases, one module per feature; each takes plain ids and returns Cards."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runner.client import RunnerBackend
from bot.services.admin import AdminService, ReloadContent
from bot.services.challenges import ChallengeService
from bot.services.context import Context
from bot.services.leaderboard import LeaderboardService
from bot.services.lessons import LessonService
from bot.services.progress import ProgressService
from bot.services.quizzes import QuizService
from bot.services.reviews import ReviewService
from bot.services.runs import RunService


@dataclass
class Services:
    ctx: Context
    lessons: LessonService
    quizzes: QuizService
    reviews: ReviewService
    challenges: ChallengeService
    progress: ProgressService
    leaderboard: LeaderboardService
    runs: RunService
    admin: AdminService

    @classmethod
    def build(
        cls,
        ctx: Context,
        runner: RunnerBackend | None = None,
        reload_content: ReloadContent | None = None,
    ) -> Services:
        quizzes = QuizService(ctx)
        return cls(
            ctx=ctx,
            lessons=LessonService(ctx),
            quizzes=quizzes,
            reviews=ReviewService(ctx, quizzes),
            challenges=ChallengeService(ctx, quizzes),
            progress=ProgressService(ctx),
            leaderboard=LeaderboardService(ctx),
            runs=RunService(ctx, runner),
            admin=AdminService(ctx, reload_content),
        )
