"""How much of a large portfolio a chart or a data note shows: the limits, in one place, and the words that say
what was left out.

A chart cannot split across pages. A roadmap of 2,800 projects or a status strip of 200 programs, scaled to one
page, is a grey smear, and a line chart of 200 programs repeats its six colours 33 times. Beyond these limits a
builder draws the rows that matter most (the latest projects, the programs in the worst state, the lowest
compliance) and its title says how many of how many it shows and where the rest are; the tables, which split
across pages with their header row, keep every row. A portfolio within the limits draws exactly what it drew
before.
"""

from __future__ import annotations

from collections.abc import Sequence

from pmo_nb.reporting.charts.theme import CATEGORY_COLORS

__all__ = ["CHART_ROWS", "CHART_LINES", "NOTE_NAMES", "listing"]

#: Rows of a chart with one row per program or project (the roadmap, status by month): what one landscape page
#: holds with its labels still readable.
CHART_ROWS = 30
#: Lines of a chart with one line per program (compliance by month): one colour each from the category palette.
CHART_LINES = len(CATEGORY_COLORS)
#: Names a data note lists before it says how many more there are.
NOTE_NAMES = 10


def listing(names: Sequence[str], limit: int = NOTE_NAMES) -> str:
    """``"A, B, C"``; beyond ``limit`` names ``"A, B, ... J and 190 more"``."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,d} more"
