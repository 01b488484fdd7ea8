"""The Discord adapter: the only package that imports `discord`.

`bot.py` is the bot and the feature loader; every other module with a `setup(bot)` is one
feature, named like its service (`lessons`, `quizzes`, `reviews`, `challenges`, `runs`,
`progress`, `leaderboard`, `admin`). `render.py` turns Cards into messages; `interact.py` holds
what every feature does with an interaction.
"""
