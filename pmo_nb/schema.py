"""The canonical data model: the tables, their columns, types and allowed values.

This module is the contract between users' files and everything downstream. It describes the
model declaratively; ``pmo_nb.data.validate`` turns it into pandera schemas and cross-table checks, and
``pmo_nb.data.ingest`` uses it to match headers and coerce types. docs/data-model.md explains it to users.

Column kinds and the dtype each becomes once loaded:

========  =====================================================  ==========================
kind      accepted in files                                      dtype in the Portfolio
========  =====================================================  ==========================
id        any non-empty text (ids are text, "007" stays "007")   str (object/string)
text      any text, may be empty when optional                   str, missing as NA
date      ISO ``YYYY-MM-DD`` (a real date in Excel/SQL/Parquet)  datetime64[ns], NaT
period    ``YYYY-MM``                                            str ``YYYY-MM``
money     a plain number                                         float64
int       a whole number                                         int64 (Int64 if optional)
bool      true/false, yes/no, y/n, 1/0 (case-insensitive)        bool
choice    one of ``allowed`` (case-insensitive, trimmed)         str, lower case
========  =====================================================  ==========================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "text", "date", "period", "money", "int", "bool", "choice"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = True
    allowed: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    description: str = ""
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> "table.column"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


PHASES = ("initiation", "planning", "execution", "closing", "closed")
RAG = ("green", "amber", "red")
OPEN_CLOSED = ("open", "closed")
SEVERITIES = ("low", "medium", "high", "critical")

PROGRAMS = Table(
    "programs",
    (
        Column("program_id", "id", description="Unique program code, e.g. PRG-01. Used in file names."),
        Column("name", "text", description="Program name as executives know it."),
        Column("sponsor", "text", description="Accountable executive."),
        Column("manager", "text", description="Program manager."),
        Column("objective", "text", required=False, description="One-line objective."),
    ),
    key=("program_id",),
    required=False,
    description="One row per program; when absent, programs are derived from the projects' program_id.",
)

PROJECTS = Table(
    "projects",
    (
        Column("project_id", "id", description="Unique project code."),
        Column("program_id", "id", description="The program the project belongs to."),
        Column("name", "text", description="Project name."),
        Column("manager", "text", description="Project manager."),
        Column("phase", "choice", required=False, allowed=PHASES, description="Lifecycle phase."),
        Column("baseline_start", "date", description="Approved start date."),
        Column("baseline_finish", "date", description="Approved finish date."),
        Column("forecast_finish", "date", required=False, description="Current forecast finish date."),
        Column("budget", "money", min=0, description="Budget at completion (BAC)."),
        Column("reported_status", "choice", required=False, allowed=RAG,
               description="RAG status the project manager reported."),
        Column("status_comment", "text", required=False, description="The manager's status comment."),
        Column("last_updated", "date", required=False, description="When the record was last updated."),
        Column("status_date", "date", required=False,
               description="The status (data) date the figures are as of; pmo-nb import writes it."),
    ),
    key=("project_id",),
    foreign_keys={"program_id": "programs.program_id"},
    description="One row per project.",
)

FINANCIALS = Table(
    "financials",
    (
        Column("project_id", "id", description="The project."),
        Column("period", "period", description="The month, YYYY-MM."),
        Column("planned_value", "money", description="PV booked in the month (not cumulative)."),
        Column("earned_value", "money", description="EV booked in the month (not cumulative)."),
        Column("actual_cost", "money", required=False,
               description="AC booked in the month (not cumulative); empty where costs are not tracked."),
    ),
    key=("project_id", "period"),
    foreign_keys={"project_id": "projects.project_id"},
    required=False,
    description="One row per project and month: the amounts booked in that month (optional: without it the "
    "portfolio has no cost data).",
)

MILESTONES = Table(
    "milestones",
    (
        Column("milestone_id", "id", description="Unique milestone code."),
        Column("project_id", "id", description="The project."),
        Column("name", "text", description="Milestone name."),
        Column("baseline_date", "date", description="Approved date."),
        Column("forecast_date", "date", required=False, description="Current forecast date."),
        Column("actual_date", "date", required=False, description="Date achieved; empty if not yet."),
        Column("key_milestone", "bool", required=False, description="A key (executive) milestone."),
    ),
    key=("milestone_id",),
    required=False,
    foreign_keys={"project_id": "projects.project_id"},
    description="Optional. One row per milestone.",
)

RISKS = Table(
    "risks",
    (
        Column("risk_id", "id", description="Unique risk code."),
        Column("project_id", "id", description="The project."),
        Column("title", "text", description="Short description."),
        Column("category", "text", required=False, description="Free category, e.g. Technical."),
        Column("probability", "int", min=1, max=5, description="Probability on a 1-5 scale."),
        Column("impact", "int", min=1, max=5, description="Impact on a 1-5 scale."),
        Column("cost_impact", "money", required=False, min=0, description="Cost if the risk occurs."),
        Column("owner", "text", description="Risk owner."),
        Column("status", "choice", allowed=OPEN_CLOSED, description="open or closed."),
        Column("raised_date", "date", description="Date raised."),
        Column("closed_date", "date", required=False, description="Date closed; required when closed."),
        Column("response", "text", required=False, description="Planned response."),
        Column("response_due", "date", required=False, description="When the response is due."),
        Column("schedule_impact_days", "int", required=False, min=0,
               description="Delay in days if the risk occurs (the risk-adjusted finish forecast draws it)."),
    ),
    key=("risk_id",),
    required=False,
    foreign_keys={"project_id": "projects.project_id"},
    description="Optional. The risk register.",
)

ISSUES = Table(
    "issues",
    (
        Column("issue_id", "id", description="Unique issue code."),
        Column("project_id", "id", description="The project."),
        Column("title", "text", description="Short description."),
        Column("severity", "choice", allowed=SEVERITIES, description="low, medium, high or critical."),
        Column("status", "choice", allowed=OPEN_CLOSED, description="open or closed."),
        Column("owner", "text", description="Issue owner."),
        Column("opened_date", "date", description="Date opened."),
        Column("closed_date", "date", required=False, description="Date closed; required when closed."),
    ),
    key=("issue_id",),
    required=False,
    foreign_keys={"project_id": "projects.project_id"},
    description="Optional. The issue log.",
)

CONTACTS = Table(
    "contacts",
    (
        Column("name", "text", description="A person as the programs name them (manager, sponsor); matched "
               "ignoring case and spaces."),
        Column("email", "text", required=False,
               description="Their e-mail address, e.g. ana.lima@example.org; empty: known to have none (a warning "
               "when sending, never an error that stops a run)."),
        Column("role", "text", required=False, description="Free text, e.g. Program manager, Sponsor."),
    ),
    key=("name",),
    required=False,
    description="Optional. Who `pmo-nb send` mails: one row per person (docs/sending.md).",
)

# -- benefits (issue 12): what the programs exist to deliver, measured against a linear trajectory ---------------
BENEFITS = Table(
    "benefits",
    (
        Column("benefit_id", "id", description="Unique benefit code."),
        Column("program_id", "id", description="The program that delivers it."),
        Column("objective", "text", description="The organisational objective it serves."),
        Column("measure", "text", description="What is measured, e.g. Share of claims filed online."),
        Column("unit", "text", required=False,
               description="The measure's unit, e.g. %, EUR, days; roll-ups add benefits of one unit only."),
        Column("baseline", "money", description="The measure's value before the program (at start_date)."),
        Column("target", "money", description="The value to reach by target_date (above or below baseline)."),
        Column("target_date", "date", description="When the target is due."),
        Column("actual", "money", required=False, description="The value measured to date; empty: not measured."),
        Column("owner", "text", description="Who is accountable for realising it."),
        Column("start_date", "date", required=False,
               description="Where the planned trajectory starts; empty: the program's first baseline start."),
    ),
    key=("benefit_id",),
    required=False,
    foreign_keys={"program_id": "programs.program_id"},
    description="Optional. The benefits register: one row per benefit and measure.",
)


# -- RAID beyond risks and issues: assumptions, dependencies, decisions, actions (issue 12) -----------------
# Assumptions and decisions belong to a project or, with project_id empty, to a program as a whole.
ASSUMPTION_STATUSES = ("open", "validated", "invalid")
DEPENDENCY_STATUSES = ("open", "met", "cancelled")
DECISION_STATUSES = ("open", "decided", "withdrawn")
ACTION_STATUSES = ("open", "done", "cancelled")
RAID_TABLES = ("assumptions", "dependencies", "decisions", "actions")
"""The RAID registers besides risks and issues; ``actions.parent_id`` names an item of any register."""

ASSUMPTIONS = Table(
    "assumptions",
    (
        Column("assumption_id", "id", description="Unique assumption code."),
        Column("program_id", "id", required=False,
               description="The program; may be empty when project_id is given (its program is used)."),
        Column("project_id", "id", required=False,
               description="The project; empty for a program-level assumption."),
        Column("text", "text", description="What is assumed."),
        Column("owner", "text", description="Who validates it."),
        Column("status", "choice", allowed=ASSUMPTION_STATUSES, description="open, validated or invalid."),
        Column("validate_by", "date", required=False, description="When it must be confirmed."),
    ),
    key=("assumption_id",),
    required=False,
    foreign_keys={"program_id": "programs.program_id", "project_id": "projects.project_id"},
    description="Optional. The assumptions log.",
)

DEPENDENCIES = Table(
    "dependencies",
    (
        Column("dependency_id", "id", description="Unique dependency code."),
        Column("from_project_id", "id", description="The project that needs something (the dependent)."),
        Column("to_project_id", "id", required=False,
               description="The project that provides it; empty when an external party does."),
        Column("external_party", "text", required=False,
               description="The provider outside the portfolio (a vendor, a regulator), when not a project."),
        Column("description", "text", description="What is needed."),
        Column("needed_by", "date", description="When the dependent project needs it."),
        Column("status", "choice", allowed=DEPENDENCY_STATUSES, description="open, met or cancelled."),
        Column("owner", "text", description="Who manages the dependency."),
    ),
    key=("dependency_id",),
    required=False,
    foreign_keys={"from_project_id": "projects.project_id", "to_project_id": "projects.project_id"},
    description="Optional. Dependencies between projects, across programs, or on external parties.",
)

DECISIONS = Table(
    "decisions",
    (
        Column("decision_id", "id", description="Unique decision code."),
        Column("program_id", "id", required=False,
               description="The program; may be empty when project_id is given (its program is used)."),
        Column("project_id", "id", required=False,
               description="The project; empty for a program-level decision."),
        Column("question", "text", description="The decision to be made."),
        Column("options", "text", required=False, description="The options on the table."),
        Column("needed_by", "date", description="When the decision is needed."),
        Column("decision_maker", "text", description="Who decides (a person or a board)."),
        Column("status", "choice", allowed=DECISION_STATUSES, description="open, decided or withdrawn."),
        Column("decision", "text", required=False, description="What was decided; required when decided."),
        Column("decided_on", "date", required=False, description="When it was decided; required when decided."),
    ),
    key=("decision_id",),
    required=False,
    foreign_keys={"program_id": "programs.program_id", "project_id": "projects.project_id"},
    description="Optional. The decision log.",
)

ACTIONS = Table(
    "actions",
    (
        Column("action_id", "id", description="Unique action code."),
        Column("parent_id", "id", description="The RAID item it serves: a risk, issue, assumption, dependency "
               "or decision id."),
        Column("description", "text", required=False, description="What is to be done."),
        Column("owner", "text", description="Who does it."),
        Column("due", "date", description="When it is due."),
        Column("status", "choice", allowed=ACTION_STATUSES, description="open, done or cancelled."),
    ),
    key=("action_id",),
    required=False,
    description="Optional. Actions on RAID items.",
)

TABLES: dict[str, Table] = {t.name: t for t in (PROGRAMS, PROJECTS, FINANCIALS, MILESTONES, RISKS, ISSUES,
                                                CONTACTS, BENEFITS, ASSUMPTIONS, DEPENDENCIES, DECISIONS, ACTIONS)}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required)
OPTIONAL_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if not t.required)
