"""Baifang load tests: `bash loadtests/run_peak.sh` (or `make peak`) runs them headless."""

from scenarios.morning_peak import Tablet
from shapes import MorningPeak

__all__ = ["MorningPeak", "Tablet"]
