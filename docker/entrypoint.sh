#!/bin/sh
# One image, one role per container: web, migrate, worker-media, worker-models, worker-io, beat.
# The same commands run outside Docker (tests/test_production.py checks that they exist).
set -e
role="${1:-web}"
[ $# -gt 0 ] && shift
case "$role" in
  migrate)
    exec python manage.py migrate --no-input "$@" ;;
  web)
    exec gunicorn -c docker/gunicorn.conf.py mestudio.wsgi:application "$@" ;;
  worker-media)
    # Ingest spawns its own part processes; two jobs at once fill a 4-core machine.
    exec celery -A mestudio worker -Q media -n "media@%h" --concurrency "${MEDIA_CONCURRENCY:-2}" \
      --time-limit 14400 --without-mingle --without-gossip "$@" ;;
  worker-models)
    # One job per GPU; a fresh child after each task hands back the memory torch keeps.
    exec celery -A mestudio worker -Q models -n "models@%h" --concurrency "${MODELS_CONCURRENCY:-1}" \
      --max-tasks-per-child 1 --time-limit 43200 --without-mingle --without-gossip "$@" ;;
  worker-io)
    exec celery -A mestudio worker -Q io -n "io@%h" --concurrency "${IO_CONCURRENCY:-4}" \
      --time-limit 3600 --without-mingle --without-gossip "$@" ;;
  beat)
    exec celery -A mestudio beat -s /tmp/celerybeat-schedule "$@" ;;
  *)
    exec "$role" "$@" ;;
esac
