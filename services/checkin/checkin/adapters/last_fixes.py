"""LastFixes — the manager's newest known position, fed by check-ins and GPS track batches.

Redis keys (all TTL 7 days, refreshed on write):
  `checkin:last_fix:<manager_id>` hash {lat, lon, ts (epoch seconds), batch, prev}: read by the
      check-in verdict (impossible travel); `batch` = the track batch that set it, `prev` =
      "lat,lon,ts" of the fix it replaced (so a replayed batch sees the same previous fix).
  `checkin:positions:<team_id>` GEO set, member = manager_id: the live map.
  `checkin:fix_time:<team_id>` hash manager_id → ts (epoch seconds) of that position.
  `checkin:fix_detail:<team_id>` hash manager_id → "lat,lon,accuracy,speed,ts" of that position
      (speed '' when unknown), so the team view answers from one hash.
An older fix (offline upload, a replay, a late check-in) never overwrites a newer one: both
writes are compare-and-set Lua scripts, one round trip each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from baifang_common.redis import redis_adapter
from checkin.domain.model import GeoPoint, LatestFix, PreviousFix

# Compare-and-set in one step, so concurrent check-ins cannot move the fix backwards in time.
_UPDATE_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'ts')
if current and tonumber(current) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'lat', ARGV[1], 'lon', ARGV[2], 'ts', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

# The stored fix (lat, lon, ts), and the given one stored in its place when newer, in one step; ARGV as
# above, lat '' = only read.
_SWAP_IF_NEWER = """
local stored = redis.call('HMGET', KEYS[1], 'lat', 'lon', 'ts')
if ARGV[1] ~= '' and not (stored[3] and tonumber(stored[3]) >= tonumber(ARGV[3])) then
  redis.call('HSET', KEYS[1], 'lat', ARGV[1], 'lon', ARGV[2], 'ts', ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
return stored
"""

# A track batch's newest usable point: last fix when newer than it, and live position (GEO set, fix
# time, detail) when newer than the one shown. The two are compared apart: a check-in's fix (kept by
# `remember`) may be newer than a track point the sink stores after it, and the map must still show
# that point rather than nothing.
# KEYS: last_fix, positions, fix_time, fix_detail; ARGV: lat, lon, ts ('' = nothing usable), ttl,
# manager, batch, accuracy, speed.
# Returns {stored 0|1, "lat,lon,ts" of the fix before this batch or ''}.
_TRACK_UPDATE_IF_NEWER = """
local cur = redis.call('HMGET', KEYS[1], 'lat', 'lon', 'ts', 'batch', 'prev')
if ARGV[6] ~= '' and cur[4] == ARGV[6] then return {0, cur[5] or ''} end
local prev = ''
if cur[3] then prev = cur[1] .. ',' .. cur[2] .. ',' .. cur[3] end
if ARGV[3] == '' then return {0, prev} end
local shown = redis.call('HGET', KEYS[3], ARGV[5])
if not shown or tonumber(shown) < tonumber(ARGV[3]) then
  redis.call('GEOADD', KEYS[2], ARGV[2], ARGV[1], ARGV[5])
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[3])
  redis.call('HSET', KEYS[4], ARGV[5], ARGV[1] .. ',' .. ARGV[2] .. ',' .. ARGV[7] .. ',' .. ARGV[8] .. ',' .. ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
if cur[3] and tonumber(cur[3]) >= tonumber(ARGV[3]) then return {0, prev} end
redis.call('HSET', KEYS[1], 'lat', ARGV[1], 'lon', ARGV[2], 'ts', ARGV[3], 'batch', ARGV[6], 'prev', prev)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return {1, prev}
"""


@dataclass(frozen=True)
class TrackFix:
    """One track batch's candidate for the last fix (None: no usable point in it)."""

    manager_id: str
    team_id: str
    newest: LatestFix | None
    batch_id: str


@redis_adapter
class LastFixes:
    def __init__(
        self,
        client: redis.Redis,
        key_prefix: str,
        ttl_seconds: int = 7 * 24 * 3600,
        *,
        positions_prefix: str | None = None,
        fix_time_prefix: str | None = None,
        fix_detail_prefix: str | None = None,
    ) -> None:
        """`key_prefix` ends in `checkin:last_fix`; the team keys default to its siblings."""
        self.client = client
        self.key_prefix = key_prefix
        base = key_prefix.rsplit(":", 1)[0]
        self.positions_prefix = positions_prefix or f"{base}:positions"
        self.fix_time_prefix = fix_time_prefix or f"{base}:fix_time"
        self.fix_detail_prefix = fix_detail_prefix or f"{base}:fix_detail"
        self.ttl_seconds = ttl_seconds
        self._update = client.register_script(_UPDATE_IF_NEWER)
        self._swap = client.register_script(_SWAP_IF_NEWER)
        self._track_update = client.register_script(_TRACK_UPDATE_IF_NEWER)

    def _key(self, manager_id: str) -> str:
        return f"{self.key_prefix}:{manager_id}"

    def swap(self, manager_id: str, fix: tuple[GeoPoint, datetime] | None) -> PreviousFix | None:
        """The stored fix, and `fix` stored in its place when newer (None: only read), in one round trip."""
        args: list[str | int] = ["", "", "", self.ttl_seconds]
        if fix is not None:
            args[:3] = [repr(fix[0].lat), repr(fix[0].lon), repr(fix[1].timestamp())]
        lat, lon, ts = self._swap(keys=[self._key(manager_id)], args=args)
        return _stored_fix({"lat": lat, "lon": lon, "ts": ts} if None not in (lat, lon, ts) else {})

    def get(self, manager_id: str) -> PreviousFix | None:
        return _stored_fix(self.client.hgetall(self._key(manager_id)))

    def remember(self, manager_id: str, point: GeoPoint, taken_at: datetime) -> bool:
        """Store the fix when it is newer than the stored one; True when it was stored."""
        stored = self._update(
            keys=[self._key(manager_id)],
            args=[repr(point.lat), repr(point.lon), repr(taken_at.timestamp()), self.ttl_seconds],
        )
        return bool(stored)

    def remember_tracks(self, fixes: Sequence[TrackFix]) -> list[PreviousFix | None]:
        """One round trip for many batches, applied in the given order: each batch's newest usable
        point becomes last fix and live position when newer than the stored fix. Returns, per
        batch, the fix before it (the same when the batch is replayed)."""
        if not fixes:
            return []
        pipe = self.client.pipeline(transaction=False)
        for fix in fixes:
            args: list[str | int] = ["", "", "", self.ttl_seconds, fix.manager_id, fix.batch_id, "", ""]
            if fix.newest is not None:
                args[:3] = [repr(fix.newest.lat), repr(fix.newest.lon), repr(fix.newest.ms / 1000)]
                speed = fix.newest.speed_mps
                args[6:] = [repr(fix.newest.accuracy_m), "" if speed is None else repr(speed)]
            keys = [
                self._key(fix.manager_id),
                f"{self.positions_prefix}:{fix.team_id}",
                f"{self.fix_time_prefix}:{fix.team_id}",
                f"{self.fix_detail_prefix}:{fix.team_id}",
            ]
            self._track_update(keys=keys, args=args, client=pipe)
        return [_previous(previous) for _stored, previous in pipe.execute()]


def _previous(raw: str) -> PreviousFix | None:
    if not raw:
        return None
    lat, lon, ts = raw.split(",")
    return PreviousFix(GeoPoint(float(lat), float(lon)), datetime.fromtimestamp(float(ts), UTC))


def _stored_fix(values: Any) -> PreviousFix | None:
    """The fix a hash of lat, lon and ts holds (None when absent or incomplete)."""
    if not values or not {"lat", "lon", "ts"} <= set(values):
        return None
    return PreviousFix(
        GeoPoint(float(values["lat"]), float(values["lon"])), datetime.fromtimestamp(float(values["ts"]), UTC)
    )
