"""Adapters own their driver's exceptions: a store or Redis outage reaches use cases as Unavailable."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from baifang_common import mongo
from baifang_common.errors import Unavailable
from baifang_common.mongo import store_adapter
from baifang_common.settings import ServiceSettings
from baifang_common.testing.plugin import StoreProcess, free_port

pytestmark = pytest.mark.integration


@store_adapter
class Notes:
    def __init__(self, collection: Collection[Any]) -> None:
        self.collection = collection

    def add(self, note_id: str) -> None:
        self.collection.insert_one({"_id": note_id})


def test_a_store_that_is_down_is_unavailable() -> None:
    client: MongoClient[Any] = MongoClient(f"mongodb://127.0.0.1:{free_port()}/", serverSelectionTimeoutMS=200)
    try:
        with pytest.raises(Unavailable) as info:
            Notes(client["baifang_test"]["notes"]).add("n1")
    finally:
        client.close()
    assert info.value.code == "unavailable"


THAW_AFTER_S = 15.0  # pymongo's defaults wait 20 s (connectTimeoutMS) before giving up on a frozen server


def test_a_frozen_store_is_unavailable_instead_of_a_stall(store_process: StoreProcess) -> None:
    """A store process that stops answering (SIGSTOP) after the client connected. The client's own
    timeouts (settings.mongo_options) end each wait with Unavailable while the store is still
    frozen; a client that waited instead would see its call succeed once the store thaws."""
    settings = ServiceSettings(mongo_url=store_process.url)
    client = mongo.client(settings)
    assert store_process.proc is not None
    pid = store_process.proc.pid
    try:
        notes = Notes(mongo.database(settings, client)["notes"])
        notes.add("before")
        os.kill(pid, signal.SIGSTOP)
        thaw = threading.Timer(THAW_AFTER_S, os.kill, (pid, signal.SIGCONT))
        thaw.start()
        try:
            for note in ("during-1", "during-2"):  # a pooled connection in hand, then a new server selection
                with pytest.raises(Unavailable):
                    notes.add(note)
        finally:
            thaw.cancel()
            os.kill(pid, signal.SIGCONT)
        notes.add("after")  # recovers by itself: same client, no restart
    finally:
        client.close()


def test_a_duplicate_key_is_an_answer_about_the_data_and_passes_unchanged(settings_for: Callable[..., Any]) -> None:
    settings = settings_for(ServiceSettings)
    client = mongo.client(settings)
    try:
        notes = Notes(mongo.database(settings, client)["notes"])
        notes.add("n1")
        with pytest.raises(DuplicateKeyError):
            notes.add("n1")
    finally:
        client.close()
