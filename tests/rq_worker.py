"""An RQ worker in a thread of the test process, bound to one test's app and queue.

With ``TEST_REDIS_URL`` the app fixture sends background work through a real Redis server and
this worker runs it: the same RQ machinery as ``flask jobs worker`` (JSON jobs, the scheduler
moving delayed jobs when they are due, ``perform``), without forking the test process.
"""
import threading

from flask import Flask
from rq import Queue, SimpleWorker
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty


class _ThreadWorker(SimpleWorker):
    death_penalty_class = TimerDeathPenalty
    app: Flask

    def _install_signal_handlers(self):  # signals belong to the main thread
        pass

    def perform_job(self, job, queue, *args, **kwargs):
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


class WorkerThread:
    def __init__(self, app: Flask):
        jobs = app.extensions["jobs"]
        self.connection, self.queue = jobs.connection, jobs.queue
        self.worker = _ThreadWorker([Queue(self.queue.name, connection=self.connection,
                                           serializer=JSONSerializer)],
                                    connection=self.connection, serializer=JSONSerializer)
        self.worker.app = app
        self.scheduler = RQScheduler([self.queue.name], connection=self.connection,
                                     serializer=JSONSerializer)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="rq-test-worker", daemon=True)

    def _loop(self):
        while not self.stopping.is_set():
            if self.scheduler.acquire_locks():
                self.scheduler.enqueue_scheduled_jobs()
            self.worker.work(burst=True, logging_level="WARNING")
            self.stopping.wait(0.05)

    def start(self) -> "WorkerThread":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)
        self.scheduler.release_locks()
        keys = list(self.connection.scan_iter(f"*{self.queue.name}*"))
        if keys:
            self.connection.delete(*keys)
