"""Per-request figures inside a benchmark's app process: wall time, thread CPU, SQL statements.

``install(app)`` wraps the app (only the one a benchmark serves) in a WSGI middleware that
records, for every request, its method and URL rule (``GET /s/<shop_code>/cart``; the path with
numbers replaced when no rule matched), the wall time and the CPU time of the thread that ran it
(``time.thread_time``) until the response was closed, and the SQL statements that thread sent
meanwhile (SQLAlchemy's ``before_cursor_execute`` on the app's engine, counted per thread, so
work the request does after its commit counts too). Statements of other threads are counted
apart: background jobs (the embedded thread pool, each job recorded like a request) and
anything else. An engine-wide total covers them all.

    GET  /_bench/stats        the figures since the last reset, as JSON
    POST /_bench/stats/reset  start afresh

Both are answered by the middleware itself, never by the app, and their own CPU time is
reported as ``bench_cpu_ms`` so that a caller can leave it out. With several worker processes
each has its own figures; the reply names its ``pid``.
"""
import json
import os
import re
import threading
import time
from functools import wraps

#: BENCH_SQL_LOG=<file>: the statements of the first few requests (and jobs) of each kind, one
#: JSON line each, to see what a request sends (no figure of the bench depends on it)
SQL_LOG = os.environ.get("BENCH_SQL_LOG", "")
SQL_LOG_SAMPLES = 3
SAMPLES_KEPT = 5000  # per request kind: enough for medians, bounded memory in long runs
PATH = "/_bench/stats"
_NUMBERS = re.compile(r"/\d+(?=/|$)")


class _Kind:
    """The requests (or jobs) of one kind: how many, and samples of their figures."""
    __slots__ = ("count", "wall_ms", "cpu_ms", "queries")

    def __init__(self):
        self.count = 0
        self.wall_ms, self.cpu_ms, self.queries = [], [], []

    def add(self, wall_ms: float, cpu_ms: float, queries: int) -> None:
        self.count += 1
        if len(self.wall_ms) < SAMPLES_KEPT:
            self.wall_ms.append(round(wall_ms, 3))
            self.cpu_ms.append(round(cpu_ms, 3))
            self.queries.append(queries)

    def as_json(self) -> dict:
        return {"count": self.count, "wall_ms": self.wall_ms, "cpu_ms": self.cpu_ms,
                "queries": self.queries}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.local = threading.local()
        self.in_flight = 0  # requests begun and not yet closed (a reset leaves it alone)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: dict[str, _Kind] = {}
            self.jobs: dict[str, _Kind] = {}
            self.queries_total = 0
            self.queries_in_requests = 0
            self.queries_in_jobs = 0
            self.jobs_submitted = 0
            self.jobs_finished = 0
            self.bench_cpu_ms = 0.0

    # -- counting -------------------------------------------------------------------------
    def on_statement(self, _conn, _cursor, statement, *_args) -> None:
        """SQLAlchemy's before_cursor_execute: one statement sent."""
        local = self.local
        if getattr(local, "counting", False):
            local.queries += 1
            if SQL_LOG:
                local.statements.append(" ".join(statement.split())[:160])
        with self.lock:
            self.queries_total += 1

    def _begin(self) -> tuple[float, float]:
        self.local.counting, self.local.queries, self.local.rule = True, 0, None
        self.local.statements = []
        return time.perf_counter(), time.thread_time()

    def _end(self, table: str, key: str, started: tuple[float, float]) -> None:
        wall = (time.perf_counter() - started[0]) * 1000
        cpu = (time.thread_time() - started[1]) * 1000
        queries, self.local.counting = self.local.queries, False
        with self.lock:
            kinds = self.requests if table == "requests" else self.jobs
            kind = kinds.setdefault(key, _Kind())
            kind.add(wall, cpu, queries)
            if SQL_LOG and kind.count <= SQL_LOG_SAMPLES:
                with open(SQL_LOG, "a", encoding="utf-8") as log:
                    log.write(json.dumps({"pid": os.getpid(), "kind": key,
                                          "statements": self.local.statements},
                                         ensure_ascii=False) + "\n")
            if table == "requests":
                self.queries_in_requests += queries
                self.in_flight -= 1
            else:
                self.queries_in_jobs += queries
                self.jobs_finished += 1

    def job(self, fn):
        """``fn`` as a background job recorded under its name."""
        with self.lock:
            self.jobs_submitted += 1

        @wraps(fn)
        def run(*args, **kwargs):
            started = self._begin()
            try:
                return fn(*args, **kwargs)
            finally:
                self._end("jobs", getattr(fn, "__qualname__", repr(fn)), started)
        return run

    def as_json(self) -> dict:
        with self.lock:
            return {
                "pid": os.getpid(),
                "requests": {k: v.as_json() for k, v in self.requests.items()},
                "jobs": {k: v.as_json() for k, v in self.jobs.items()},
                "queries_total": self.queries_total,
                "queries_in_requests": self.queries_in_requests,
                "queries_in_jobs": self.queries_in_jobs,
                "queries_elsewhere": (self.queries_total - self.queries_in_requests
                                      - self.queries_in_jobs),
                "jobs_submitted": self.jobs_submitted,
                "jobs_pending": self.jobs_submitted - self.jobs_finished,
                "requests_in_flight": self.in_flight,
                "bench_cpu_ms": round(self.bench_cpu_ms, 3),
            }

    # -- the middleware ---------------------------------------------------------------------
    def middleware(self, wsgi_app):
        def app(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if path == PATH or path == PATH + "/reset":
                return self._answer(environ, start_response)
            with self.lock:
                self.in_flight += 1
            started = self._begin()
            try:
                body = wsgi_app(environ, start_response)
            except BaseException:
                self._end("requests", self._key(environ), started)
                raise
            return _Closing(body, lambda: self._end("requests", self._key(environ), started))
        return app

    def _key(self, environ) -> str:
        """Method and URL rule of the thread's request (the path, numbers hidden, if none)."""
        rule = self.local.rule or _NUMBERS.sub("/<n>", environ.get("PATH_INFO", ""))
        return f"{environ.get('REQUEST_METHOD')} {rule}"

    def _answer(self, environ, start_response):
        cpu = time.thread_time()
        method = environ.get("REQUEST_METHOD")
        if environ["PATH_INFO"].endswith("/reset"):
            if method != "POST":
                start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
                return [b"POST only\n"]
            self.reset()
            body = {"pid": os.getpid(), "reset": True}
        else:
            body = self.as_json()
        data = json.dumps(body).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(data)))])
        with self.lock:
            self.bench_cpu_ms += (time.thread_time() - cpu) * 1000
        return [data]


class _Closing:
    """A response body that reports when the server closes it (the request's end)."""

    def __init__(self, body, on_close):
        self.body, self.on_close = body, on_close

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_close()


def install(app) -> Stats:
    """Record this app's requests, jobs and statements; serve them under /_bench/stats."""
    from flask import request
    from sqlalchemy import event

    from cart.extensions import db

    stats = Stats()

    def note_rule():
        if request.url_rule is not None:
            stats.local.rule = request.url_rule.rule

    # first of the app-wide hooks, so that a hook answering early still names the rule
    app.before_request_funcs.setdefault(None, []).insert(0, note_rule)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", stats.on_statement)
    jobs = app.extensions.get("jobs")
    if jobs is not None and hasattr(jobs, "executor"):  # the embedded thread pool
        submit = jobs.submit

        def submit_recorded(fn, *args, delay: float = 0.0):
            submit(stats.job(fn), *args, delay=delay)
        jobs.submit = submit_recorded
    app.wsgi_app = stats.middleware(app.wsgi_app)
    return stats
