"""/app/version: release metadata for the tablet app's update check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.deps import Deps, get_deps
from gateway.routes import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["app"])


@router.get("/app/version")
async def app_version(deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, str]:
    s = deps.settings
    return {"latest": s.app_latest_version, "minimum": s.app_minimum_version, "download_url": s.app_download_url}
