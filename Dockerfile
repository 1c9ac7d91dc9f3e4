# ecert service image. Build: docker build -t ecert .   (see docker-compose.yml)
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/ecert/.venv UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir "uv==0.13.9" \
 && apt-get update && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/ecert
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY graphql_api graphql_api
COPY schema schema
COPY crypto crypto
COPY verify_page verify_page
COPY scripts scripts
RUN uv sync --frozen --no-dev \
 && .venv/bin/python scripts/fetch_graphiql_assets.py --dest graphql_api/static/vendor

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /opt/ecert ecert \
 && mkdir -p /var/lib/ecert && chown ecert /var/lib/ecert
COPY --from=build --chown=ecert /opt/ecert /opt/ecert
WORKDIR /opt/ecert
USER ecert
ENV PATH=/opt/ecert/.venv/bin:$PATH \
    ECERT_HOST=0.0.0.0 ECERT_PORT=8000 ECERT_DATA_DIR=/var/lib/ecert ECERT_ENV=production
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)" || exit 1
# Migrations and reference data are idempotent: apply them at every start, then serve.
CMD ["sh", "-c", "ecert migrate && exec ecert serve"]
