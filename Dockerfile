# order2cash application image: API (default), Temporal worker and migrations.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Unprivileged runtime user.
RUN groupadd --system --gid 10001 order2cash \
 && useradd --system --uid 10001 --gid order2cash --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin order2cash

# Dependencies first (only pyproject.toml), so code changes reuse this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself. The source stays in /app (root-owned, read-only for the
# runtime user) so `python worker.py` and alembic's files resolve from WORKDIR.
COPY . .
RUN pip install --no-cache-dir --no-deps . \
 && rm -rf build *.egg-info

USER order2cash

EXPOSE 8000

CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"]
