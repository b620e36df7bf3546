"""LastFixes — Redis hash `checkin:last_fix:<manager_id>` {lat, lon, ts (epoch seconds)}.

The manager's newest known position for the impossible-travel check; an older fix (offline
sync, a replay) never overwrites a newer one. GPS tracks will feed it too (later issue).
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from checkin.domain.model import GeoPoint, PreviousFix

# Compare-and-set in one step, so concurrent check-ins cannot move the fix backwards in time.
_UPDATE_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'ts')
if current and tonumber(current) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'lat', ARGV[1], 'lon', ARGV[2], 'ts', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


class LastFixes:
    def __init__(self, client: redis.Redis, key_prefix: str, ttl_seconds: int = 7 * 24 * 3600) -> None:
        self.client = client
        self.key_prefix = key_prefix
        self.ttl_seconds = ttl_seconds
        self._update = client.register_script(_UPDATE_IF_NEWER)

    def _key(self, manager_id: str) -> str:
        return f"{self.key_prefix}:{manager_id}"

    def get(self, manager_id: str) -> PreviousFix | None:
        values = self.client.hgetall(self._key(manager_id))
        if not values or not {"lat", "lon", "ts"} <= set(values):
            return None
        return PreviousFix(
            GeoPoint(float(values["lat"]), float(values["lon"])),
            datetime.fromtimestamp(float(values["ts"]), UTC),
        )

    def remember(self, manager_id: str, point: GeoPoint, taken_at: datetime) -> bool:
        """Store the fix when it is newer than the stored one; True when it was stored."""
        stored = self._update(
            keys=[self._key(manager_id)],
            args=[repr(point.lat), repr(point.lon), repr(taken_at.timestamp()), self.ttl_seconds],
        )
        return bool(stored)
