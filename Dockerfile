# syntax=docker/dockerfile:1
# 驿站通 (yizhan): one image for every process (`yizhan serve`, `yizhan outbox run`, the CLI).
#
# Stage 1 compiles the search kernel (Cython, needs gcc) and installs the dependencies into a
# virtualenv; stage 2 is the slim runtime with neither compiler nor build cache. The source
# tree stays at /app (an editable install): the Alembic migrations are read from /app/migrations.
#
#   docker build -t yizhan .
#   docker run --env-file .env -p 8080:8080 yizhan            # = yizhan serve
#   docker run --env-file .env yizhan stations import /data/stations.csv

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/yizhan
WORKDIR /app
# Dependencies first (a layer that survives code changes), then the code and the kernel.
COPY pyproject.toml setup.py README.md ./
COPY locations/_kernel.pyx locations/_kernel.pyi locations/
RUN /opt/yizhan/bin/pip install "Cython>=3.0,<4" "setuptools>=68" wheel \
    && /opt/yizhan/bin/python -c "import subprocess, sys, tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
subprocess.run([sys.executable, '-m', 'pip', 'install', *deps], check=True)"
COPY . .
RUN /opt/yizhan/bin/pip install --no-build-isolation --no-deps -e . \
    && /opt/yizhan/bin/python -c "import locations._kernel" \
    && find /app -name '*.c' -path '*/locations/*' -delete \
    && rm -rf /app/build /app/tests /app/bench

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="yizhan" \
      org.opencontainers.image.description="驿站通: union rest stations, 一键入会, legal aid"
RUN groupadd --system --gid 10001 yizhan \
    && useradd --system --uid 10001 --gid yizhan --home-dir /var/lib/yizhan --create-home yizhan
COPY --from=build /opt/yizhan /opt/yizhan
COPY --from=build /app /app
ENV PATH=/opt/yizhan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/yizhan
EXPOSE 8080
# /healthz is 200 only while the database and the store both answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8080')}/healthz\", timeout=4)"]
# SIGTERM lets deliveries in flight finish (the outbox stops first), then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["yizhan"]
CMD ["serve"]
