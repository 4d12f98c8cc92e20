"""A wall-clock stack sampler for the benches: where busy threads spend their time.

Every few milliseconds the sampler reads the Python stack of every thread
(``sys._current_frames``) and adds the time since its previous look to the stack of each
thread that is busy: serving a request (its stack holds Flask's ``wsgi_app``), or named with
one of the given prefixes (the bulk run's pool threads). A thread blocked in C shows as the
Python line that called it: a statement waiting for SQLite's write lock sits in SQLAlchemy's
``cursor.execute``, a telegram waiting for its reply under the PAYGENT client's ``send``. For
statements the SQL's first words are read from that frame, so database time is split by
statement. A thread waiting for the interpreter lock shows where it stands, so "Python" time
includes waiting for the GIL (the machine has 2 cores for the server, the senders and the
database).

Server processes sample under ``CART_BENCH_SAMPLE=PREFIX``: while the file ``PREFIX.on`` exists
(the bench creates it for the timed phase and removes it after), and each process writes
``PREFIX.<pid>.json`` once it is gone.

    python -m bench._notice_sampler --port P    wsgi:app in one threaded process, sampled
    bench._notice_sampler:app                   wsgi:app for gunicorn, sampled
"""
import json
import linecache
import os
import re
import sys
import threading
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = "CART_BENCH_SAMPLE"
PROJECT = ("cart/", "payments/")
STATEMENT_FRAMES = {"do_execute", "do_execute_no_params", "do_executemany"}


def short(path: str) -> str:
    """A file's name relative to the project, or to site-packages / the standard library."""
    marker = "site-packages" + os.sep
    if marker in path:
        return path.split(marker, 1)[1]
    if path.startswith(ROOT + os.sep):
        return os.path.relpath(path, ROOT)
    return "py:" + os.path.basename(path)


def statement_label(sql) -> str:
    """BEGIN IMMEDIATE, INSERT INTO payment_notices, SELECT payments FOR UPDATE, …"""
    if not isinstance(sql, str):
        return "SQL ?"
    text = " ".join(sql.split())[:400]
    upper = text.upper()
    name = r'"?(\w+)"?'
    for pattern, label in ((r"^INSERT INTO " + name, "INSERT INTO {}"),
                           (r"^UPDATE " + name, "UPDATE {}"),
                           (r"^DELETE FROM " + name, "DELETE FROM {}")):
        match = re.match(pattern, text, re.I)
        if match:
            return "SQL " + label.format(match.group(1).lower())
    if upper.startswith("SELECT"):
        match = re.search(r"\bFROM " + name, text, re.I)
        if not match:  # SELECT 1 (the pool's pre-ping), SELECT pg_advisory…
            return "SQL " + text[:40]
        return f"SQL SELECT {match.group(1).lower()}" + (
            " FOR UPDATE" if "FOR UPDATE" in upper else "")
    return "SQL " + " ".join(upper.split()[:2])


class Sampler:
    """Samples busy threads of this process into ``stacks``: (frames root→leaf, leaf line,
    SQL label) → seconds."""

    def __init__(self, interval: float = 0.004, names: tuple[str, ...] = (),
                 control: str | None = None):
        from flask import Flask
        self.serving_code = Flask.wsgi_app.__code__
        self.interval = interval
        self.names = tuple(names)
        self.control = control  # PREFIX: sample while PREFIX.on exists, dump when it goes
        self.stacks: Counter = Counter()
        self.samples = 0
        self.seconds = 0.0
        self.cpu = 0.0
        self.on = control is None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def start(self) -> "Sampler":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        me = threading.get_ident()
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            dt, last = now - last, now
            if self.control is not None:
                on = os.path.exists(self.control + ".on")
                if self.on and not on:
                    self.dump(f"{self.control}.{os.getpid()}.json")
                    self.stacks.clear()
                    self.samples, self.seconds, self.cpu = 0, 0.0, 0.0
                self.on = on
            if not self.on:
                continue
            cpu = time.thread_time()
            named = set()
            if self.names:
                named = {t.ident for t in threading.enumerate()
                         if t.name.startswith(self.names)}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                codes, sql = [], None
                busy = ident in named
                f = frame
                while f is not None:
                    code = f.f_code
                    codes.append(code)
                    if code is self.serving_code:
                        busy = True
                    elif sql is None and code.co_name in STATEMENT_FRAMES \
                            and "sqlalchemy" in code.co_filename:
                        try:
                            sql = statement_label(f.f_locals.get("statement"))
                        except Exception:  # noqa: BLE001 - a frame leaving under us
                            sql = "SQL ?"
                    f = f.f_back
                if busy:
                    codes.reverse()
                    self.stacks[(tuple(codes), frame.f_lineno, sql)] += dt
            self.samples += 1
            self.seconds += dt
            self.cpu += time.thread_time() - cpu

    def data(self) -> dict:
        labels: dict = {}

        def label(code):
            if code not in labels:
                labels[code] = f"{short(code.co_filename)}:{code.co_name}:{code.co_firstlineno}"
            return labels[code]

        stacks = []
        for (codes, line, sql), weight in self.stacks.items():
            leaf = codes[-1]
            text = linecache.getline(leaf.co_filename, line).strip()
            stacks.append([weight, [label(c) for c in codes], line, text, sql])
        return {"pid": os.getpid(), "samples": self.samples, "seconds": self.seconds,
                "sampler_cpu_s": self.cpu, "interval": self.interval, "stacks": stacks}

    def dump(self, path: str) -> None:
        draft = f"{path}.part"
        with open(draft, "w") as fh:
            json.dump(self.data(), fh)
        os.replace(draft, path)


# -- reading the samples ----------------------------------------------------------------
def category(frames: list[str], text: str, sql: str | None) -> str:
    """What a sampled thread was doing, from its stack and the line it stood on."""
    names = [f.rsplit(":", 2)[1] for f in frames]
    files = [f.rsplit(":", 2)[0] for f in frames]
    leaf_file, leaf = files[-1], names[-1]
    if leaf in ("_worker",) and leaf_file.endswith("concurrent/futures/thread.py"):
        return "idle in the pool, between orders"
    if "time.sleep(" in text:
        return "sleeping (time.sleep)"
    if "cart/extensions.py" in files and "begin_write" in names:
        return "SQLite: begin_write (waiting for the write lock / its turn)"
    if sql is not None:
        if any(f.startswith("psycopg") for f in files):
            return "database: statements (PostgreSQL round trips, row-lock waits)"
        return "database: statements (SQLite; includes busy waits for the lock)"
    if "do_commit" in names:
        return "database: COMMIT"
    if "do_rollback" in names:
        return "database: ROLLBACK"
    if any(f.startswith("sqlalchemy/pool") for f in files) and leaf_file.startswith(
            ("psycopg", "sqlalchemy/pool", "sqlalchemy/dialects")):
        return "database: connection pool (checkout, reset, connect)"
    if "send" in names and "payments/paygent/client.py" in files and any(
            f.startswith(("urllib3", "requests", "py:socket", "py:ssl", "py:http"))
            for f in files):
        return "HTTP: telegram to PAYGENT (sandbox) and its reply"
    if any(f.startswith(("requests", "urllib3")) for f in files):
        return "HTTP: other calls (control API, …)"
    if leaf_file.startswith("psycopg"):
        return "database: driver (psycopg)"
    return "Python: app, Flask, SQLAlchemy (and waiting for the GIL)"


def load(prefix: str) -> list[dict]:
    folder, stem = os.path.split(prefix)
    found = []
    for name in sorted(os.listdir(folder)):
        if name.startswith(os.path.basename(stem) + ".") and name.endswith(".json"):
            with open(os.path.join(folder, name)) as fh:
                found.append(json.load(fh))
    return found


def merge(dumps: list[dict]) -> dict:
    stacks = [s for d in dumps for s in d["stacks"]]
    return {"processes": len(dumps), "samples": sum(d["samples"] for d in dumps),
            "seconds": max((d["seconds"] for d in dumps), default=0.0),
            "sampler_cpu_s": sum(d["sampler_cpu_s"] for d in dumps), "stacks": stacks}


def report(data: dict, units: int, unit: str, top: int = 22, project_only: bool = True) -> dict:
    """Print where the busy threads' time went, in ms per ``unit`` (notice, order). Returns the
    categories (ms per unit) for the bench's JSON."""
    stacks = data["stacks"]
    total = sum(s[0] for s in stacks)
    per = 1000 / max(units, 1)
    print(f"\nsampled {data['processes']} process(es) for {data['seconds']:.1f} s, "
          f"{data['samples']:,} samples (sampler's own CPU {data['sampler_cpu_s']:.2f} s); "
          f"busy threads {total:.1f} thread-s = {total * per:.1f} ms per {unit} "
          f"over {units:,} {unit}s")
    if not total:
        return {}
    cats: Counter = Counter()
    sql: Counter = Counter()
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for weight, frames, line, text, statement in stacks:
        cats[category(frames, text, statement)] += weight
        if statement:
            sql[statement] += weight
        for frame in set(frames):
            if not project_only or frame.startswith(PROJECT):
                inclusive[frame] += weight
        own[f"{frames[-1].rsplit(':', 1)[0]}:{line}  {text[:60]}"] += weight
    print(f"\n{'what the busy threads were doing':62} {'ms/' + unit:>9} {'share':>6}")
    for name, weight in cats.most_common():
        print(f"  {name:60} {weight * per:9.2f} {weight / total:6.1%}")
    if sql:
        print(f"\n{'database time by statement (incl. waits)':62} {'ms/' + unit:>9} {'share':>6}")
        for name, weight in sql.most_common(12):
            print(f"  {name:60} {weight * per:9.2f} {weight / total:6.1%}")
    print(f"\n{'project functions, inclusive':62} {'ms/' + unit:>9} {'share':>6}")
    for name, weight in inclusive.most_common(top):
        print(f"  {name[-60:]:60} {weight * per:9.2f} {weight / total:6.1%}")
    print(f"\n{'lines the threads stood on (self time)':62} {'ms/' + unit:>9} {'share':>6}")
    for name, weight in own.most_common(12):
        print(f"  {name[-60:]:60} {weight * per:9.2f} {weight / total:6.1%}")
    return {name: round(weight * per, 2) for name, weight in cats.most_common()}


# -- sampled servers --------------------------------------------------------------------
_sampler = None
_lock = threading.Lock()


def _ensure_sampler() -> None:
    global _sampler
    if _sampler is None and os.environ.get(ENV):
        with _lock:
            if _sampler is None:
                _sampler = Sampler(control=os.environ[ENV]).start()


def app(environ, start_response):
    """wsgi:app with this process sampled (started by the first request, so after
    gunicorn has forked the worker)."""
    _ensure_sampler()
    from wsgi import app as target
    return target(environ, start_response)


def serve(port: int) -> None:
    """wsgi:app (configured by the environment) on the threaded development server in this
    process, as bench/_live.py serves it, sampled."""
    import logging

    from payments.sandbox.server import SandboxServer  # a quiet threaded WSGI server
    from wsgi import app as target
    logging.disable(logging.WARNING)
    _ensure_sampler()
    SandboxServer(target, port=port).server.serve_forever()


if __name__ == "__main__":
    import argparse
    import signal
    parser = argparse.ArgumentParser(description="the app in one threaded process, sampled")
    parser.add_argument("--port", type=int, required=True)
    sys.path.insert(0, ROOT)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(parser.parse_args().port)
