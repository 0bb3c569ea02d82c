# The application image: web (gunicorn), Celery worker and Celery beat all run from it; see
# docker-compose.yml and docs/operations.md.
FROM python:3.11-slim

# GUNICORN_CMD_ARGS: sized for 2 cores (3 processes x 4 threads); replace the whole value to retune.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    STATIC_ROOT=/app/var/static \
    PRIVATE_MEDIA_ROOT=/data/private \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --worker-class gthread --workers 3 --threads 4 --timeout 60 --graceful-timeout 30 --keep-alive 5 --max-requests 10000 --max-requests-jitter 1000 --worker-tmp-dir /dev/shm --no-control-socket"

# TIME_ZONE/CELERY_TIMEZONE are Asia/Shanghai: zoneinfo needs the zone database, which recent
# slim images no longer ship.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies in their own layer, rebuilt only when pyproject.toml changes: with no source yet,
# `pip install .` installs the dependencies and an empty examreg, replaced below.
COPY pyproject.toml ./
RUN pip install . && rm -rf build ./*.egg-info

# The application, directory by directory, so that .env, .venv, var/ and .git never reach the
# image even without a .dockerignore. A new app must be added here too (a test checks it).
COPY manage.py ./
COPY config ./config
COPY core ./core
COPY accounts ./accounts
COPY exams ./exams
COPY photos ./photos
COPY registration ./registration
COPY payments ./payments
COPY certification ./certification
COPY training ./training
COPY demo ./demo
COPY templates ./templates
COPY static ./static
COPY locale ./locale
# The import check fails the build rather than leave a site whose broker check answers 503:
# Celery's Redis transport needs the celery[redis] extra (kombu imports `packaging`).
RUN pip install --no-deps --force-reinstall . && rm -rf build ./*.egg-info \
    && python -c "import kombu.transport.redis"

# The source tree in /app, not the copy pip put in site-packages, is what runs (for gunicorn and
# celery as for manage.py): the settings find templates/, static/ and locale/ next to it.
ENV PYTHONPATH=/app

# Translations and static files are built into the image. Production settings refuse to load
# without secrets, so these two commands get throwaway ones that live only in this RUN step.
RUN export DJANGO_SECRET_KEY=build-only-secret-key-never-used-to-run-the-site-0123456789 \
           FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1rZXktbmV2ZXItdXNlZC10by1ydW4= \
           ID_HASH_KEY=build-only-id-hash-key-never-used-to-run-the-site \
           SMS_BACKEND=accounts.sms.YunpianBackend SMS_API_KEY=build-only EMAIL_URL=smtp://127.0.0.1:25 \
           PAYMENT_SANDBOX_ENABLED=true \
    && python manage.py compile_translations \
    && python manage.py collectstatic --noinput

# Code stays root-owned and read-only for the service user, which writes only to the private-media
# directory (created here so that a new named volume mounted on it inherits the ownership) and var/.
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/private /app/var \
    && chown app:app /data/private /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application"]
