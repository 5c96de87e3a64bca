# sigsec-bot: the Slack bot with its knowledge base baked in.
#   docker build -t sigsec-bot .
#   docker run --env-file bot.env -p 3000:3000 sigsec-bot        # HTTP mode (SLACK_SIGNING_SECRET)
#   docker run --env-file bot.env sigsec-bot                     # Socket Mode (SLACK_APP_TOKEN)
# Kubernetes manifests and a two-replica compose file live in deploy/ (docs/deploy.md).
# Lint: hadolint --failure-threshold warning Dockerfile (tests/test_container.py runs it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# An unprivileged user that owns nothing but its data directory. Numeric uid/gid 10001, used
# numerically below, so `runAsNonRoot: true` can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 sigsec \
 && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin sigsec

WORKDIR /app

# Dependencies first (cached while only knowledge or code changes), then the project itself.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN pip install . && rm -rf /root/.cache

# Knowledge baked into the image: a knowledge change is a new image, reviewed like code.
# (On Kubernetes the knowledge comes from ConfigMaps instead, so `/sigsec reload` sees edits.)
COPY knowledge ./knowledge
COPY routing.yaml ./
COPY manifest.yaml ./

RUN mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001

# HOST: listen on every interface inside the container (the bot's own default is 127.0.0.1).
ENV HOST=0.0.0.0 \
    PORT=3000 \
    KNOWLEDGE_DIR=/app/knowledge \
    ROUTING_FILE=/app/routing.yaml \
    DATABASE_URL=sqlite+aiosqlite:////app/data/sigsec-bot.db

EXPOSE 3000
# Liveness: /healthz is served on PORT in both HTTP and Socket Mode. Exec form (no shell in the
# way); an HTTP error or a refused connection raises, and Python exits 1 (unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=3)"]

CMD ["sigsec-bot", "run"]
