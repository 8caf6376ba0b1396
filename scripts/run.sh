#!/usr/bin/env bash
# Set up (idempotently) and start Voronka on this machine: web server + background worker
# with its scheduler. Stops both on Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
mkdir -p var/log

$PY manage.py migrate --noinput -v 0
login=$($PY manage.py ensure_admin --password "${ADMIN_PASSWORD:-}")
$PY manage.py demo --if-empty
$PY manage.py collectstatic --noinput -v 0

.venv/bin/celery -A config worker -B --pool=threads --concurrency=4 -l info \
  >var/log/worker.log 2>&1 &
worker=$!
.venv/bin/gunicorn config.wsgi --bind "$HOST:$PORT" --workers "${WEB_WORKERS:-2}" \
  --access-logfile var/log/access.log --error-logfile var/log/web.log &
web=$!
trap 'kill $web $worker 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
  $PY -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://$HOST:$PORT/health/" 2>/dev/null && break
  kill -0 $web 2>/dev/null || { echo "The web server did not start; see var/log/web.log" >&2; exit 1; }
  sleep 0.2
done
cat <<TXT

  Voronka is running: http://$HOST:$PORT/
  $login
  Background worker and scheduler: running (log in var/log/worker.log)
  Stop with Ctrl+C.

TXT
wait -n $web $worker
