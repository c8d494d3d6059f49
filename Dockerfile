# One image for every PayCrypt process; docker-compose.yml picks the command.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PAYCRYPT_VAR_DIR=/var/lib/paycrypt
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/paycrypt paycrypt
COPY pyproject.toml README.md alembic.ini ./
COPY core core
COPY cli cli
COPY jobs jobs
COPY checks checks
COPY dashboard dashboard
COPY api api
COPY sandbox sandbox
COPY migrations migrations
RUN pip install .
USER paycrypt
ENTRYPOINT ["paycrypt"]
CMD ["--help"]
