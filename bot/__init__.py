"""Studybot: a Discord study assistant for learning Python for machine learning."""
