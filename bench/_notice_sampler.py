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
``PREFIX.<pid>.json`` once it is gone. With ``CART_BENCH_CPROFILE=1`` as well, each request of
that phase also runs under cProfile timed by its thread's CPU clock (so waiting costs nothing
and the figures are CPU time by function; cProfile's own overhead inflates them, evenly
enough to compare), written to ``PREFIX.<pid>.prof``.

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
                    if _cprofile is not None:  # first: the bench waits for the .json files
                        _cprofile.dump(f"{self.control}.{os.getpid()}.prof")
                    self.dump(f"{self.control}.{os.getpid()}.json")
                    self.stacks.clear()
                    self.samples, self.seconds, self.cpu = 0, 0.0, 0.0
                self.on = on
            if not self.on:
                continue
            cpu = time.thread_time()
            named = {}
            if self.names:
                named = {t.ident: re.sub(r"\d+", "N", t.name) for t in threading.enumerate()
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
                    group = named.get(ident, "request")
                    self.stacks[(tuple(codes), frame.f_lineno or 0, sql, group)] += dt
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
        for (codes, line, sql, group), weight in self.stacks.items():
            leaf = codes[-1]
            text = linecache.getline(leaf.co_filename, line).strip() if line else ""
            stacks.append([weight, [label(c) for c in codes], line, text, sql, group])
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
    if leaf_file in ("py:threading.py", "py:queue.py") and leaf in ("wait", "get", "join"):
        return "waiting for other threads (futures, queues, joins)"
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
    groups: Counter = Counter()
    for weight, frames, line, text, statement, group in stacks:
        cats[category(frames, text, statement)] += weight
        groups[(group, category(frames, text, statement))] += weight
        if statement:
            sql[statement] += weight
        for frame in set(frames):
            if not project_only or frame.startswith(PROJECT):
                inclusive[frame] += weight
        own[f"{frames[-1].rsplit(':', 1)[0]}:{line}  {text[:60]}"] += weight
    print(f"\n{'what the busy threads were doing':62} {'ms/' + unit:>9} {'share':>6}")
    for name, weight in cats.most_common():
        print(f"  {name:60} {weight * per:9.2f} {weight / total:6.1%}")
    if len({g for g, _ in groups}) > 1:
        print(f"\n{'by thread (digits shown as N)':62} {'ms/' + unit:>9} {'share':>6}")
        for group in sorted({g for g, _ in groups}):
            mine = [(c, w) for (g, c), w in groups.items() if g == group]
            print(f"  {group:60} {sum(w for _, w in mine) * per:9.2f} "
                  f"{sum(w for _, w in mine) / total:6.1%}")
            for name, weight in sorted(mine, key=lambda cw: -cw[1])[:5]:
                print(f"    {name[:58]:58} {weight * per:9.2f} {weight / total:6.1%}")
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


def cprofile_report(prefix: str, units: int, unit: str, top: int = 25) -> None:
    """Print the merged cProfile figures of every process: CPU ms per ``unit``."""
    import pstats
    folder, stem = os.path.split(prefix)
    files = [os.path.join(folder, n) for n in sorted(os.listdir(folder))
             if n.startswith(stem + ".") and n.endswith(".prof")]
    if not files:
        print("\nno cProfile figures were written")
        return
    stats = pstats.Stats(*files)
    per = 1000 / max(units, 1)
    total = sum(tt for _, _, tt, _, _ in stats.stats.values())
    print(f"\ncProfile, CPU clock of the request threads, {len(files)} process(es): "
          f"{total * per:.2f} ms CPU per {unit} inside the app (with cProfile's overhead); "
          f"{sum(calls for _, calls, _, _, _ in stats.stats.values()) / max(units, 1):,.0f} "
          f"Python function calls per {unit} (a figure noise does not move)")

    def name(key):
        path, line, func = key
        return f"{short(path)}:{func}:{line}" if line else func

    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)
    print(f"\n{'self CPU (tottime)':70} {'ms/' + unit:>9} {'calls/' + unit:>10}")
    for key, (_, calls, tt, _, _) in rows[:top]:
        print(f"  {name(key)[-68:]:68} {tt * per:9.3f} {calls / max(units, 1):10.1f}")
    rows = sorted(((k, v) for k, v in stats.stats.items()
                   if short(k[0]).startswith(PROJECT + ("sqlalchemy/orm/session.py",
                                                        "sqlalchemy/engine/base.py",
                                                        "flask/app.py", "jinja2/environment"))),
                  key=lambda kv: kv[1][3], reverse=True)
    print(f"\n{'project functions and entry points, inclusive CPU (cumtime)':70} "
          f"{'ms/' + unit:>9} {'calls/' + unit:>10}")
    for key, (_, calls, _, ct, _) in rows[:top]:
        print(f"  {name(key)[-68:]:68} {ct * per:9.3f} {calls / max(units, 1):10.1f}")


# -- sampled servers --------------------------------------------------------------------
_sampler = None
_cprofile = None
_lock = threading.Lock()


class _CProfile:
    """cProfile of the requests served while sampling is on, on the CPU clock of the thread
    serving each. Profilers are kept in a pool: a request takes a free one, switches it on in
    its thread and gives it back after (the development server starts a thread per request,
    so one per thread would mean one per request to merge); they are merged when written."""

    def __init__(self, sampler: Sampler):
        self.sampler = sampler
        self.profiles = []
        self.free = []
        self.active = 0
        self.lock = threading.Lock()

    def __call__(self, target, environ, start_response):
        if not self.sampler.on:
            return target(environ, start_response)
        with self.lock:
            if self.free:
                profile = self.free.pop()
            else:
                import cProfile
                profile = cProfile.Profile(time.thread_time)
                self.profiles.append(profile)
            self.active += 1
        profile.enable()
        try:
            result = target(environ, start_response)
            try:
                body = list(result)  # the work of a streamed body happens in here too
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            profile.disable()
            with self.lock:
                self.active -= 1
                self.free.append(profile)
        return body

    def dump(self, path: str) -> None:
        import pstats
        deadline = time.monotonic() + 5
        while self.active and time.monotonic() < deadline:  # requests still being profiled
            time.sleep(0.01)
        with self.lock:
            profiles, self.profiles, self.free = self.profiles, [], []
        if profiles:
            stats = pstats.Stats(profiles[0])
            for profile in profiles[1:]:
                stats.add(profile)
            stats.dump_stats(path)


def _ensure_sampler() -> None:
    global _sampler, _cprofile
    if _sampler is None and os.environ.get(ENV):
        with _lock:
            if _sampler is None:
                sampler = Sampler(control=os.environ[ENV])
                if os.environ.get("CART_BENCH_CPROFILE") == "1":
                    _cprofile = _CProfile(sampler)
                _sampler = sampler.start()


def app(environ, start_response):
    """wsgi:app with this process sampled (started by the first request, so after
    gunicorn has forked the worker)."""
    _ensure_sampler()
    from wsgi import app as target
    if _cprofile is not None:
        return _cprofile(target, environ, start_response)
    return target(environ, start_response)


def serve(port: int) -> None:
    """wsgi:app (configured by the environment) on the threaded development server in this
    process, as bench/_live.py serves it, sampled."""
    import logging

    from payments.sandbox.server import SandboxServer  # a quiet threaded WSGI server
    import importlib
    importlib.import_module("wsgi")  # the app, built before the first request
    logging.disable(logging.WARNING)
    _ensure_sampler()
    SandboxServer(app, port=port).server.serve_forever()


if __name__ == "__main__":
    import argparse
    import signal
    parser = argparse.ArgumentParser(description="the app in one threaded process, sampled")
    parser.add_argument("--port", type=int, required=True)
    sys.path.insert(0, ROOT)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(parser.parse_args().port)
