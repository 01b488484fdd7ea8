# Studybot's bot process. Build: docker build -t studybot .   Run: see compose.yaml.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:${PATH}"

RUN pip install --no-cache-dir "uv>=0.13,<0.14"

# libseccomp: the snippet runner compiles its seccomp filter with it (and refuses to start
# without it). The slim image usually has it through apt; say so rather than rely on it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libseccomp2 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock changes, not on every edit.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project --no-cache

# The project itself, installed editable (uv's default) so bot.settings.ROOT is /app and the
# bot finds content/, quizzes/ and migrations/ beside it.
COPY bot/ bot/
COPY content/ content/
COPY quizzes/ quizzes/
COPY migrations/ migrations/
COPY alembic.ini ./
RUN uv sync --locked --no-dev --no-cache \
    && python -m compileall -q bot migrations

# Not root: the bot needs to write only its data volume (the SQLite default lives there).
RUN useradd --create-home --uid 10001 studybot \
    && mkdir -p /app/data \
    && chown studybot:studybot /app/data
USER studybot
VOLUME ["/app/data"]

CMD ["studybot", "run"]
