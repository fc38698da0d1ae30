"""Request-scoped access to what ``create_app`` put on the application."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from examsvc.config import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _settings(request: Request) -> Settings:
    # Async: a sync dependency costs every request that uses it a hop to the thread pool.
    return get_settings(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
