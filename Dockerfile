# sigsec-bot: the Slack bot with its knowledge base baked in.
#   docker build -t sigsec-bot .
#   docker run --env-file bot.env -p 3000:3000 sigsec-bot        # HTTP mode (SLACK_SIGNING_SECRET)
#   docker run --env-file bot.env sigsec-bot                     # Socket Mode (SLACK_APP_TOKEN)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user that owns nothing but its data directory.
RUN groupadd --system --gid 10001 sigsec \
 && useradd --system --uid 10001 --gid sigsec --home-dir /app --shell /usr/sbin/nologin sigsec

WORKDIR /app

# Dependencies first (cached while only knowledge or code changes), then the project itself.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN pip install . && rm -rf /root/.cache

# Knowledge baked into the image: a knowledge change is a new image, reviewed like code.
COPY knowledge ./knowledge
COPY routing.yaml ./
COPY manifest.yaml ./

RUN mkdir -p /app/data && chown sigsec:sigsec /app/data
USER sigsec

ENV KNOWLEDGE_DIR=/app/knowledge \
    ROUTING_FILE=/app/routing.yaml \
    DATABASE_URL=sqlite+aiosqlite:////app/data/sigsec-bot.db \
    PORT=3000

EXPOSE 3000
# The health endpoint is served on PORT in both HTTP and Socket Mode.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT','3000'), timeout=2).status == 200 else 1)"

CMD ["sigsec-bot", "run"]
