"""Background work through Redis and RQ: the same job functions, run by worker processes."""
import json
import os
import subprocess
import sys
import uuid
import zlib

import pytest
from redis import Redis
from sqlalchemy import select

from cart import create_app, jobs, operations
from cart.config import TestConfig
from cart.extensions import db
from cart.jobs.redis_queue import RedisJobs, pending_key
from cart.models import Payment

from ..conftest import REDIS_URL
from .checkout_helpers import setup_shops
from .order_helpers import paid_order, wait_jobs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL (make test sets it)")


@needs_redis
def test_the_app_queues_its_work_in_redis(app, sandbox):
    assert isinstance(app.extensions["jobs"], RedisJobs)
    setup_shops(app, sandbox)
    order = paid_order(app, sandbox)
    jobs.submit(operations.auto_capture_job, order.shop_id, order.id, delay=0.3)
    queue = app.extensions["jobs"].queue
    assert queue.scheduled_job_registry.count == 1  # RQ's scheduler holds it until due
    wait_jobs()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.status == "40"
    assert len(sandbox.telegrams("341")) == 1


@needs_redis
def test_flask_jobs_worker_runs_what_the_web_queued(app, sandbox, database_url):
    """A real worker process (``flask jobs worker --burst``) books the capture in the database."""
    setup_shops(app, sandbox)
    order = paid_order(app, sandbox)
    queue_name = f"cart-proc-{uuid.uuid4().hex[:12]}"
    web = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, REDIS_URL=REDIS_URL,
                     RQ_QUEUE=queue_name, SANDBOX_URL=app.config.get("SANDBOX_URL"))
    with web.app_context():
        jobs.submit(operations.auto_capture_job, order.shop_id, order.id)
    redis = Redis.from_url(REDIS_URL)
    queued = web.extensions["jobs"].queue.jobs
    assert len(queued) == 1
    stored = json.loads(zlib.decompress(redis.hget(f"rq:job:{queued[0].id}", "data")))
    assert stored[0] == "cart.jobs.redis_queue.perform"  # JSON naming the job, not pickle
    assert stored[2] == ["cart.operations:auto_capture_job", order.shop_id, order.id]
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=REDIS_URL, RQ_QUEUE=queue_name,
               SECRET_KEY=app.config["SECRET_KEY"], SANDBOX_ENABLED="0",
               SANDBOX_URL=sandbox.url, NOTICE_POLL_MINUTES="0", LOG_LEVEL="WARNING")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker",
                           "--burst"], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.status == "40"
    assert [t["request"]["payment_id"] for t in sandbox.telegrams("341")] == \
        [order.payment.paygent_payment_id]
    assert int(redis.get(pending_key(queue_name)) or 0) == 0
    with web.app_context():
        assert jobs.wait_idle(1)
    redis.delete(*redis.scan_iter(f"*{queue_name}*"))


def test_worker_refuses_to_start_without_redis(runner, app):
    app.config["REDIS_URL"] = ""
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
