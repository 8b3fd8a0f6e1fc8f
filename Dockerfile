# Multi-stage build; runs as a non-root user. Build: docker build -t ocpi-hub .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hub ./hub
COPY adapters ./adapters
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 hub
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER hub
WORKDIR /home/hub
ENV HUB_HOST=0.0.0.0 HUB_ENVIRONMENT=production HUB_LOG_FORMAT=json \
    HUB_DATABASE_URL=sqlite+aiosqlite:////home/hub/data/hub.db
RUN mkdir -p /home/hub/data
VOLUME ["/home/hub/data"]
EXPOSE 8080
CMD ["ocpi-hub", "serve"]
