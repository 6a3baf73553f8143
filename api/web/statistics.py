"""Console: statistics with charts — new cases per month by risk kind, cases by stage, the most
active plaintiffs, law firms and brands, and the regions whose enterprises are targeted."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ipsentry.api.deps import ContextDep, SessionDep
from ipsentry.api.web.charts import bar_chart, stacked_columns
from ipsentry.api.web.deps import WebStaff, render, translator
from ipsentry.core.documents import RiskKind
from ipsentry.service.stats import MonthCounts, statistics

router = APIRouter(include_in_schema=False)


def _every_month(months: list[MonthCounts]) -> list[tuple[str, dict[str, int]]]:
    """The months from the first to the last with a case, empty ones included, so the time
    axis is even."""
    if not months:
        return []
    known = {month.month: month.counts for month in months}
    year, month = map(int, months[0].month.split("-"))
    last = months[-1].month
    filled = []
    while True:
        key = f"{year:04d}-{month:02d}"
        filled.append((key, known.get(key, {})))
        if key >= last:
            return filled
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(
    request: Request,
    session: SessionDep,
    context: ContextDep,
    principal: WebStaff,
    since: date | None = None,
    until: date | None = None,
) -> HTMLResponse:
    stats = statistics(session, context.index, since=since, until=until)
    t = translator(request)
    kinds = [kind.value for kind in RiskKind]
    charts = {
        "months": stacked_columns(
            _every_month(stats.cases_by_month),
            kinds,
            {kind: t.label("kind", kind) for kind in kinds},
            title=t("stats.cases_by_month"),
        ),
        "stages": bar_chart(
            [(t.label("stage", stage), count) for stage, count in list(stats.cases_by_stage.items())[:12]],
            title=t("stats.cases_by_stage"),
        ),
        "plaintiffs": bar_chart(
            [(c.name, c.count) for c in stats.top_plaintiffs], title=t("stats.plaintiffs")
        ),
        "firms": bar_chart([(c.name, c.count) for c in stats.top_firms], title=t("stats.firms")),
        "brands": bar_chart([(c.name, c.count) for c in stats.top_brands], title=t("stats.brands")),
        "regions": bar_chart(
            [(r.region or t("stats.region_unknown"), r.documents) for r in stats.respondent_regions],
            title=t("stats.regions"),
        ),
    }
    return render(
        request,
        "statistics.html",
        principal,
        nav="statistics",
        stats=stats,
        charts=charts,
        since=since,
        until=until,
    )
