# syntax=docker/dockerfile:1
# stoplist in a container: SQLite data in the /data volume by default, or
# PostgreSQL with STOPLIST_DATABASE_URL (see compose.yaml and docs/deploy.md).
#
#   docker build -t stoplist .
#   docker run -p 8080:8080 -v stoplist-data:/data stoplist
#
# BASE_IMAGE is any image with Python 3.11+ and its venv module, as python3.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python3 -m venv /opt/stoplist
COPY requirements/constraints.txt requirements/constraints.txt
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN /opt/stoplist/bin/pip install --quiet -c requirements/constraints.txt . \
    && /opt/stoplist/bin/stoplist --version

FROM ${BASE_IMAGE}
ENV PATH=/opt/stoplist/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    STOPLIST_DATABASE_URL=/data/stoplist.db
RUN useradd --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin stoplist \
    && mkdir -p /data \
    && chown stoplist:stoplist /data \
    && chmod 0750 /data
COPY --from=build /opt/stoplist /opt/stoplist
USER stoplist
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4)"]
CMD ["stoplist", "serve", "--host", "0.0.0.0", "--port", "8080"]
