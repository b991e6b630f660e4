# policy-watcher daemon image. Build: docker build -t policy-watcher .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TZ=Asia/Shanghai \
    WATCHER_STORE=/data/watcher.db \
    WATCHER_CONFIG=/app/sources.yaml

WORKDIR /app
COPY pyproject.toml README.md sources.yaml ./
COPY watcher ./watcher
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /data --create-home watcher \
    && mkdir -p /data && chown watcher /data

USER watcher
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 CMD ["watcher", "health"]
CMD ["watcher", "run", "--log-json"]
