#!/usr/bin/env bash
# Starts the web server, a Celery worker, Celery beat and the HL7 v2 (MLLP) listener;
# Ctrl-C stops them all.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping CareHub..."
  kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
}
trap stop INT TERM EXIT

$BIN/celery -A carehub worker --loglevel INFO --concurrency 2 &
pids+=($!)
$BIN/celery -A carehub beat --loglevel INFO &
pids+=($!)
$BIN/python manage.py adt_listen &
pids+=($!)
PORT=${PORT:-8000}
$BIN/python manage.py runserver "127.0.0.1:$PORT" --noreload &
pids+=($!)

cat <<BANNER

  CareHub is starting on http://127.0.0.1:$PORT/
  Sign in at http://127.0.0.1:$PORT/accounts/login/ with password carehub-demo as:
    coord    coordinator, North Clinic
    coord2   coordinator, South Clinic
    manager  case manager, North Clinic
    admin    administrator (Django admin at /admin/)
  HL7 v2 ADT over MLLP: 127.0.0.1:${ADT_MLLP_PORT:-2575}
  Press Ctrl-C to stop the web server, the worker, beat and the listener.

BANNER

# Stop everything as soon as any one of them exits.
wait -n
