"""The demo organisation shared by every service's demo loader (docs/api.md "Demo data").

Only who-is-who: admin, supervisors s01.. and managers m001.. in teams of ten. Each service
loads its own demo records for these people through its own adapters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌波宁"


@dataclass(frozen=True)
class DemoUser:
    id: str
    name: str
    role: str
    team_id: str = ""


@dataclass(frozen=True)
class DemoOrg:
    admin: DemoUser
    supervisors: list[DemoUser]
    managers: list[DemoUser]

    @property
    def users(self) -> list[DemoUser]:
        return [self.admin, *self.supervisors, *self.managers]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def demo_org(managers: int = 50, team_size: int = 10, seed: int = 2014) -> DemoOrg:
    """m001–m010 report to s01 (team t01), m011–m020 to s02, and so on."""
    rng = random.Random(seed)
    teams = (managers + team_size - 1) // team_size
    supervisors = [DemoUser(f"s{t:02d}", _name(rng), "supervisor", f"t{t:02d}") for t in range(1, teams + 1)]
    people = [
        DemoUser(f"m{i:03d}", _name(rng), "manager", f"t{(i - 1) // team_size + 1:02d}") for i in range(1, managers + 1)
    ]
    return DemoOrg(DemoUser("admin", "系统管理员", "admin"), supervisors, people)
