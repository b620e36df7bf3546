"""Which store each service uses: its own variable, else MONGO_URL, else its own local process."""

from __future__ import annotations

import pytest

from baifang_common import stores
from checkin.settings import CheckinSettings
from gateway.settings import GatewaySettings

LOCAL = {
    "PLANNING_MONGO_URL": "mongodb://127.0.0.1:27018/",
    "CHECKIN_MONGO_URL": "mongodb://127.0.0.1:27019/",
    "COLLECTION_MONGO_URL": "mongodb://127.0.0.1:27020/",
    "ANALYTICS_MONGO_URL": "mongodb://127.0.0.1:27021/",
}


@pytest.mark.parametrize(
    "environ", [{}, {"MONGO_URL": "mongodb://127.0.0.1:27017/"}, {"MONGO_URL": "mongodb://localhost"}]
)
def test_the_local_stack_gives_each_service_its_own_store(environ: dict[str, str]) -> None:
    assert stores.service_urls(environ) == LOCAL


def test_a_moved_base_port_moves_every_store_and_one_can_move_alone() -> None:
    environ = {"MONGO_PORT": "27037", "MONGO_URL": "mongodb://127.0.0.1:27037/", "ANALYTICS_MONGO_PORT": "28000"}
    assert stores.service_urls(environ) == {
        "PLANNING_MONGO_URL": "mongodb://127.0.0.1:27038/",
        "CHECKIN_MONGO_URL": "mongodb://127.0.0.1:27039/",
        "COLLECTION_MONGO_URL": "mongodb://127.0.0.1:27040/",
        "ANALYTICS_MONGO_URL": "mongodb://127.0.0.1:28000/",
    }


def test_an_external_mongo_url_serves_every_service_and_explicit_ones_are_kept() -> None:
    assert stores.service_urls({"MONGO_URL": "mongodb://mongo.example:27017/"}) == {}
    placed = stores.service_urls({"CHECKIN_MONGO_URL": "mongodb://checkin-db:27017/"})
    assert "CHECKIN_MONGO_URL" not in placed and placed["PLANNING_MONGO_URL"] == LOCAL["PLANNING_MONGO_URL"]


def test_settings_read_their_own_variable_then_mongo_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONGO_URL", *LOCAL):
        monkeypatch.delenv(name, raising=False)
    assert CheckinSettings().mongo_url == LOCAL["CHECKIN_MONGO_URL"]
    assert GatewaySettings().mongo_url == "mongodb://127.0.0.1:27017/"
    monkeypatch.setenv("MONGO_URL", "mongodb://shared:27017/")
    assert (CheckinSettings().mongo_url, GatewaySettings().mongo_url) == ("mongodb://shared:27017/",) * 2
    monkeypatch.setenv("CHECKIN_MONGO_URL", "mongodb://own:27017/")
    assert (CheckinSettings().mongo_url, GatewaySettings().mongo_url) == (
        "mongodb://own:27017/",
        "mongodb://shared:27017/",
    )
