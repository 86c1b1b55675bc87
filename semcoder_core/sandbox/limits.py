"""Resource limits of one sandboxed run."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Limits(BaseModel):
    timeout_s: float = Field(10.0, gt=0, description="wall-clock seconds for one run")
    memory_mb: int = Field(1024, ge=64, description="address space of the traced process")
    max_processes: int = Field(32, ge=1, description="processes the run may start")
    max_file_mb: int = Field(64, ge=1, description="largest file the run may write")
    max_output_bytes: int = Field(1_000_000, ge=1024, description="stdout/stderr kept per stream")
    grace_s: float = Field(1.5, ge=0, description="time past the timeout before the run is killed")
