"""CPU time of process trees, for CPU per notice (or per order) beside the wall-clock figures.

On a machine whose cores are shared with other work, throughput and latency move with the
neighbours' load; the CPU time a notice costs the server, the database and the senders moves
much less, and bounds what the cores could do: cores × 1000 / (CPU ms per notice) a second.
Read from ``/proc/<pid>/stat`` (utime + stime, plus cutime + cstime of children already
reaped), summed over a process and its live descendants; one clock tick (10 ms) resolution.
"""
import os

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            text = fh.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2:].split()  # from the state field on


def tree(pid: int) -> list[int]:
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
    """CPU time used so far by ``pid`` and its descendants (0 for None)."""
    if pid is None:
        return 0.0
    total = 0
    for member in tree(pid):
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
