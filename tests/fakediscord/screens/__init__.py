"""Screenshots of the bot's screens: member stories on the fake, rendered as Discord would.

`render.py` turns recorded message payloads into an HTML page that looks like a Discord channel,
`shoot.py` takes it to PNG with headless Chromium, `drive.py` runs the member stories against
the real bot, and `python -m tests.fakediscord.screens --out DIR` does all three.
"""
