"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden by an environment variable of the same name in upper case with
a GUNICORN_ prefix (GUNICORN_WORKERS=8), or on the command line.
"""
import multiprocessing
import os


def _env(name: str, default):
    return type(default)(os.environ.get(f"GUNICORN_{name}", default))


bind = _env("BIND", "127.0.0.1:8000")
workers = _env("WORKERS", multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"          # PAYGENT calls wait on the network: threads keep workers busy
threads = _env("THREADS", 4)
timeout = _env("TIMEOUT", 60)     # a telegram may take up to ~35 s
graceful_timeout = _env("GRACEFUL_TIMEOUT", 30)
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: none
errorlog = "-"
# The proxies trusted to say which scheme a request came in on. The app reads the same variable
# (same default) and believes X-Forwarded-For only from these peers (cart/auth/proxies.py), so
# sign-in throttling counts the real client, not the proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
