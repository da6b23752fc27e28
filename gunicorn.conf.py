"""gunicorn settings for CareHub (docker-compose, `make bench`).

Sync workers, one per core (PERFORMANCE.md: more workers than cores is slower here).
The access log records the path without its query string (search terms can be names) and
with bearer credentials masked (carehub/gunicorn_logging.py).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# A worker is replaced after this many requests (a guard against slow memory growth).
# Each replacement costs a Django start and the worker's kept dashboards, so not often:
# at 5,000, a busy worker restarted every 20-30 seconds in `make bench`.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
# Masks bearer credentials (the receiving service's signed link is one, in the path) in
# every access-log atom and error-log line.
logger_class = "carehub.gunicorn_logging.CredentialMaskingLogger"
# Whose X-Forwarded-Proto gunicorn believes: with TRUSTED_PROXY_COUNT set (the one
# setting CareHub's client address, rate limits and sign-in lockout read too), the proxy
# in front, wherever it runs in the deployment network; otherwise only this host.
_behind_proxy = int(os.environ.get("TRUSTED_PROXY_COUNT", "0") or 0) > 0
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*" if _behind_proxy else "127.0.0.1")
