"""LivePositions — the team's live map as the supervisor views read it, from Redis only.

Reads what LastFixes writes (`checkin:fix_time:<team>`, `checkin:fix_detail:<team>`, and the
GEO set `checkin:positions:<team>` for positions stored before the detail hash existed) and
keeps one more hash, written by the worker for each recorded check-in:
  `checkin:visit:<team_id>` hash manager_id → JSON {visit_id, customer_id, checkin_id, verdict,
      verdict_reason, at} of the manager's newest check-in; compare-and-set on `at`, TTL 7 days.
One pipeline per read, so the team view costs one round trip (two for old positions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import redis

from baifang_common.redis import redis_adapter

# Replace the manager's newest check-in only by a newer one. KEYS: visit hash; ARGV: manager, at, json, ttl.
_VISIT_IF_NEWER = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, decoded = pcall(cjson.decode, cur)
  if ok and decoded['at'] and decoded['at'] >= ARGV[2] then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class LivePosition:
    manager_id: str
    lat: float
    lon: float
    ms: int
    accuracy_m: float | None
    speed_mps: float | None


@dataclass(frozen=True)
class LiveTeam:
    positions: list[LivePosition]
    visits: dict[str, dict[str, Any]]  # manager_id -> newest check-in


def _float(text: str) -> float | None:
    return float(text) if text else None


@redis_adapter
class LivePositions:
    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: int = 7 * 24 * 3600) -> None:
        """`prefix` is the service's key prefix, e.g. `checkin`."""
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._visit = client.register_script(_VISIT_IF_NEWER)

    def _key(self, thing: str, team_id: str) -> str:
        return f"{self.prefix}:{thing}:{team_id}"

    def team(self, team_id: str) -> LiveTeam:
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(self._key("fix_time", team_id))
        pipe.hgetall(self._key("fix_detail", team_id))
        pipe.hgetall(self._key("visit", team_id))
        times, details, visits = pipe.execute()
        positions: list[LivePosition] = []
        bare: list[str] = []
        for manager, ts in times.items():
            detail = details.get(manager)
            parts = detail.split(",") if detail else []
            if len(parts) == 5 and parts[4] == ts:
                lat, lon, accuracy, speed, _ = parts
                positions.append(
                    LivePosition(
                        manager, float(lat), float(lon), round(float(ts) * 1000), _float(accuracy), _float(speed)
                    )
                )
            else:
                bare.append(manager)
        if bare:  # positions written before the detail hash: the GEO set has them
            for manager, where in zip(bare, self.client.geopos(self._key("positions", team_id), *bare), strict=True):
                if where is not None:
                    lon, lat = where
                    positions.append(LivePosition(manager, lat, lon, round(float(times[manager]) * 1000), None, None))
        decoded = {manager: orjson.loads(raw) for manager, raw in visits.items()}
        return LiveTeam(sorted(positions, key=lambda p: p.manager_id), decoded)

    def members(self, team_id: str) -> list[str]:
        """Managers with a live position in the team (kept 7 days after their last fix)."""
        return [str(m) for m in self.client.hkeys(self._key("fix_time", team_id))]

    def remember_visit(self, team_id: str, manager_id: str, visit: dict[str, Any]) -> bool:
        """Keep the check-in as the manager's current visit unless a newer one is kept (`at` ISO UTC)."""
        stored = self._visit(
            keys=[self._key("visit", team_id)],
            args=[manager_id, visit["at"], orjson.dumps(visit).decode(), self.ttl_seconds],
        )
        return bool(stored)
