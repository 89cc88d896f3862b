# The shop's image, for docker compose and the ECS tasks (deploy/app.yaml). Wheels are built
# apart, so the image carries MariaDB's client library but no compiler or headers.
FROM python:3.11-slim AS wheels
RUN apt-get update && apt-get install -y --no-install-recommends gcc pkg-config default-libmysqlclient-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels
WORKDIR /app
COPY . .
# Static files are served by whitenoise from the image. The app runs as uid 1000 (the EFS
# access point of the search index says so too) and owns only what it writes.
RUN SECRET_KEY=collectstatic-only DATA_DIR=/tmp/collectstatic python manage.py collectstatic --noinput \
    && rm -rf /tmp/collectstatic \
    && groupadd --gid 1000 shop && useradd --uid 1000 --gid 1000 --no-create-home shop \
    && mkdir -p /app/.data /search-index && chown -R shop:shop /app/staticfiles /app/.data /search-index
USER shop
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
