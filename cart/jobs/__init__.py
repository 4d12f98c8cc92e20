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


#: The periodic round's steps, in order: (name, function), added by the domains that own
#: them (see create_app), so this package imports none of them.
ROUND: list[tuple[str, object]] = []


def every_round(name: str, fn) -> None:
    """Run ``fn()`` in every periodic round (once per name), after the steps added before."""
    if all(existing != name for existing, _ in ROUND):
        ROUND.append((name, fn))


def each_counted(ids, settle, what: str) -> dict:
    """``settle(id)`` for each id of a round's step, one's trouble never stopping the others
    (logged, its session rolled back, counted as "error"): how many ended in each outcome."""
    import logging
    from cart.extensions import db
    counts: dict[str, int] = {}
    for one in ids:
        try:
            outcome = settle(one)
        except Exception:
            logging.getLogger("cart.jobs").exception("settling %s %s", what, one)
            db.session.rollback()
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def periodic_round() -> dict:
    """Every NOTICE_POLL_MINUTES (by one worker of the fleet with Redis): each step's result
    by name. Missed notices come first (they may settle open attempts on their own)."""
    return {name: fn() for name, fn in ROUND}


jobs_cli = AppGroup("jobs", help="Background work.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
def worker_command(burst: bool) -> None:
    """Run RQ jobs from REDIS_URL's queue (with the scheduler for delayed jobs)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inside the web process")
    from cart.jobs.redis_queue import run_worker
    run_worker(current_app._get_current_object(), burst=burst)
