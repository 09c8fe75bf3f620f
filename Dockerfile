# syntax=docker/dockerfile:1
# One image for every service of coalizione: the command chooses what runs
# (docker-compose.yml): `gunicorn <svc>.wsgi:app`, `python -m <svc> worker`,
# `python -m <svc> migrate`; without a command, the embedded one-process mode.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY libs/coalizione_common libs/coalizione_common
COPY services services
COPY embedded embedded
# Editable installs: each package is served from /src exactly as in a
# checkout, templates, static files and data included, whatever each
# pyproject's package-data lists. /src is copied unchanged below.
RUN pip install -r requirements.txt -e libs/coalizione_common -e services/registry -e services/enrolment \
        -e services/scheduling -e services/notify -e services/console -e embedded

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="coalizione" \
      org.opencontainers.image.description="coalizione services: registry, enrolment, scheduling, notify, console"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COALIZIONE_VAR_DIR=/var/lib/coalizione \
    HOST=0.0.0.0 \
    PORT=8000
RUN groupadd --system --gid 10001 coalizione \
    && useradd --system --uid 10001 --gid coalizione --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin coalizione \
    && mkdir -p /app /var/lib/coalizione \
    && chown coalizione:coalizione /var/lib/coalizione
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src /src
COPY deploy/container.py /app/container.py
WORKDIR /app
USER coalizione:coalizione
EXPOSE 8000
CMD ["python", "-m", "coalizione_embedded"]
