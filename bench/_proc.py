"""Processes for benchmarks: CPU time and memory of a process tree, children that clean up.

CPU time is read from ``/proc/<pid>/stat`` (utime + stime, plus cutime + cstime for children
already reaped) and summed over the process and all its live descendants, so a gunicorn master
counts its workers. Its resolution is one clock tick (10 ms on most kernels): measure batches
that take well over a second of CPU per figure.
"""
import ctypes
import os
import signal
import socket
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")
RESERVED_PORTS = {54329, 63799}  # the test suite's PostgreSQL and Redis


def free_port() -> int:
    """A loopback port nothing listens on now (the test suite's fixed ports excepted)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            text = fh.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2:].split()


def descendants(pid: int) -> list[int]:
    """``pid`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) used so far by ``pid`` and its descendants, dead ones too
    (0 for None)."""
    if pid is None:
        return 0.0
    total = 0
    for member in descendants(pid):
        fields = _stat(member)
        if fields is not None:
            total += sum(int(fields[i]) for i in (11, 12, 13, 14))
    return total / TICK


def own_cpu_seconds() -> float:
    """This process's CPU time, every thread."""
    times = os.times()
    return times.user + times.system


def postmaster_pid(data_dir: str) -> int | None:
    """The PostgreSQL server's pid from its data directory (None if not running there)."""
    try:
        with open(os.path.join(data_dir, "postmaster.pid")) as fh:
            return int(fh.readline())
    except (FileNotFoundError, ValueError):
        return None


def rss_mb(pid: int) -> list[tuple[int, float]]:
    """(pid, VmRSS in MB) of ``pid`` and each of its descendants."""
    sizes = []
    for member in descendants(pid):
        try:
            with open(f"/proc/{member}/status") as fh:
                kb = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
        except FileNotFoundError:
            continue
        sizes.append((member, round(kb / 1024, 1)))
    return sizes


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the benchmark process dies, however."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """A child process in a session of its own (a Ctrl-C reaches only the benchmark, which
    then stops it), terminated with the benchmark process should that die first."""

    def __init__(self, command: list[str], **popen):
        self.process = subprocess.Popen(command, start_new_session=True,
                                        preexec_fn=_die_with_parent, **popen)
        self.pid = self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL for the child's whole process group if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # its group: workers left behind, if any
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=5)


def wait_until(ready, timeout: float, what: str, interval: float = 0.05, alive=None):
    """Call ``ready()`` until it returns something true; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = ready()
        if value:
            return value
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)
