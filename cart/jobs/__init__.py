"""Background work: auto-capture, bulk runs, settling unknown outcomes, the missed-notice poll.

Two backends run the same job functions (plain ids in, own app context):
- embedded default: a thread pool in the web process (``threads.ThreadJobs``);
- with ``REDIS_URL``: RQ queues, run by ``flask jobs worker`` processes (``redis_queue``).
"""
import click
from flask import Flask, current_app
from flask.cli import AppGroup


def init_app(app: Flask) -> None:
    if app.config.get("REDIS_URL"):
        from cart.jobs.redis_queue import RedisJobs
        backend = RedisJobs(app)
    else:
        from cart.jobs.threads import ThreadJobs
        backend = ThreadJobs(app, app.config.get("JOB_WORKERS", 4))
    app.extensions["jobs"] = backend
    minutes = float(app.config.get("NOTICE_POLL_MINUTES") or 0)
    if minutes > 0:
        backend.start_notice_poller(minutes * 60, periodic_round)
    app.cli.add_command(jobs_cli)


def submit(fn, *args, delay: float = 0.0) -> None:
    """Run ``fn(*args)`` in the background; call it after the transaction it needs committed."""
    current_app.extensions["jobs"].submit(fn, *args, delay=delay)


def wait_idle(timeout: float = 30.0) -> bool:
    """Wait until everything submitted so far has run (tests, CLI commands, benchmarks)."""
    return current_app.extensions["jobs"].wait_idle(timeout)


def poll_missed_notices() -> dict:
    """N2: one round over every shop with PAYGENT settings; returns counts per shop code."""
    from sqlalchemy import select

    from cart.extensions import db
    from cart.models import PaygentAccount, Shop
    from cart.notices.services import fetch_missed
    shops = db.session.scalars(select(Shop).join(PaygentAccount,
                                                 PaygentAccount.shop_id == Shop.id)).all()
    return {shop.code: fetch_missed(shop) for shop in shops}


def periodic_round() -> dict:
    """Every NOTICE_POLL_MINUTES: fetch missed notices and retry those whose processing
    failed (they may settle open attempts on their own), ask PAYGENT about attempts still open
    past the claim timeout, resume the bulk runs whose process stopped (their open attempts
    are settled by then), and give back the stock of 決済処理中 orders no payment reached."""
    from cart.admin.bulk.services import resume_interrupted
    from cart.maintenance import release_unpaid_stock
    from cart.notices.services import retry_failed
    from cart.operations import settle_overdue
    return {"notices": poll_missed_notices(), "failed_notices": retry_failed(),
            "attempts": settle_overdue(), "bulk_runs": resume_interrupted(),
            "released_stock": release_unpaid_stock()}


jobs_cli = AppGroup("jobs", help="Background work.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
def worker_command(burst: bool) -> None:
    """Run RQ jobs from REDIS_URL's queue (with the scheduler for delayed jobs)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    from cart.jobs.redis_queue import run_worker
    run_worker(current_app._get_current_object(), burst=burst)
