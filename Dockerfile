# Multi-stage: build the virtualenv from the lock file, then copy it into a slim runtime image
# that runs `prepaid serve` as a non-root user, with the data directory as a volume.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements.lock pyproject.toml README.md ./
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements.lock
COPY connector ./connector
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 prepaid \
    && mkdir -p /data \
    && chown prepaid:prepaid /data
COPY --from=build /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PREPAID_DATA_DIR=/data \
    PREPAID_HOST=0.0.0.0 \
    PREPAID_PORT=8000 \
    PREPAID_LOG_FORMAT=json
USER 10001
WORKDIR /home/prepaid
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["prepaid", "serve"]
