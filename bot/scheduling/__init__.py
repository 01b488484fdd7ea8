"""Timed posts: APScheduler fires jobs built from the schedules in the database."""
