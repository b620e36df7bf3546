"""The base task library (基础任务库) with work methods."""

from __future__ import annotations

from planning.adapters.task_library_store import TaskLibraryStore
from planning.domain.model import LibraryTask


def list_task_library(*, library: TaskLibraryStore) -> list[LibraryTask]:
    return library.list_all()
