"""Peak resident memory of this process during a block, sampled from ``/proc/self/statm``.

``tracemalloc`` does not see torch's allocations and ``ru_maxrss`` is a lifetime peak, so a
thread samples the resident set size every ``interval`` seconds instead. Imported both as
``benchmarks._memory`` and, by the peer drivers running in their own environments, as
``_memory`` (standard library only).

>>> with PeakRSS() as memory:
...     work()
>>> memory.peak_mb, memory.increase_mb      # absolute peak, peak minus the RSS at entry
"""

from __future__ import annotations

import os
import threading

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """The resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


class PeakRSS:
    """A context manager measuring the peak resident set size (MB) while it is open."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.start = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20

    @property
    def increase_mb(self) -> float:
        return (self.peak - self.start) / 2**20
