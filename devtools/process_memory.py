"""This process's resident memory from Linux's ``/proc/self``: the current and peak RSS, and a reset of the peak, for
the memory measurements of the benchmarks and the tests."""


def read_status_kb(field: str) -> int:
    """A ``/proc/self/status`` field in kB, e.g. ``VmRSS`` (resident now) or ``VmHWM`` (its high-water mark)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) of this process (Linux >= 4.0); False where it cannot."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False
