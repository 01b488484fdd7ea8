"""Use cases, one module per feature; each takes plain ids and returns Cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.runner.client import RunnerBackend
from bot.services.admin import AdminService, ReloadContent
from bot.services.challenges import ChallengeService
from bot.services.context import Context
from bot.services.exercises import ExerciseService
from bot.services.leaderboard import LeaderboardService
from bot.services.lessons import LessonService
from bot.services.portfolio import PortfolioService
from bot.services.progress import ProgressService
from bot.services.quizzes import QuizService
from bot.services.reminders import ReminderService
from bot.services.reviews import ReviewService
from bot.services.runs import RunService
from bot.services.schedules import DEFAULT_LEASE, ScheduleService
from bot.services.stats import StatsService


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
    schedules: ScheduleService
    reminders: ReminderService
    exercises: ExerciseService
    portfolio: PortfolioService
    stats: StatsService

    @classmethod
    def build(
        cls,
        ctx: Context,
        runner: RunnerBackend | None = None,
        reload_content: ReloadContent | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> Services:
        quizzes = QuizService(ctx)
        lessons = LessonService(ctx)
        challenges = ChallengeService(ctx, quizzes)
        leaderboard = LeaderboardService(ctx)
        runs = RunService(ctx, runner)
        portfolio = PortfolioService(ctx)
        return cls(
            ctx=ctx,
            lessons=lessons,
            quizzes=quizzes,
            reviews=ReviewService(ctx, quizzes),
            challenges=challenges,
            progress=ProgressService(ctx),
            leaderboard=leaderboard,
            runs=runs,
            admin=AdminService(ctx, reload_content),
            schedules=ScheduleService(ctx, lessons, challenges, leaderboard, lease, portfolio),
            reminders=ReminderService(ctx),
            exercises=ExerciseService(ctx, runs),
            portfolio=portfolio,
            stats=StatsService(ctx),
        )
