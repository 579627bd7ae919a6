"""What a training costs the process that runs it: CPU seconds and peak memory.

Snakemake's benchmark files measure a job's own processes. A training job
hands its work to a warm server, so its benchmark measures a small client; the
server measures each rank here instead, and the record carries the figures
(``cpu_seconds``, ``peak_mb``).
"""

import contextlib
import resource
from pathlib import Path


class ResourceUsage:
    """CPU seconds and peak resident memory of this process from now on.

    The peak is the kernel's high-water mark (VmHWM), reset here through
    ``/proc/self/clear_refs`` to the memory resident now, so it covers what
    follows: the framework already loaded plus the training itself.
    """

    def __init__(self):
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self.cpu_start = cpu_seconds()

    def since(self):
        """``{"cpu_seconds": s, "peak_mb": m}`` since this object was made."""
        return {
            "cpu_seconds": round(cpu_seconds() - self.cpu_start, 3),
            "peak_mb": peak_resident_mb(),
        }


def cpu_seconds():
    """User plus system CPU seconds of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_resident_mb():
    """Peak resident memory in MB: VmHWM, or ru_maxrss where /proc is absent."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
