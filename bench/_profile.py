"""Where a request's CPU goes: cProfile per request, summed per URL rule.

Set BENCH_PROFILE=<folder> for a bench's server (``bench.checkout --profile <folder>``): each
request runs under its own ``cProfile.Profile`` in its thread, and the profiles are summed per
``METHOD rule``; the server writes ``<folder>/<pid>-<n>.pstats`` per rule (and ``index.json``,
rule → file) when it is stopped (SIGTERM). Read them with ``python -m pstats <file>``.
Times are the thread's CPU time, so waiting (for a lock, the database, the GIL) is not counted.
Profiling slows every request several times: its figures are for finding hot spots, never
for the bench's table.
"""
import atexit
import cProfile
import json
import os
import pstats
import signal
import sys
import threading
import time

from flask import request


def install(app, folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    lock = threading.Lock()
    profiles: dict[str, pstats.Stats] = {}
    local = threading.local()

    @app.before_request
    def _rule():
        local.rule = f"{request.method} {request.url_rule.rule if request.url_rule else '?'}"

    inner = app.wsgi_app

    def profiled(environ, start_response):
        profile = cProfile.Profile(time.thread_time)  # CPU, not time spent waiting
        local.rule = None
        profile.enable()
        try:
            body = inner(environ, start_response)
            data = b"".join(body)
            if hasattr(body, "close"):
                body.close()
        finally:
            profile.disable()
        key = local.rule or f"{environ.get('REQUEST_METHOD')} (no rule)"
        with lock:
            if key in profiles:
                profiles[key].add(profile)
            else:
                profiles[key] = pstats.Stats(profile)
        return [data]

    app.wsgi_app = profiled

    def dump(*_):
        with lock:
            index = {}
            for n, (key, stats) in enumerate(sorted(profiles.items())):
                name = f"{os.getpid()}-{n}.pstats"
                stats.dump_stats(os.path.join(folder, name))
                index[key] = name
            with open(os.path.join(folder, f"index-{os.getpid()}.json"), "w") as fh:
                json.dump(index, fh, ensure_ascii=False, indent=1)

    def on_term(*_):
        dump()
        sys.exit(0)

    atexit.register(dump)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)
