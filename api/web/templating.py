"""Jinja2 for the console: the templates folder, and the filters that show times in the
configured time zone with that zone written out."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def format_datetime(value: datetime | None, zone: str) -> str:
    """``2026-02-05 14:03 UTC+08:00``: every time on a page says which clock it is on."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"


def format_date(value: date | None) -> str:
    return value.isoformat() if value else "—"


def build_templates(zone: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    environment = templates.env
    environment.filters["dt"] = lambda value: format_datetime(value, zone)
    environment.filters["d"] = format_date
    environment.globals["timezone"] = zone
    environment.trim_blocks = True
    environment.lstrip_blocks = True
    return templates
