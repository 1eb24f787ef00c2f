"""The sample portfolio: a deterministic, realistic PMO data set for demos, notebooks, tests and benchmarks.

``generate()`` builds the six tables of ``pmo_nb.schema`` (canonical columns, in order, typed as in
``pmo_nb.data.model``); ``write()`` saves them as a CSV folder, an Excel workbook or a Parquet folder. The CSV
output of ``generate()`` with the defaults is committed in ``data/sample/`` (``make sample`` regenerates it;
``tests/test_sample.py`` checks that nobody edits it by hand).

Everything is relative to the reporting month (``SAMPLE_PERIOD``, 2026-10): financials cover the
``months`` months up to and including it, dates of events (milestones achieved, risks closed, records
updated) never lie after its last day. The same seed gives byte-identical CSV files on any machine: only
``numpy.random.default_rng(seed)`` draws are used, with uniform draws and plain arithmetic (no clock, no
dict/set ordering, no transcendental functions whose last bit could differ between platforms).

How the numbers are made
------------------------
* PV follows an S-curve (smoothstep ``3x^2 - 2x^3``) over the baseline months and sums to the budget.
* EV = r(t) x cumulative PV and AC = EV / c(t), where r and c drift from 1 towards the project's designed
  SPI and CPI; at the reporting month (or at completion) they equal the design exactly, so the KPIs come
  out as designed. Finished projects end with cumulative EV = BAC. Cumulative amounts never decrease.
* Amounts are rounded to cents on the cumulative curve and differenced, so months sum exactly.

The designed projects (always the first 34 projects, in 5 programs) carry the situations a report must
show; ``SITUATIONS`` maps each designed project to its situation tags (described in ``SITUATION_TAGS``).
Larger portfolios (``programs=``, ``projects=``, ``months=``, ... or ``pmo-nb sample --scale N``) add
randomly drawn programs and projects built by the same vectorised code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from pmo_nb.data.model import empty_table
from pmo_nb.schema import TABLE_NAMES, TABLES

SAMPLE_PERIOD = "2026-10"
FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet")
Format = Literal["csv", "xlsx", "parquet"]
WORKBOOK_NAME = "portfolio.xlsx"

DEFAULT_SIZES: dict[str, int] = {
    "programs": 5,
    "projects": 34,
    "months": 24,
    "milestones": 220,
    "risks": 240,
    "issues": 180,
}

# --------------------------------------------------------------------------------------------------------
# The designed portfolio
# --------------------------------------------------------------------------------------------------------

# program_id, name, sponsor, manager, objective, clean (all projects green, no open high exposure)
_PROGRAMS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("PRG-DCX", "Digital Customer Experience", "Amelia Hartley", "Rahul Mehta",
     "Move 70% of customer service journeys to self-service digital channels by the end of 2027.", False),
    ("PRG-ERP", "ERP Modernisation", "Thomas Becker", "Ingrid Solberg",
     "Replace the legacy finance and supply-chain ERP with one cloud platform by Q2 2027.", False),
    ("PRG-NET", "Network & Infrastructure Refresh", "Grace Mwangi", "Daniel O'Connor",
     "Replace end-of-life network, data-centre and end-user hardware across 42 sites.", True),
    ("PRG-REG", "Regulatory Compliance 2027", "Catherine Dubois", "Kenji Watanabe",
     "Meet the 2027 operational-resilience, reporting and data-protection obligations on time.", False),
    ("PRG-DAP", "Data & Analytics Platform", "Marcus Lindqvist", "Priya Raman",
     "Deliver a governed enterprise data platform and self-service analytics for every division.", False),
)

# Month indices count from the first month of a 24-month window ending in the reporting month
# (0 = 2024-11, 23 = 2026-10 for the sample period). ``months`` is the baseline duration (start month to
# finish month inclusive); ``late`` is how many months after the baseline finish a finished project
# actually finished. ``stale`` is the age in days of last_updated (None: updated this month).
# project_id, name, manager, phase, start, months, late, budget, spi, cpi, reported, stale, comment
_PROJECTS: tuple[tuple, ...] = (
    ("DCX-001", "Customer Portal Redesign", "Sofia Almeida", "execution", 4, 26, 0, 4_200_000, 0.99, 1.01,
     "green", None, "Release 3 of the portal went live on schedule; release 4 design reviews are under way."),
    ("DCX-002", "Mobile App 2.0", "Jonas Weber", "execution", 2, 24, 0, 6_800_000, 0.84, 0.86,
     "green", None, "Good progress overall. Beta feedback is positive and the remaining defects are minor; "
     "we expect to recover the beta slippage in the next sprints."),
    ("DCX-003", "Contact Centre Cloud Migration", "Aisha Bello", "execution", 6, 20, 0, 3_500_000, 0.94, 0.97,
     "amber", None, "Telephony cut-over for site 2 moved three weeks after carrier delays; "
     "recovery plan agreed with the vendor."),
    ("DCX-004", "Chatbot & Virtual Agent", "Lucas Moreau", "planning", 20, 14, 0, 900_000, 1.0, 1.0,
     "green", None, "Vendor shortlist complete; solution design workshops booked for November."),
    ("DCX-005", "CRM Consolidation", "Hannah Kowalski", "execution", 1, 30, 0, 12_500_000, 0.97, 0.83,
     "red", None, "Integration partner rates rose 18% under change request CR-041. Re-baseline request "
     "goes to the steering committee on 12 November."),
    ("DCX-006", "Web Accessibility Remediation", "Mateo García", "closed", 0, 12, 1, 450_000, 0.95, 1.04,
     "green", None, "Closed. WCAG 2.2 AA audit passed; lessons learned filed."),
    ("DCX-007", "Customer Identity & Login", "Chloé Martin", "closing", 3, 20, 0, 2_100_000, 0.96, 0.96,
     "green", None, "Single sign-on live for all customers; hypercare ended, closure report in review."),
    ("DCX-008", "Personalisation Engine", "Rahul Mehta", "initiation", 24, 12, 0, 1_600_000, 1.0, 1.0,
     "green", None, "Business case approved in October; project starts in November."),
    ("ERP-001", "Finance Core (GL, AP, AR)", "Oliver Grant", "execution", 0, 28, 0, 18_500_000, 0.86, 0.88,
     "amber", None, "Second data-migration rehearsal failed reconciliation; go-live under review. "
     "Extra systems-integrator capacity approved."),
    ("ERP-002", "Supply Chain & Procurement", "Fatima Zahra", "execution", 5, 26, 0, 14_000_000, 0.82, 0.96,
     "green", None, "Build sprints 9 to 11 complete and the data-migration dry run went well. Status green."),
    ("ERP-003", "Data Migration", "Erik Johansson", "execution", 4, 22, 0, 3_200_000, 0.97, 0.98,
     "green", None, "Year-end freeze respected (no work planned in December 2025); cleansing at 92%."),
    ("ERP-004", "HR & Payroll", "Nadia Petrova", "planning", 19, 18, 0, 5_500_000, 1.0, 0.99,
     "green", None, "Requirements signed off by HR; payroll country scoping in progress."),
    ("ERP-005", "Legacy Decommissioning", "Samuel Adeyemi", "initiation", 23, 10, 0, 750_000, 1.0, 1.0,
     "green", None, "Project started in October; application inventory under way."),
    ("ERP-006", "Chart of Accounts Redesign", "Laura Rossi", "closed", 0, 10, 2, 620_000, 0.9, 0.91,
     "amber", None, "Closed two months late after the audit committee asked for an extra review cycle."),
    ("ERP-007", "Integration Middleware", "Wei Chen", "execution", 3, 24, 0, 4_800_000, 1.02, 0.92,
     "amber", 95, "Licence true-up higher than planned; options paper in preparation."),
    ("NET-001", "WAN & SD-WAN Rollout", "Connor Walsh", "execution", 2, 28, 0, 7_900_000, 1.0, 1.02,
     "green", None, "31 of 42 sites migrated to SD-WAN; remaining sites scheduled through Q1 2027."),
    ("NET-002", "Data Centre Consolidation", "Mariam Haddad", "execution", 6, 24, 0, 9_600_000, 0.98, 0.99,
     "green", None, "Second hall emptied; storage migration wave 4 complete."),
    ("NET-003", "End-User Device Refresh", "Tomasz Nowak", "closing", 1, 22, 0, 5_200_000, 0.98, 1.03,
     "green", None, "All 6,400 laptops replaced; asset disposal certificates being collected."),
    ("NET-004", "Wi-Fi 6 Campus Upgrade", "Isabel Fernández", "closed", 0, 14, 0, 1_300_000, 1.0, 1.01,
     "green", None, "Closed on time and under budget."),
    ("NET-005", "Firewall Replacement", "Ahmed Karimi", "planning", 20, 12, 0, 800_000, 1.0, 1.0,
     "green", None, "Design approved by security architecture; purchase order raised."),
    ("NET-006", "Backup & Recovery Modernisation", "Emily Clarke", "execution", 9, 20, 0, 2_400_000,
     0.99, 0.98, "green", None, "Immutable backups live for tier-1 systems; restore tests passed."),
    ("REG-001", "Operational Resilience (DORA)", "Julien Lefèvre", "execution", 3, 24, 0, 3_900_000,
     0.88, 0.97, "amber", None,
     "Third-party register late: supplier data still incomplete. Escalated to procurement."),
    ("REG-002", "Regulatory Reporting Automation", "Anna Schmidt", "execution", 7, 20, 0, 2_600_000,
     0.96, 0.93, "amber", None,
     "Extra validation rules required by the regulator's new taxonomy; cost pressure."),
    ("REG-003", "GDPR Records Retention", "Pedro Santos", "closing", 2, 21, 1, 1_100_000, 0.92, 0.89,
     "amber", None, "Retention rules live in all systems, one month late; closure report drafted."),
    ("REG-004", "AML Transaction Monitoring", "Yuki Tanaka", "execution", 4, 26, 0, 6_300_000, 0.99, 0.98,
     "green", None, "Model tuning on track. Regulator's draft guidance may change scenario coverage."),
    ("REG-005", "ESG Disclosure (CSRD)", "Sarah Goldberg", "planning", 18, 16, 0, 1_400_000, 1.0, 1.0,
     "green", None, "Double materiality assessment complete; data sourcing plan in review."),
    ("REG-006", "European Accessibility Act Compliance", "Kofi Mensah", "initiation", 22, 12, 0, 380_000,
     1.0, 1.0, "green", None, "Charter approved; gap assessment of customer channels started."),
    ("DAP-001", "Cloud Data Platform Foundation", "Elena Popescu", "closed", 0, 16, 1, 4_400_000, 0.95, 0.94,
     "green", None, "Closed. Platform handed over to run teams."),
    ("DAP-002", "Master Data Management", "Michael Brennan", "execution", 5, 24, 0, 3_800_000, 0.78, 0.81,
     "red", None, "Customer match rules rejected by the business twice. Re-plan and extra budget requested."),
    ("DAP-003", "Self-Service Analytics Rollout", "Olga Ivanova", "execution", 8, 18, 0, 1_900_000,
     0.99, 0.87, "green", 130, "Rollout going well, training sessions fully booked."),
    ("DAP-004", "Data Governance & Catalogue", "Ravi Shankar", "execution", 6, 22, 0, 1_200_000, 1.01, 1.0,
     "green", None, "Catalogue covers 64% of critical data elements; stewards appointed in all divisions."),
    ("DAP-005", "ML Demand Forecasting Pilot", "Camille Bernard", "closed", 4, 8, 0, 260_000, 1.0, 0.97,
     "green", None, "Pilot closed; forecast error down 11%. Scale-up moves to the 2027 plan."),
    ("DAP-006", "Data Literacy Programme", "Lena Fischer", "planning", 21, 9, 0, 55_000, 1.0, 1.0,
     "green", None, "Curriculum agreed with HR; first cohort in January."),
    ("DAP-007", "Real-time Event Streaming", "Diego Herrera", "planning", 20, 15, 0, 2_900_000, 1.0, 1.0,
     "green", None, "Architecture options paper approved; platform team onboarding."),
)

# Designed projects: month (0-based within the project) with no planned value.
_FLAT_PV = {"ERP-003": 9}  # 2025-12, the year-end freeze
_MISSED_KEY = ("DCX-002", "REG-001")
_CRITICAL_RISK = ("DCX-002", "ERP-001", "REG-004", "DAP-002")

SITUATION_TAGS: dict[str, str] = {
    "on_track": "CPI and SPI >= 0.95",
    "over_budget": "CPI < 0.90",
    "behind_schedule": "SPI < 0.90",
    "green_mismatch": "reported green while CPI or SPI < 0.90",
    "amber_band": "CPI or SPI between 0.90 and 0.95, neither below 0.90",
    "finished": "cumulative EV equals the budget (BAC)",
    "flat_pv": "a month with no planned value in the middle of the project",
    "no_financials": "in initiation, no financials yet",
    "missed_key_milestone": "a key milestone whose baseline has passed is not achieved",
    "critical_risk": "an open risk with probability x impact >= 20",
    "stale": "last_updated older than 60 days",
    "clean_program": "in the clean, green program (PRG-NET)",
}

SITUATIONS: dict[str, tuple[str, ...]] = {
    "DCX-001": ("on_track",),
    "DCX-002": ("over_budget", "behind_schedule", "green_mismatch", "missed_key_milestone", "critical_risk"),
    "DCX-003": ("amber_band",),
    "DCX-005": ("over_budget",),
    "DCX-006": ("finished",),
    "DCX-007": ("finished",),
    "DCX-008": ("no_financials",),
    "ERP-001": ("over_budget", "behind_schedule", "critical_risk"),
    "ERP-002": ("behind_schedule", "green_mismatch"),
    "ERP-003": ("on_track", "flat_pv"),
    "ERP-006": ("finished",),
    "ERP-007": ("amber_band", "stale"),
    "NET-001": ("on_track", "clean_program"),
    "NET-002": ("on_track", "clean_program"),
    "NET-003": ("finished", "clean_program"),
    "NET-004": ("finished", "clean_program"),
    "NET-005": ("clean_program",),
    "NET-006": ("on_track", "clean_program"),
    "REG-001": ("behind_schedule", "missed_key_milestone"),
    "REG-002": ("amber_band",),
    "REG-003": ("finished", "over_budget"),
    "REG-004": ("on_track", "critical_risk"),
    "DAP-001": ("finished",),
    "DAP-002": ("over_budget", "behind_schedule", "critical_risk"),
    "DAP-003": ("over_budget", "green_mismatch", "stale"),
    "DAP-004": ("on_track",),
    "DAP-005": ("finished",),
}

# --------------------------------------------------------------------------------------------------------
# Vocabulary for drawn content
# --------------------------------------------------------------------------------------------------------

_PEOPLE = (
    "Abena Owusu", "Adam Novak", "Alejandro Ruiz", "Alice Dupont", "Amara Nwosu", "Ana Costa",
    "Arjun Patel", "Beatriz Lima", "Ben Carter", "Carlos Mendes", "Charlotte Evans", "Chen Jing",
    "Dmitri Volkov", "Eva Lindgren", "Farah Siddiqui", "Felix Braun", "Gabriel Silva", "Hiroshi Sato",
    "Ines Moreau", "Jack Thompson", "Jana Dvořák", "Karim Benali", "Katarzyna Zielińska", "Liam Byrne",
    "Maja Hansen", "Marco Bianchi", "Mei Lin", "Mohammed Al-Sayed", "Nora Berg", "Noah Fischer",
    "Oluwaseun Adebayo", "Paula Jiménez", "Rachel Green", "Riya Kapoor", "Sean Murphy", "Sipho Dlamini",
    "Sven Eriksson", "Tanvir Ahmed", "Valentina Greco", "Zeynep Yilmaz",
)

_MILESTONE_STAGES = (
    "Project charter approved",
    "Requirements signed off",
    "Solution design approved",
    "Build complete",
    "Integration testing complete",
    "User acceptance sign-off",
    "Go-live",
    "Project closure approved",
)
_KEY_STAGES = (2, 6)

_RISK_CATEGORIES = ("Technical", "Commercial", "Resource", "Schedule", "Regulatory", "Security", "Supplier")
_RISK_CATEGORY_WEIGHTS = (0.22, 0.12, 0.17, 0.17, 0.1, 0.1, 0.12)
_RISK_TITLES = {
    "Technical": ("Legacy interfaces undocumented", "Performance below target under peak load",
                  "Data quality too poor for migration", "Test environments unstable",
                  "Integration with core banking more complex than estimated"),
    "Commercial": ("Vendor price increase at contract renewal", "Currency movement on licence costs",
                   "Change requests exceed contingency", "Benefits case relies on unconfirmed volumes"),
    "Resource": ("Key architect may leave", "Business SMEs not released for testing",
                 "Contractor rates above budget", "Competing priorities for the shared DevOps team"),
    "Schedule": ("Dependency on upstream release slips", "Procurement lead time longer than planned",
                 "Year-end change freeze compresses test window", "Late sign-off of requirements"),
    "Regulatory": ("Regulator guidance may change scope", "Data residency rules for cloud hosting",
                   "Audit findings require rework", "New reporting taxonomy published late"),
    "Security": ("Penetration test finds critical vulnerabilities", "Privileged access not yet controlled",
                 "Third-party component with known CVE", "Phishing exposure during rollout"),
    "Supplier": ("Supplier insolvency", "Hardware delivery delays from the manufacturer",
                 "Systems integrator under-staffs the project", "Offshore team attrition"),
}
_RISK_RESPONSES = {
    "Technical": ("Run a technical spike and add performance tests",
                  "Engage the original vendor for a review"),
    "Commercial": ("Negotiate a price cap in the renewal", "Hold contingency and review monthly"),
    "Resource": ("Agree a backfill and knowledge-transfer plan",
                 "Secure named SMEs through the steering group"),
    "Schedule": ("Re-sequence work to protect the critical path", "Agree a dependency plan with the owner"),
    "Regulatory": ("Monthly check-in with compliance", "Design for configurable rules"),
    "Security": ("Remediate before go-live and re-test", "Apply compensating controls"),
    "Supplier": ("Identify a second source", "Weekly supplier performance review"),
}
_ISSUE_TITLES = (
    "Test environment unavailable", "Defect backlog above threshold", "Key supplier deliverable late",
    "Data migration reconciliation breaks", "Budget code not yet opened", "Access requests pending",
    "Requirements change from the business", "Licence keys not delivered", "Interface specification missing",
    "Resource gap in the test team", "Performance test failed", "Change advisory board rejected release",
    "Training material not approved", "Site access delayed", "Security review findings open",
)
_COMMENTS = {
    "green": ("On track; next milestone planned as baselined.", "Progress as planned, no escalations.",
              "Delivery on plan; risks under control."),
    "amber": ("Some slippage; recovery plan in place.", "Cost pressure from change requests; monitoring.",
              "Resourcing gap being closed; watch next month."),
    "red": ("Significant overrun; re-baseline needed.", "Critical path slipped; escalated to the sponsor.",
            "Budget exceeded; recovery options going to the steering group."),
}
_EXTRA_THEMES = (
    "Workplace Transformation", "Cyber Security Uplift", "Payments Modernisation", "Branch Network Redesign",
    "Cloud Migration", "Finance Transformation", "Procurement Excellence", "Customer Onboarding",
    "Field Service Mobility", "Sustainability Programme", "Core Platform Renewal", "Partner Ecosystem",
)
_EXTRA_PROJECT_NAMES = (
    "Discovery & Design", "Platform Build", "Data Migration", "Process Redesign", "Pilot Rollout",
    "Wave 1 Rollout", "Wave 2 Rollout", "Integration", "Training & Adoption", "Decommissioning",
    "Vendor Selection", "Reporting & Analytics", "Security Hardening", "Infrastructure Upgrade",
)


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def _month_number(period: str) -> int:
    try:
        if len(period) != 7 or period[4] != "-":
            raise ValueError(period)
        p = pd.Period(period, freq="M")
    except (ValueError, TypeError):
        raise ValueError(f"period {period!r} is not a month: use YYYY-MM, e.g. {SAMPLE_PERIOD}") from None
    return p.year * 12 + p.month - 1


def _month_start(number: np.ndarray) -> np.ndarray:
    """First day (datetime64[D]) of absolute month numbers (year * 12 + month - 1)."""
    return (np.asarray(number) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _month_end(number: np.ndarray) -> np.ndarray:
    return _month_start(np.asarray(number) + 1) - np.timedelta64(1, "D")


def _days(n: np.ndarray | int) -> np.ndarray:
    return np.asarray(n).astype("timedelta64[D]")


def _apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` items over weights by largest remainder (deterministic, sums exactly)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    base = np.floor(raw).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-owner counts, the owner index and the 0-based position of each item."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    return owner, np.arange(len(owner)) - first


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Bell-shaped noise in [-1.5, 1.5] with standard deviation 0.5, from uniforms only."""
    return rng.random(shape) + rng.random(shape) + rng.random(shape) - 1.5


def _ids(prefix: pd.Series | np.ndarray, sep: str, numbers: np.ndarray, width: int) -> np.ndarray:
    nums = pd.Series(numbers + 1).astype(str).str.zfill(width)
    return (pd.Series(prefix, dtype=object).reset_index(drop=True) + sep + nums).to_numpy(dtype=object)


def _phase_of(start: np.ndarray, finish: np.ndarray, months: np.ndarray, last: int) -> np.ndarray:
    """Lifecycle phase implied by month indices (finish = actual or forecast finish month)."""
    elapsed = last - start + 1
    return np.select(
        [start >= last - 1, elapsed < np.maximum(2, months // 5), finish <= last - 2, finish <= last],
        ["initiation", "planning", "closed", "closing"],
        "execution",
    ).astype(object)


# --------------------------------------------------------------------------------------------------------
# Blueprint: one row per program / project with the design parameters
# --------------------------------------------------------------------------------------------------------


def _programs(rng: np.random.Generator, n: int) -> pd.DataFrame:
    columns = ["program_id", "name", "sponsor", "manager", "objective", "clean"]
    core = pd.DataFrame(list(_PROGRAMS), columns=columns)
    extra = n - len(core)
    if extra <= 0:
        return core
    num = np.arange(len(core) + 1, n + 1)
    theme = np.asarray(_EXTRA_THEMES, dtype=object)[(num - 1) % len(_EXTRA_THEMES)]
    codes = pd.Series(num).astype(str).str.zfill(3)
    names = pd.Series(theme) + " " + ((num - 1) // len(_EXTRA_THEMES) + 1).astype(str)
    more = pd.DataFrame({
        "program_id": ("PRG-P" + codes).to_numpy(dtype=object),
        "name": names.to_numpy(dtype=object),
        "sponsor": _pick(rng, _PEOPLE, extra),
        "manager": _pick(rng, _PEOPLE, extra),
        "objective": ("Deliver the " + names + " outcomes agreed in the business plan.")
        .to_numpy(dtype=object),
        "clean": False,
    })
    return pd.concat([core, more], ignore_index=True)


def _projects(rng: np.random.Generator, programs: pd.DataFrame, n: int, months: int) -> pd.DataFrame:
    cols = ["project_id", "name", "manager", "phase", "start", "months", "late", "budget", "spi", "cpi",
            "reported_status", "stale", "status_comment"]
    core = pd.DataFrame([list(p) for p in _PROJECTS], columns=cols)
    core["program_id"] = "PRG-" + core["project_id"].str[:3]
    core["start"] = core["start"] + (months - 24)
    core["stale"] = core["stale"].fillna(-1).astype(np.int64)
    core["flat"] = core["project_id"].map(_FLAT_PV).fillna(-1).astype(np.int64)
    core["missed_key"] = core["project_id"].isin(_MISSED_KEY)
    core["critical"] = core["project_id"].isin(_CRITICAL_RISK)
    extra = n - len(core)
    if extra > 0:
        core = pd.concat([core, _extra_projects(rng, programs.iloc[len(_PROGRAMS):], extra, months)],
                         ignore_index=True)
    core["clean"] = core["program_id"].map(programs.set_index("program_id")["clean"]).astype(bool)
    return core


def _extra_projects(rng: np.random.Generator, programs: pd.DataFrame, n: int, months: int) -> pd.DataFrame:
    last = months - 1
    counts = _apportion(n, np.ones(len(programs)))
    owner, pos = _expand(counts)
    program_ids = programs["program_id"].to_numpy(dtype=object)[owner]
    pids = _ids(pd.Series(program_ids).str[4:], "-", pos, 3)
    # long projects, many running since the start of the history: a benchmark portfolio is mostly active
    duration = rng.integers(max(4, months // 4), 2 * months + 1, n)
    start = np.where(rng.random(n) < 0.4, 0, np.floor(months * rng.random(n) ** 2).astype(np.int64))
    late = np.where(rng.random(n) < 0.35, rng.integers(1, 4, n), 0)
    phase = _phase_of(start, start + duration - 1 + late, duration, last)
    ongoing = (phase == "execution") | (phase == "planning")
    spi = np.where(phase == "execution", 0.965 + 0.09 * _noise(rng, (n,)), 1.0 + 0.02 * _noise(rng, (n,)))
    cpi = np.where(phase == "initiation", 1.0, 0.965 + 0.09 * _noise(rng, (n,)))
    spi = np.where(ongoing, spi, np.where(phase == "initiation", 1.0, 0.92 + 0.05 * _noise(rng, (n,))))
    spi, cpi = np.round(spi, 3), np.round(cpi, 3)
    worst = np.where(phase == "execution", np.minimum(spi, cpi), cpi)
    computed = np.select([worst >= 0.95, worst >= 0.90], ["green", "amber"], "red").astype(object)
    reported = np.where(rng.random(n) < 0.12, "green", computed).astype(object)
    # budget bands: 50k-250k, 250k-1M, 1M-5M, 5M-20M
    lo = np.array([50_000, 250_000, 1_000_000, 5_000_000])
    hi = np.array([250_000, 1_000_000, 5_000_000, 20_000_000])
    band = rng.choice(4, size=n, p=[0.2, 0.35, 0.35, 0.1])
    budget = np.round((lo[band] + rng.random(n) * (hi[band] - lo[band])) / 5_000) * 5_000
    comment_idx = rng.integers(0, 3, n)
    comment = np.array([_COMMENTS[r][i] for r, i in zip(reported, comment_idx, strict=True)], dtype=object)
    name = _pick(rng, _EXTRA_PROJECT_NAMES, n)
    return pd.DataFrame({
        "project_id": pids,
        "name": (pd.Series(programs["name"].to_numpy(dtype=object)[owner]) + ": " + name)
        .to_numpy(dtype=object),
        "manager": _pick(rng, _PEOPLE, n),
        "phase": phase,
        "start": start,
        "months": duration,
        "late": late,
        "budget": budget,
        "spi": spi,
        "cpi": cpi,
        "reported_status": reported,
        "stale": np.where(rng.random(n) < 0.06, rng.integers(61, 181, n), -1),
        "status_comment": comment,
        "program_id": program_ids,
        "flat": np.where((rng.random(n) < 0.03) & (duration >= 8), duration // 2, -1),
        "missed_key": rng.random(n) < 0.02,
        "critical": rng.random(n) < 0.05,
    })


# --------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------


def _financials(rng: np.random.Generator, bp: pd.DataFrame, first_month: int, months: int) -> pd.DataFrame:
    """Monthly PV/EV/AC for every project-month while the project is active, vectorised over a matrix."""
    last = months - 1
    t = np.arange(months)[None, :]
    s = bp["start"].to_numpy()[:, None]
    d = bp["months"].to_numpy()[:, None]
    late = bp["late"].to_numpy()[:, None]
    bac = bp["budget"].to_numpy(dtype=float)[:, None]
    spi = bp["spi"].to_numpy(dtype=float)[:, None]
    cpi = bp["cpi"].to_numpy(dtype=float)[:, None]
    flat = bp["flat"].to_numpy()[:, None]
    finish = s + d - 1 + late
    finished = finish <= last
    k = t - s

    def smooth(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0.0, 1.0)
        return x * x * (3.0 - 2.0 * x)

    cum_pv = bac * np.where(k == flat, smooth(k / d), smooth((k + 1) / d))

    observed = np.minimum(finish, last) - s + 1
    xo = np.clip((k + 1) / np.maximum(observed, 1), 0.0, 1.0)
    ease = xo * (2.0 - xo)
    xb = np.clip((k + 1) / d, 0.0, 1.0)
    fade = 1.0 - xo
    ev_noise = 0.02 * _noise(rng, cum_pv.shape) * fade
    ac_noise = 0.02 * _noise(rng, cum_pv.shape) * fade
    # ongoing: EV/PV drifts from 1 to the designed SPI at the reporting month
    r_ongoing = 1.0 + (spi - 1.0) * ease
    # finished on time: EV/PV dips towards SPI mid-way and returns to 1 at the finish;
    # finished late: EV/PV reaches SPI at the baseline finish, then EV climbs linearly to BAC
    r_finished = np.where(late == 0, 1.0 + (spi - 1.0) * 4.0 * xb * (1.0 - xb),
                          1.0 + (spi - 1.0) * xb * (2.0 - xb))
    r = np.where(finished, r_finished, r_ongoing) + ev_noise
    cum_ev = np.minimum(r * cum_pv, bac)
    ev_at_baseline = bac * np.minimum(np.where(late == 0, 1.0, spi), 1.0)
    catch_up = ev_at_baseline + (bac - ev_at_baseline) * (k - d + 1) / np.maximum(late, 1)
    cum_ev = np.where(finished & (k >= d), np.minimum(catch_up, bac), cum_ev)
    cum_ev = np.where(finished & (k >= finish - s), bac, cum_ev)
    cum_ev = np.where(k < 0, 0.0, cum_ev)
    cum_ev = np.maximum.accumulate(cum_ev, axis=1)

    c = 1.0 + (cpi - 1.0) * ease + ac_noise
    cum_ac = np.maximum.accumulate(np.where(k < 0, 0.0, cum_ev / c), axis=1)

    def monthly(cum: np.ndarray) -> np.ndarray:
        cents = np.round(cum * 100.0)
        return np.diff(cents, axis=1, prepend=0.0) / 100.0

    active = (k >= 0) & (t <= finish)
    rows, cols = np.nonzero(active)
    starts = _month_start(first_month + np.arange(months)).astype(str)
    periods = pd.Series(starts).str[:7].to_numpy(dtype=object)
    return pd.DataFrame({
        "project_id": bp["project_id"].to_numpy(dtype=object)[rows],
        "period": periods[cols],
        "planned_value": monthly(cum_pv)[rows, cols],
        "earned_value": monthly(cum_ev)[rows, cols],
        "actual_cost": monthly(cum_ac)[rows, cols],
    })


def _project_dates(rng: np.random.Generator, bp: pd.DataFrame, first_month: int,
                   months: int) -> dict[str, np.ndarray]:
    """Baseline/forecast dates (datetime64[D]), slip days and last_updated of each project."""
    n = len(bp)
    last = months - 1
    report_end = _month_end(first_month + last)
    s = bp["start"].to_numpy()
    d = bp["months"].to_numpy()
    late = bp["late"].to_numpy()
    spi = bp["spi"].to_numpy(dtype=float)
    b_start = _month_start(first_month + s) + _days(rng.integers(0, 10, n))
    b_finish = _month_end(first_month + s + d - 1) - _days(rng.integers(0, 10, n))
    finish_month = s + d - 1 + late
    finished = finish_month <= last
    actual = np.maximum(_month_end(first_month + finish_month) - _days(rng.integers(0, 7, n)), b_finish)
    actual = np.where(late == 0, b_finish, actual)
    elapsed = (report_end - b_start).astype(np.int64)
    behind = np.where(spi < 0.98, np.maximum(0.0, 1.0 / spi - 1.0), 0.0)
    slip_ongoing = np.round(behind * np.maximum(elapsed, 0)).astype(np.int64)
    slip = np.where(finished, (actual - b_finish).astype(np.int64), slip_ongoing)
    forecast = np.where(finished, actual, b_finish + _days(slip))
    stale = bp["stale"].to_numpy()
    age = np.where(stale >= 0, stale, rng.integers(0, 15, n))
    return {
        "baseline_start": b_start, "baseline_finish": b_finish, "forecast_finish": forecast,
        "slip": slip, "finished": finished, "last_updated": report_end - _days(age),
    }


def _milestones(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
                report_end: np.datetime64) -> pd.DataFrame:
    counts = _apportion(total, bp["months"].to_numpy(dtype=float))
    p, j = _expand(counts)
    n = len(p)
    k = counts[p]
    frac = np.where(k > 1, j / np.maximum(k - 1, 1), 1.0)  # first at the start, last at the finish
    stage = np.floor((j + 0.5) / k * len(_MILESTONE_STAGES)).astype(np.int64)
    base_name = np.asarray(_MILESTONE_STAGES, dtype=object)[stage]
    # a stage that repeats within a project (many milestones) gets a release number
    rep = pd.DataFrame({"p": p, "stage": stage}).groupby(["p", "stage"]).cumcount().to_numpy()
    name = np.where(rep > 0, base_name + " (release " + (rep + 1).astype(str).astype(object) + ")", base_name)
    b_start = dates["baseline_start"][p]
    b_finish = dates["baseline_finish"][p]
    span = (b_finish - b_start).astype(np.int64)
    baseline = b_start + _days(np.round(frac * span).astype(np.int64))
    slip = dates["slip"][p].astype(float)
    elapsed = np.maximum((report_end - b_start).astype(np.int64), 1)
    progress = np.clip((baseline - b_start).astype(np.int64) / elapsed, 0.0, 1.0)
    finished = dates["finished"][p]
    own_slip = np.where(finished, slip * frac, np.where(baseline <= report_end, slip * progress, slip))
    own_slip = np.round(own_slip).astype(np.int64)
    on_time = own_slip == 0
    jitter = np.where(on_time, -rng.integers(0, 6, n), rng.integers(0, 5, n))
    expected = baseline + _days(own_slip + jitter)
    if finished.any():  # finished projects achieved everything by their finish date
        finish = dates["forecast_finish"][p]
        expected = np.where(finished, np.minimum(expected, finish), expected)
    achieved = expected <= report_end
    key = np.isin(stage, _KEY_STAGES)
    # designed: the latest key milestone due by the reporting month is not achieved
    missed_key = bp["missed_key"].to_numpy()[p] & key & (baseline <= report_end) & ~finished
    frame = pd.DataFrame({"p": p, "b": baseline, "m": missed_key})
    latest = frame[frame["m"]].sort_values(["p", "b"], kind="mergesort").groupby("p").tail(1).index
    force = np.zeros(n, dtype=bool)
    force[latest.to_numpy()] = True
    achieved &= ~force
    # an achieved milestone's forecast is its actual date; an open on-time one is forecast at its baseline
    forecast = np.where(on_time & ~achieved, baseline, expected)
    forecast = np.where(force, np.maximum(expected, report_end + np.timedelta64(30, "D")), forecast)
    nat = np.datetime64("NaT", "D")
    return pd.DataFrame({
        "milestone_id": _ids(bp["project_id"].to_numpy(dtype=object)[p], "-M", j, 1),
        "project_id": bp["project_id"].to_numpy(dtype=object)[p],
        "name": name.astype(object),
        "baseline_date": baseline,
        "forecast_date": forecast,
        "actual_date": np.where(achieved, expected, nat),
        "key_milestone": key,
    })


def _window(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A random day in [lo, hi] (datetime64[D] arrays)."""
    width = np.maximum((hi - lo).astype(np.int64), 0)
    return lo + _days(np.floor(rng.random(len(lo)) * (width + 1)).astype(np.int64))


def _item_frame(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
                report_end: np.datetime64) -> dict[str, np.ndarray]:
    """Shared part of risks and issues: project, position, raised date, life-cycle facts."""
    phase = bp["phase"].to_numpy(dtype=object)
    weight = np.sqrt(bp["budget"].to_numpy(dtype=float)) * np.select(
        [phase == "initiation", phase == "planning", phase == "closed"], [0.4, 0.7, 0.6], 1.0)
    counts = _apportion(total, weight)
    p, j = _expand(counts)
    b_start = dates["baseline_start"][p]
    end = np.minimum(dates["forecast_finish"][p], report_end)
    lo = np.minimum(b_start - np.timedelta64(30, "D"), end)
    raised = _window(rng, lo, end)
    return {"p": p, "j": j, "raised": raised, "finished": dates["finished"][p],
            "finish": dates["forecast_finish"][p], "clean": bp["clean"].to_numpy()[p],
            "budget": bp["budget"].to_numpy(dtype=float)[p], "critical": bp["critical"].to_numpy()[p]}


def _close(rng: np.random.Generator, it: dict[str, np.ndarray], p_close: float, lo_days: int, hi_days: int,
           report_end: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    n = len(it["p"])
    raised = it["raised"]
    closed_on = raised + _days(rng.integers(lo_days, hi_days + 1, n))
    after_finish = np.minimum(it["finish"] + np.timedelta64(30, "D"), report_end)
    limit = np.where(it["finished"], after_finish, report_end)
    closed = ((rng.random(n) < p_close) & (closed_on <= report_end)) | it["finished"]
    closed_on = np.maximum(np.minimum(closed_on, limit), raised)
    return closed, closed_on


def _risks(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
           report_end: np.datetime64) -> pd.DataFrame:
    it = _item_frame(rng, bp, dates, total, report_end)
    p, n = it["p"], len(it["p"])
    cat = rng.choice(len(_RISK_CATEGORIES), size=n, p=_RISK_CATEGORY_WEIGHTS)
    category = np.asarray(_RISK_CATEGORIES, dtype=object)[cat]
    pick = rng.random(n)
    pairs = list(zip(category, pick, strict=True))
    title = np.array([_RISK_TITLES[c][int(u * len(_RISK_TITLES[c]))] for c, u in pairs], dtype=object)
    response = np.array([_RISK_RESPONSES[c][int(u * 7) % 2] for c, u in pairs], dtype=object)
    level_p = [0.14, 0.3, 0.3, 0.17, 0.09]
    prob = rng.choice(5, size=n, p=level_p) + 1
    impact = rng.choice(5, size=n, p=level_p) + 1
    clean = it["clean"]
    impact = np.where(clean, np.minimum(impact, np.maximum(1, 12 // prob)), impact)  # score <= 12
    closed, closed_on = _close(rng, it, 0.3, 14, 240, report_end)
    # designed: the project's first risk is critical and open
    force = it["critical"] & (it["j"] == 0) & ~it["finished"]
    prob = np.where(force, 5, prob)
    impact = np.where(force, 4, impact)
    closed &= ~force
    frac = np.array([0.0, 0.005, 0.015, 0.04, 0.08, 0.15])[impact]
    cost = np.round(it["budget"] * frac * (0.5 + rng.random(n)) / 1000.0) * 1000.0
    cost = np.where((rng.random(n) < 0.04) & ~clean, np.nan, cost)
    # open risks: response due from 45 days before to 120 days after the reporting month's end;
    # the clean program has no overdue responses
    due_open = report_end + _days(rng.integers(-45, 121, n))
    due_open = np.where(clean, np.maximum(due_open, report_end + np.timedelta64(14, "D")), due_open)
    due_open = np.maximum(due_open, it["raised"] + np.timedelta64(7, "D"))
    due_closed = np.minimum(it["raised"] + _days(rng.integers(14, 91, n)), closed_on)
    nat = np.datetime64("NaT", "D")
    pid = bp["project_id"].to_numpy(dtype=object)[p]
    return pd.DataFrame({
        "risk_id": _ids(pid, "-R", it["j"], 2),
        "project_id": pid,
        "title": title,
        "category": category,
        "probability": prob.astype(np.int64),
        "impact": impact.astype(np.int64),
        "cost_impact": cost,
        "owner": _pick(rng, _PEOPLE, n),
        "status": np.where(closed, "closed", "open").astype(object),
        "raised_date": it["raised"],
        "closed_date": np.where(closed, closed_on, nat),
        "response": response,
        "response_due": np.where(closed, due_closed, due_open),
    })


def _issues(rng: np.random.Generator, bp: pd.DataFrame, dates: dict[str, np.ndarray], total: int,
            report_end: np.datetime64) -> pd.DataFrame:
    it = _item_frame(rng, bp, dates, total, report_end)
    p, n = it["p"], len(it["p"])
    sev = rng.choice(4, size=n, p=[0.3, 0.4, 0.22, 0.08])
    clean = it["clean"]
    sev = np.where(clean, np.minimum(sev, 1), sev)
    closed, closed_on = _close(rng, it, 0.8, 3, 150, report_end)
    # the clean program has no ageing issues: anything opened over 60 days ago is closed
    old = clean & (it["raised"] < report_end - np.timedelta64(60, "D"))
    closed_on = np.where(old & ~closed, np.minimum(it["raised"] + _days(rng.integers(5, 41, n)), report_end),
                         closed_on)
    closed |= old
    nat = np.datetime64("NaT", "D")
    pid = bp["project_id"].to_numpy(dtype=object)[p]
    return pd.DataFrame({
        "issue_id": _ids(pid, "-I", it["j"], 2),
        "project_id": pid,
        "title": _pick(rng, _ISSUE_TITLES, n),
        "severity": np.asarray(("low", "medium", "high", "critical"), dtype=object)[sev],
        "status": np.where(closed, "closed", "open").astype(object),
        "owner": _pick(rng, _PEOPLE, n),
        "opened_date": it["raised"],
        "closed_date": np.where(closed, closed_on, nat),
    })


def _typed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Canonical columns in schema order with the dtypes of ``pmo_nb.data.model``."""
    template = empty_table(name)
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for col in template.columns:
        out[col] = pd.Series(df[col].to_numpy(), index=out.index).astype(template[col].dtype)
    return out


def generate(seed: int = 7, period: str = SAMPLE_PERIOD, **sizes: int) -> dict[str, pd.DataFrame]:
    """Generate a deterministic, realistic portfolio.

    Parameters
    ----------
    seed:
        Seed of ``numpy.random.default_rng``; the same seed (and sizes) gives identical tables.
    period:
        The reporting month ``YYYY-MM``: financials end with it and all dates are relative to it.
    **sizes:
        Any of ``programs`` (>= 5), ``projects`` (>= 34), ``months`` (of financials, >= 24),
        ``milestones``, ``risks`` and ``issues`` (totals); defaults in ``DEFAULT_SIZES``. The first 5
        programs and 34 projects are the designed ones (see ``SITUATIONS``); more are drawn at random.

    Returns
    -------
    dict[str, pandas.DataFrame]
        The six tables keyed by name, in ``pmo_nb.schema.TABLE_NAMES`` order, with canonical columns.

    Raises
    ------
    ValueError
        An unknown size name, a size below its minimum, or a malformed period.
    """
    unknown = sorted(set(sizes) - set(DEFAULT_SIZES))
    if unknown:
        raise ValueError(f"unknown size {', '.join(unknown)}: sizes are {', '.join(DEFAULT_SIZES)}")
    size = {**DEFAULT_SIZES, **{k: int(v) for k, v in sizes.items()}}
    minimum = {"programs": len(_PROGRAMS), "projects": len(_PROJECTS), "months": 24,
               "milestones": 0, "risks": 0, "issues": 0}
    for key, low in minimum.items():
        if size[key] < low:
            raise ValueError(f"{key}={size[key]} is too small: the designed sample needs at least {low}")
    extra_programs, extra_projects = size["programs"] - len(_PROGRAMS), size["projects"] - len(_PROJECTS)
    if (extra_projects > 0) != (extra_programs > 0) or extra_projects < extra_programs:
        raise ValueError(
            f"programs={size['programs']}, projects={size['projects']}: the {len(_PROJECTS)} designed "
            f"projects fill the {len(_PROGRAMS)} designed programs, so extra projects need extra "
            "programs and every extra program needs at least one extra project"
        )
    months = size["months"]
    first_month = _month_number(period) - (months - 1)
    report_end = _month_end(first_month + months - 1)
    rng = np.random.default_rng(seed)

    programs = _programs(rng, size["programs"])
    bp = _projects(rng, programs, size["projects"], months)
    dates = _project_dates(rng, bp, first_month, months)
    projects = bp.assign(
        budget=bp["budget"].astype(float),
        baseline_start=dates["baseline_start"],
        baseline_finish=dates["baseline_finish"],
        forecast_finish=dates["forecast_finish"],
        last_updated=dates["last_updated"],
    )
    tables = {
        "programs": programs,
        "projects": projects,
        "financials": _financials(rng, bp, first_month, months),
        "milestones": _milestones(rng, bp, dates, size["milestones"], report_end),
        "risks": _risks(rng, bp, dates, size["risks"], report_end),
        "issues": _issues(rng, bp, dates, size["issues"], report_end),
    }
    return {name: _typed(name, tables[name]) for name in TABLE_NAMES}


def write(tables: dict[str, pd.DataFrame], out: Path | str, format: Format = "csv") -> list[Path]:
    """Write the tables as a CSV folder, an Excel workbook or a Parquet folder.

    CSV files are UTF-8 without BOM with LF line endings, ISO dates, '.' decimals and money with two
    decimals; booleans are written ``true``/``false``. The workbook ``portfolio.xlsx`` has one sheet per
    table; Parquet writes one file per table.

    Parameters
    ----------
    tables:
        The six tables, as returned by :func:`generate`.
    out:
        The folder to write into (created if missing).
    format:
        ``"csv"``, ``"xlsx"`` or ``"parquet"``.

    Returns
    -------
    list[pathlib.Path]
        The files written.
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    missing = [name for name in TABLE_NAMES if name not in tables]
    if missing:
        raise ValueError(f"tables missing: {', '.join(missing)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ordered = {name: tables[name][TABLES[name].column_names] for name in TABLE_NAMES}
    if format == "xlsx":
        path = out / WORKBOOK_NAME
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, df in ordered.items():
                df.to_excel(writer, sheet_name=name, index=False)
        return [path]
    written = []
    for name, df in ordered.items():
        if format == "parquet":
            path = out / f"{name}.parquet"
            df.to_parquet(path, index=False)
        else:
            path = out / f"{name}.csv"
            _csv_frame(df).to_csv(path, index=False, lineterminator="\n", encoding="utf-8",
                                  date_format="%Y-%m-%d", float_format="%.2f", na_rep="")
        written.append(path)
    return written


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_bool_dtype(df[col]):
            df[col] = np.where(df[col].to_numpy(dtype=bool), "true", "false")
    return df
