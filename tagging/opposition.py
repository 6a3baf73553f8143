"""When a third party's trademark can be opposed, per office.

An opposition is the cheap way to stop a squatted mark: once the window after publication
closes, only a (slower, dearer) cancellation remains.  So every squatting alert carries the
deadline, or, for a mark not yet published, the window that will open on publication.

- US (USPTO): 30 days from publication in the Official Gazette (15 U.S.C. §1063(a)); an
  extension of time to oppose can be requested, up to 180 days from publication in all
  (37 C.F.R. §2.102).
- EU (EUIPO): 3 months from publication of the application (Art. 46(1) EUTMR); not extendable.
- UK (UKIPO): 2 months from publication, extendable once to 3 months by filing a notice of
  threatened opposition (form TM7A).

Periods in months end on the same day of the month (or the month's last day when that day does
not exist).  A deadline that falls on a day the office is closed moves to its next working day;
office holidays are not modelled here, so the date given is the nominal one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class OppositionRule:
    office: str
    days: int = 0
    months: int = 0
    extendable: bool = False
    extended_days: int = 0  # the longest window an extension can give, counted from publication
    extended_months: int = 0
    basis: str = ""

    def describe(self) -> str:
        length = f"{self.days} days" if self.days else f"{self.months} months"
        text = f"{length} from publication"
        if self.extendable:
            longest = f"{self.extended_days} days" if self.extended_days else f"{self.extended_months} months"
            text += f", extendable to {longest}"
        return text


RULES: dict[str, OppositionRule] = {
    "US": OppositionRule(
        "US", days=30, extendable=True, extended_days=180, basis="15 U.S.C. 1063; 37 CFR 2.102"
    ),
    "EU": OppositionRule("EU", months=3, basis="Art. 46(1) EUTMR"),
    "UK": OppositionRule("UK", months=2, extendable=True, extended_months=3, basis="UK TMA 1994 s.38; TM7A"),
}
# Names the sources use for the same offices.
_ALIASES = {"USA": "US", "USPTO": "US", "EM": "EU", "EUIPO": "EU", "GB": "UK", "UKIPO": "UK"}


@dataclass(frozen=True)
class OppositionWindow:
    """The opposition window of one mark.  ``deadline`` is None until the mark is published;
    ``expected`` then says which window will open."""

    office: str
    published: date | None
    deadline: date | None
    latest_extended: date | None
    extendable: bool
    expected: str

    def is_open(self, on: date) -> bool:
        return (
            self.published is not None and self.deadline is not None and self.published <= on <= self.deadline
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "office": self.office,
            "published": self.published.isoformat() if self.published else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "latest_extended": self.latest_extended.isoformat() if self.latest_extended else None,
            "extendable": self.extendable,
            "expected": self.expected,
        }


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the end of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _after(published: date, days: int, months: int) -> date:
    return published + timedelta(days=days) if days else add_months(published, months)


def opposition_window(office: str, published: date | None) -> OppositionWindow | None:
    """The window for a mark of ``office`` published on ``published`` (None: not yet published).
    None for an office whose rule is not known."""
    rule = RULES.get(_ALIASES.get(office.upper(), office.upper()))
    if rule is None:
        return None
    if published is None:
        return OppositionWindow(
            office=rule.office,
            published=None,
            deadline=None,
            latest_extended=None,
            extendable=rule.extendable,
            expected=f"not yet published: the window will be {rule.describe()} ({rule.basis})",
        )
    deadline = _after(published, rule.days, rule.months)
    latest = _after(published, rule.extended_days, rule.extended_months) if rule.extendable else None
    return OppositionWindow(
        office=rule.office,
        published=published,
        deadline=deadline,
        latest_extended=latest,
        extendable=rule.extendable,
        expected=f"{rule.describe()} ({rule.basis})",
    )
