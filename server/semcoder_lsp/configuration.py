"""Settings: initialisation options, then the editor's `semcoder` section, pulled after `initialized`
and again on every change; `[tool.semcoder]` in pyproject.toml below both. Changes apply at once."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from .server import SemcoderServer

log = logging.getLogger(__name__)


def _section(value: Any) -> dict:
    """Clients send either the `semcoder` section itself or an object holding it."""
    if not isinstance(value, dict):
        return {}
    inner = value.get("semcoder")
    return inner if isinstance(inner, dict) else value


async def pull(server: SemcoderServer) -> None:
    if not server.supports("workspace", "configuration"):
        return
    params = types.ConfigurationParams(items=[types.ConfigurationItem(section="semcoder")])
    try:
        result = await server.workspace_configuration_async(params)
    except Exception as exc:  # noqa: BLE001 - a client that fails this keeps the other sources
        log.info("workspace/configuration failed: %s", exc)
        return
    server.editor_settings = _section(result[0]) if result else {}


def register(server: SemcoderServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: SemcoderServer, params: types.InitializeParams) -> None:
        ls.init_options = _section(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SemcoderServer, params: types.InitializedParams) -> None:
        # Never inside `initialize`: clients answer requests only once initialised.
        await pull(ls)
        if ls.editor_settings:
            ls.reload_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: SemcoderServer, params: types.DidChangeConfigurationParams) -> None:
        if ls.supports("workspace", "configuration"):
            await pull(ls)
        else:
            ls.editor_settings = _section(params.settings)
        ls.reload_settings()
