"""`python -m bot.runner`: the runner as its own process (start it with `env -i`)."""

from bot.runner.cli import main

main()
