# CareHub image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CAREHUB_VAR_DIR=/var/lib/carehub

WORKDIR /app
RUN groupadd --system carehub && useradd --system --gid carehub --home /app carehub \
    && mkdir -p /var/lib/carehub && chown carehub:carehub /var/lib/carehub

COPY pyproject.toml README.md ./
COPY accounts ./accounts
COPY carehub ./carehub
COPY careplans ./careplans
COPY patients ./patients
COPY referrals ./referrals
RUN pip install .

COPY . .
# Static files are collected at build time and served by WhiteNoise (no CDN).
RUN SECRET_KEY=build-only-not-used-at-runtime-0123456789-abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=build DEBUG=false STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput --verbosity 0

ENV STATIC_ROOT=/app/staticfiles
USER carehub
EXPOSE 8000
CMD ["gunicorn", "carehub.wsgi", "--config", "gunicorn.conf.py"]
