"""The sample portfolio's names and figures: its programs, designed projects and their situations, people,
milestone stages, risk and issue wording (the catalogue ``pmo_nb.data.sample`` draws from)."""

from __future__ import annotations

# --------------------------------------------------------------------------------------------------------
# The designed portfolio
# --------------------------------------------------------------------------------------------------------

# program_id, name, sponsor, manager, objective, clean (all projects green, no open high exposure)
PROGRAMS: tuple[tuple[str, str, str, str, str, bool], ...] = (
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
PROJECTS: tuple[tuple, ...] = (
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
FLAT_PV = {"ERP-003": 9}  # 2025-12, the year-end freeze
MISSED_KEY = ("DCX-002", "REG-001")
CRITICAL_RISK = ("DCX-002", "ERP-001", "REG-004", "DAP-002")
# Gaps the PMO's built-in guidelines find (docs/guidelines.md), so the reports show a few breaches of each (status
# updates, high-risk responses, monthly financials and old issues already have some):
NO_BASELINE = ("DAP-006", "NET-005")  # in planning without a time-phased plan yet: no financials rows
UNOWNED_RISK = ("DCX-003", "NET-002", "REG-004")  # the first open risk of each has owner "TBD"
UNFORECAST_KEY = ("ERP-002", "ERP-004")  # the last key milestone not achieved has no forecast date

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

PEOPLE = (
    "Abena Owusu", "Adam Novak", "Alejandro Ruiz", "Alice Dupont", "Amara Nwosu", "Ana Costa",
    "Arjun Patel", "Beatriz Lima", "Ben Carter", "Carlos Mendes", "Charlotte Evans", "Chen Jing",
    "Dmitri Volkov", "Eva Lindgren", "Farah Siddiqui", "Felix Braun", "Gabriel Silva", "Hiroshi Sato",
    "Ines Moreau", "Jack Thompson", "Jana Dvořák", "Karim Benali", "Katarzyna Zielińska", "Liam Byrne",
    "Maja Hansen", "Marco Bianchi", "Mei Lin", "Mohammed Al-Sayed", "Nora Berg", "Noah Fischer",
    "Oluwaseun Adebayo", "Paula Jiménez", "Rachel Green", "Riya Kapoor", "Sean Murphy", "Sipho Dlamini",
    "Sven Eriksson", "Tanvir Ahmed", "Valentina Greco", "Zeynep Yilmaz",
)

MILESTONE_STAGES = (
    "Project charter approved",
    "Requirements signed off",
    "Solution design approved",
    "Build complete",
    "Integration testing complete",
    "User acceptance sign-off",
    "Go-live",
    "Project closure approved",
)
KEY_STAGES = (2, 6)

RISK_CATEGORIES = ("Technical", "Commercial", "Resource", "Schedule", "Regulatory", "Security", "Supplier")
RISK_CATEGORY_WEIGHTS = (0.22, 0.12, 0.17, 0.17, 0.1, 0.1, 0.12)
RISK_TITLES = {
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
RISK_RESPONSES = {
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
ISSUE_TITLES = (
    "Test environment unavailable", "Defect backlog above threshold", "Key supplier deliverable late",
    "Data migration reconciliation breaks", "Budget code not yet opened", "Access requests pending",
    "Requirements change from the business", "Licence keys not delivered", "Interface specification missing",
    "Resource gap in the test team", "Performance test failed", "Change advisory board rejected release",
    "Training material not approved", "Site access delayed", "Security review findings open",
)
COMMENTS = {
    "green": ("On track; next milestone planned as baselined.", "Progress as planned, no escalations.",
              "Delivery on plan; risks under control."),
    "amber": ("Some slippage; recovery plan in place.", "Cost pressure from change requests; monitoring.",
              "Resourcing gap being closed; watch next month."),
    "red": ("Significant overrun; re-baseline needed.", "Critical path slipped; escalated to the sponsor.",
            "Budget exceeded; recovery options going to the steering group."),
}
EXTRA_THEMES = (
    "Workplace Transformation", "Cyber Security Uplift", "Payments Modernisation", "Branch Network Redesign",
    "Cloud Migration", "Finance Transformation", "Procurement Excellence", "Customer Onboarding",
    "Field Service Mobility", "Sustainability Programme", "Core Platform Renewal", "Partner Ecosystem",
)
EXTRA_PROJECT_NAMES = (
    "Discovery & Design", "Platform Build", "Data Migration", "Process Redesign", "Pilot Rollout",
    "Wave 1 Rollout", "Wave 2 Rollout", "Integration", "Training & Adoption", "Decommissioning",
    "Vendor Selection", "Reporting & Analytics", "Security Hardening", "Infrastructure Upgrade",
)


def email_of(name: str) -> str:
    """The sample's address of a person: ``first.last@example.org`` in ASCII (``Jana Dvořák``: jana.dvorak)."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    local = ".".join("".join(c for c in part if c.isalnum() or c == "-") for part in ascii_name.lower().split())
    return f"{local}@example.org"


# -- benefits (issue 12) -------------------------------------------------------------------------------------------
# program_id, objective, measure, unit, baseline, target, start (months before the reporting month's end; None: the
# program's first baseline start), target date (months after it), pace (realised share = pace x planned share;
# None: not measured yet). Paces below ~0.75 put a benefit behind its trajectory by more than the tolerance.
BENEFITS: tuple[tuple, ...] = (
    ("PRG-DCX", "Move customer service to self-service", "Journeys completed in digital self-service", "%",
     22.0, 70.0, None, 14, 0.95),
    ("PRG-DCX", "Lower the cost to serve", "Cost per customer contact", "EUR", 6.4, 4.2, 12, 12, 0.45),
    ("PRG-DCX", "Happier digital customers", "Digital customer satisfaction (CSAT)", "points", 68.0, 80.0, 3, 9,
     None),
    ("PRG-ERP", "Cheaper finance operations", "Finance operating cost saved per year", "EUR", 0.0, 900_000.0, 18, 8,
     0.7),
    ("PRG-ERP", "Retire the legacy ERP", "Legacy licence cost saved per year", "EUR", 0.0, 1_800_000.0, 6, 6, 1.1),
    ("PRG-NET", "Fewer network outages", "Network incidents per month", "incidents", 40.0, 10.0, 20, -1, 1.05),
    ("PRG-NET", "Lower data-centre energy use", "Data-centre energy use per month", "MWh", 520.0, 400.0, 12, 12, 1.0),
    ("PRG-REG", "File every regulatory report on time", "Regulatory reports filed on time", "%", 82.0, 100.0, 10, 4,
     0.9),
    ("PRG-REG", "Close audit findings", "Open audit findings", "findings", 35.0, 5.0, None, 10, 0.4),
    ("PRG-DAP", "Self-service analytics for every division", "Staff using self-service analytics", "%", 5.0, 40.0,
     12, 12, 1.2),
    ("PRG-DAP", "Decisions on governed data", "Management reports built on certified data", "%", 10.0, 80.0, 6, 18,
     0.3),
)
