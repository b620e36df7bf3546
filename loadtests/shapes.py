"""Load shapes: the morning ramp of the tablets."""

from __future__ import annotations

import os

from locust import LoadTestShape


class MorningPeak(LoadTestShape):
    """Ramp to PEAK_USERS tablets, hold, ramp down; the whole run lasts PEAK_MINUTES and then stops.

    The ramp takes 30 % of the run (at most 3 minutes), the ramp-down 10 % (at most 1 minute):
    with the defaults (2000 tablets, 10 minutes) that is 3 min up at ~11 tablets/s, 6 min at
    the peak, 1 min down.
    """

    def __init__(self) -> None:
        super().__init__()
        self.users = int(os.environ.get("PEAK_USERS", "2000"))
        self.total_s = float(os.environ.get("PEAK_MINUTES", "10")) * 60.0
        self.ramp_up_s = min(0.3 * self.total_s, 180.0)
        self.ramp_down_s = min(0.1 * self.total_s, 60.0)

    def tick(self) -> tuple[int, float] | None:
        t = self.get_run_time()
        if t >= self.total_s:
            return None
        down_at = self.total_s - self.ramp_down_s
        if t < down_at:
            return self.users, max(self.users / max(self.ramp_up_s, 1.0), 1.0)
        left = max(self.total_s - t, 0.0) / max(self.ramp_down_s, 1.0)
        return int(self.users * left), max(self.users / max(self.ramp_down_s, 1.0), 1.0)
