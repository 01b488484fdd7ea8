"""Makes the fake's fixtures available to the fake's own tests."""

from tests.fakediscord.fixtures import fake_discord, fake_discord_env, study_server

__all__ = ["fake_discord", "fake_discord_env", "study_server"]
