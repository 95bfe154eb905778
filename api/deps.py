"""Things routes need from the running app."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from api.gateway import Gateway
from core.settings import Settings


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def engine(request: Request) -> Engine:
    return request.app.state.engine


def settings(request: Request) -> Settings:
    return request.app.state.settings


def link_base(request: Request) -> str:
    """Where people reach the pages (one-time links name it): PUBLIC_URL, else the address this
    request came to."""
    return settings(request).public_url or str(request.base_url)


GatewayDep = Annotated[Gateway, Depends(gateway)]
EngineDep = Annotated[Engine, Depends(engine)]
SettingsDep = Annotated[Settings, Depends(settings)]
