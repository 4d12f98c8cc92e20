"""The scale-out backend: jobs go to Redis and RQ workers run them (``flask jobs worker``).

A job is the dotted name of a job function plus its plain arguments (ids), serialised as JSON,
so the same functions run here as in the embedded thread pool. Delays use RQ's scheduler,
which every ``flask jobs worker`` runs. A counter per queue (incremented on submit, decremented
when the job has run) lets ``wait_idle`` tell when everything submitted has finished.
"""
import importlib
import logging
import os
import threading
import time
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Worker, get_current_job
from rq.serializers import JSONSerializer

log = logging.getLogger("cart.jobs")

_worker_app: Flask | None = None
_worker_pid = 0


def job_path(fn) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _resolve(path: str):
    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def pending_key(queue_name: str) -> str:
    return f"cart:jobs:{queue_name}:pending"


class RedisJobs:
    def __init__(self, app: Flask):
        self.app = app
        self.connection = Redis.from_url(app.config["REDIS_URL"])
        self.queue = Queue(app.config["RQ_QUEUE"], connection=self.connection,
                           serializer=JSONSerializer)
        self.timeout = app.config["JOB_TIMEOUT"]

    def submit(self, fn, *args, delay: float = 0.0) -> None:
        self.connection.incr(pending_key(self.queue.name))
        options = dict(job_timeout=self.timeout, result_ttl=60, failure_ttl=7 * 86400,
                       description=f"{fn.__name__}{args!r}")
        try:
            if delay > 0:
                self.queue.enqueue_in(timedelta(seconds=delay), perform, job_path(fn),
                                      *args, **options)
            else:
                self.queue.enqueue(perform, job_path(fn), *args, **options)
        except BaseException:
            self.connection.decr(pending_key(self.queue.name))
            raise

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while int(self.connection.get(pending_key(self.queue.name)) or 0) > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def start_notice_poller(self, seconds: float, poll) -> None:
        """Web processes do not poll: ``flask jobs worker`` does (see ``run_worker``)."""


def worker_app() -> Flask:
    """The app a worker process runs jobs in: built once, and its database connections
    dropped (not closed) in a forked child so parent and child never share one."""
    global _worker_app, _worker_pid
    if _worker_app is None:
        from cart import create_app
        _worker_app, _worker_pid = create_app(), os.getpid()
    elif _worker_pid != os.getpid():
        from cart.extensions import db
        with _worker_app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        _worker_pid = os.getpid()
    return _worker_app


def use_app(app: Flask) -> None:
    global _worker_app, _worker_pid
    _worker_app, _worker_pid = app, os.getpid()


def perform(path: str, *args) -> None:
    """The function RQ runs: call the job function in a fresh app context."""
    if has_app_context() and current_app._get_current_object() is not _worker_app:
        app = current_app._get_current_object()  # a worker thread handed its own app
    else:
        app = worker_app()
    try:
        with app.app_context():
            _resolve(path)(*args)
    finally:
        job = get_current_job()
        if job is not None:
            job.connection.decr(pending_key(job.origin))


class CartWorker(Worker):
    """RQ's forking worker with the app built once in the parent and JSON jobs:
    ``rq worker -w cart.jobs.redis_queue.CartWorker --with-scheduler …`` works as well as
    ``flask jobs worker``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)
        worker_app()


def run_worker(app: Flask, burst: bool = False) -> None:
    use_app(app)
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(app.config["RQ_QUEUE"], connection=connection, serializer=JSONSerializer)
    minutes = float(app.config.get("NOTICE_POLL_MINUTES") or 0)
    if minutes > 0 and not burst:
        _start_poll_enqueuer(app, queue, minutes * 60)
    CartWorker([queue], connection=connection).work(burst=burst, with_scheduler=True,
                                                     logging_level=app.config["LOG_LEVEL"])


def _start_poll_enqueuer(app: Flask, queue: Queue, seconds: float) -> None:
    """N2 at scale: every few minutes one worker (whichever takes the Redis key first) queues
    the periodic round (missed notices, then overdue attempts), so several workers never fetch
    for the same merchant at once."""
    from cart.jobs import periodic_round
    jobs = RedisJobs(app)

    def loop():
        while True:
            time.sleep(seconds)
            try:
                if queue.connection.set(f"cart:jobs:{queue.name}:notice-poll", os.getpid(),
                                        nx=True, ex=max(1, int(seconds * 0.9))):
                    jobs.submit(periodic_round)
            except Exception:  # Redis away for a moment: the next round tries again
                log.exception("queueing the missed-notice poll")

    threading.Thread(target=loop, name="notice-poll-enqueuer", daemon=True).start()
