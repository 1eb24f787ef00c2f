"""The sample portfolio's assumptions, dependencies, decisions and actions: a few designed rows per program.

Dates are days from the reporting month's end, so that the registers move with ``sample.generate(period=...)``.
They carry the situations the RAID sections must show: overdue decisions (and one program with more open
decisions than the executive pack's page lists), dependencies at risk within and across programs and on external
parties, overdue actions, and assumptions past or near their validation date. Every row refers to the designed
projects only, so any seed and size gives a valid portfolio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ASSUMPTIONS", "DEPENDENCIES", "DECISIONS", "ACTIONS", "tables"]

# assumption_id, program_id, project_id, text, owner, status, validate_by (days from the month end)
ASSUMPTIONS: tuple[tuple, ...] = (
    ("A-DCX-01", "PRG-DCX", None, "Most customers accept digital-only service for routine requests.",
     "Rahul Mehta", "open", 20),
    ("A-DCX-02", None, "DCX-005", "Legacy CRM records can be migrated without manual cleansing.",
     "Hannah Kowalski", "open", -10),
    ("A-DCX-03", None, "DCX-002", "App store review takes at most two weeks.", "Jonas Weber", "validated", -60),
    ("A-ERP-01", None, "ERP-001", "The cloud ERP vendor's release 26B includes the e-invoicing localisation.",
     "Oliver Grant", "open", 15),
    ("A-ERP-02", None, "ERP-004", "Payroll rules are the same in the three Nordic countries.",
     "Nadia Petrova", "invalid", -30),
    ("A-ERP-03", "PRG-ERP", None, "Key users are free two days a week for user acceptance testing.",
     "Ingrid Solberg", "open", 90),
    ("A-NET-01", None, "NET-001", "Carriers deliver site circuits within 30 days of order.", "Connor Walsh",
     "validated", -45),
    ("A-NET-02", "PRG-NET", None, "Data centre 2 has spare rack capacity through 2027.", "Daniel O'Connor",
     "open", 60),
    ("A-REG-01", None, "REG-001", "Critical suppliers return the resilience questionnaire by year end.",
     "Julien Lefèvre", "open", -5),
    ("A-REG-02", None, "REG-005", "The final CSRD reporting taxonomy is published by Q1 2027.", "Sarah Goldberg",
     "open", 25),
    ("A-DAP-01", None, "DAP-002", "Source systems can expose change data capture feeds.", "Michael Brennan",
     "open", -20),
    ("A-DAP-02", "PRG-DAP", None, "Divisions fund their own analytics licences from 2027.", "Priya Raman",
     "open", 100),
)

# dependency_id, from_project_id, to_project_id, external_party, description, needed_by, status, owner
DEPENDENCIES: tuple[tuple, ...] = (
    ("DEP-01", "DCX-005", "ERP-001", None, "Customer master and receivables APIs from the new finance core", 60,
     "open", "Hannah Kowalski"),
    ("DEP-02", "DCX-003", "NET-001", None, "SD-WAN links at the two contact-centre sites", -5, "open",
     "Aisha Bello"),
    ("DEP-03", "DCX-004", "DAP-003", None, "Self-service analytics workspace for chatbot reporting", 150, "open",
     "Lucas Moreau"),
    ("DEP-04", "ERP-002", "ERP-003", None, "Supplier master data cleansed and loaded", 45, "open",
     "Fatima Zahra"),
    ("DEP-05", "ERP-001", None, "Cloud ERP vendor", "Release 26B with the e-invoicing localisation", -10, "open",
     "Oliver Grant"),
    ("DEP-06", "REG-002", "DAP-004", None, "Data lineage for the regulatory reports in the catalogue", 30, "open",
     "Anna Schmidt"),
    ("DEP-07", "REG-004", "NET-002", None, "Compute capacity in the consolidated data centre", 200, "open",
     "Yuki Tanaka"),
    ("DEP-08", "DAP-002", "ERP-001", None, "Customer and supplier master data model from the finance core", 120,
     "open", "Michael Brennan"),
    ("DEP-09", "NET-001", None, "Telecom carrier", "Circuits for the last eleven sites", -20, "met",
     "Connor Walsh"),
    ("DEP-10", "NET-005", None, "Firewall vendor", "Delivery of the replacement appliances", 40, "open",
     "Ahmed Karimi"),
    ("DEP-11", "DAP-003", "DAP-002", None, "Golden customer record for the sales dashboards", -40, "cancelled",
     "Olga Ivanova"),
)

# decision_id, program_id, project_id, question, options, needed_by, decision_maker, status, decision, decided_on
DECISIONS: tuple[tuple, ...] = (
    ("DEC-DCX-01", None, "DCX-005", "Approve the CRM re-baseline after the partner's rate rise (CR-041)?",
     "Accept the new rates and re-baseline; re-tender the integration work; drop the loyalty module", 12,
     "DCX steering committee", "open", None, None),
    ("DEC-DCX-02", "PRG-DCX", None, "Which chatbot platform do we buy?",
     "Vendor A (SaaS); vendor B (hosted by us)", -9, "Amelia Hartley", "open", None, None),
    ("DEC-DCX-03", None, "DCX-002", "Move the mobile app beta to Q1 2027?", "Keep the date; move it",
     -35, "Amelia Hartley", "decided", "Keep the beta date and add two testers.", -30),
    ("DEC-DCX-04", None, "DCX-001", "Approve the scope of portal release 4?", "Full scope; without the loyalty pages",
     40, "DCX design authority", "open", None, None),
    ("DEC-DCX-05", "PRG-DCX", None, "Fund an accessibility audit of the mobile app?", "Fund it now; wait for 2027",
     70, "Amelia Hartley", "open", None, None),
    ("DEC-DCX-06", None, "DCX-008", "Which consent model does the personalisation engine use?",
     "Opt-in; opt-out with notice", 80, "Data protection officer", "open", None, None),
    ("DEC-ERP-01", None, "ERP-001", "Go or no-go for the February finance-core go-live after the failed rehearsal?",
     "Keep February with a third rehearsal; move to May 2027", -4, "ERP steering committee", "open", None, None),
    ("DEC-ERP-02", None, "ERP-007", "Accept the middleware licence true-up or renegotiate?",
     "Accept; renegotiate; move to another product", 25, "Thomas Becker", "open", None, None),
    ("DEC-ERP-03", "PRG-ERP", None, "In which order do the payroll countries go live?",
     "Largest first; smallest first", 45, "Ingrid Solberg", "open", None, None),
    ("DEC-ERP-04", None, "ERP-003", "Archive or migrate closed purchase orders older than seven years?",
     "Archive; migrate", -80, "Thomas Becker", "decided", "Archive them in the records system.", -75),
    ("DEC-NET-01", "PRG-NET", None, "Which vendor disposes of the retired hardware?",
     "Current vendor; the framework's certified recycler", 20, "Grace Mwangi", "open", None, None),
    ("DEC-NET-02", None, "NET-003", "Keep 200 old laptops as spares?", "Keep; dispose", -50, "Daniel O'Connor",
     "decided", "Dispose of them; buy spares with the new fleet.", -48),
    ("DEC-REG-01", None, "REG-001", "Submit the resilience register with supplier data still incomplete?",
     "Submit with a remediation plan; ask for an extension", -15, "Chief Risk Officer", "open", None, None),
    ("DEC-REG-02", "PRG-REG", None, "Put CSRD before the Accessibility Act if capacity is short?",
     "CSRD first; Accessibility Act first", 35, "Catherine Dubois", "open", None, None),
    ("DEC-DAP-01", None, "DAP-002", "Re-plan master data management, or split it into two releases?",
     "Re-plan to September 2027; two releases", -2, "DAP steering committee", "open", None, None),
    ("DEC-DAP-02", None, "DAP-007", "Which event-streaming platform: a managed service or our own cluster?",
     "Managed service; own cluster", 50, "Marcus Lindqvist", "open", None, None),
    ("DEC-DAP-03", None, "DAP-006", "Make the data literacy course mandatory?", "Mandatory; optional", -20,
     "Marcus Lindqvist", "withdrawn", None, None),
)

# action_id, parent_id, description, owner, due, status
ACTIONS: tuple[tuple, ...] = (
    ("ACT-01", "DEC-DCX-01", "Write the re-baseline options paper for the steering committee", "Hannah Kowalski",
     -3, "open"),
    ("ACT-02", "DEC-DCX-02", "Hold reference calls with both chatbot vendors", "Lucas Moreau", -15, "open"),
    ("ACT-03", "DEP-02", "Agree a cut-over date for the contact-centre links with the network team", "Aisha Bello",
     10, "open"),
    ("ACT-04", "DEP-01", "Agree the delivery plan of the receivables APIs with the finance core team",
     "Oliver Grant", -8, "open"),
    ("ACT-05", "DEC-ERP-01", "Run the third reconciliation rehearsal", "Erik Johansson", 14, "open"),
    ("ACT-06", "DEP-05", "Escalate the e-invoicing release date to the vendor's account executive", "Wei Chen",
     -25, "open"),
    ("ACT-07", "DEC-REG-01", "Chase the suppliers whose questionnaires are incomplete", "Julien Lefèvre", -20, "open"),
    ("ACT-08", "A-REG-02", "Confirm the taxonomy timetable with the regulator", "Sarah Goldberg", 20, "open"),
    ("ACT-09", "DEP-06", "Agree an interim lineage export with the catalogue team", "Anna Schmidt", -2, "open"),
    ("ACT-10", "DEC-DAP-01", "Cost the two-release option", "Michael Brennan", -6, "open"),
    ("ACT-11", "A-NET-02", "Reserve rack space in data centre 2", "Mariam Haddad", 30, "open"),
    ("ACT-12", "DEC-DCX-03", "Brief the app testers on the kept beta date", "Jonas Weber", -28, "done"),
    ("ACT-13", "A-DAP-01", "Test change data capture on the billing system", "Michael Brennan", 5, "cancelled"),
)

_DATES = {"assumptions": ("validate_by",), "dependencies": ("needed_by",), "decisions": ("needed_by", "decided_on"),
          "actions": ("due",)}
_COLUMNS = {
    "assumptions": ("assumption_id", "program_id", "project_id", "text", "owner", "status", "validate_by"),
    "dependencies": ("dependency_id", "from_project_id", "to_project_id", "external_party", "description",
                     "needed_by", "status", "owner"),
    "decisions": ("decision_id", "program_id", "project_id", "question", "options", "needed_by", "decision_maker",
                  "status", "decision", "decided_on"),
    "actions": ("action_id", "parent_id", "description", "owner", "due", "status"),
}


def tables(report_end: np.datetime64 | np.ndarray) -> dict[str, pd.DataFrame]:
    """The four registers with their day offsets turned into dates from ``report_end`` (the month's last day)."""
    rows = {"assumptions": ASSUMPTIONS, "dependencies": DEPENDENCIES, "decisions": DECISIONS, "actions": ACTIONS}
    out = {}
    for name, records in rows.items():
        frame = pd.DataFrame(list(records), columns=list(_COLUMNS[name]))
        for col in _DATES[name]:
            days = pd.to_numeric(frame[col], errors="coerce")
            dates = np.asarray(report_end).astype("datetime64[D]") + days.fillna(0).to_numpy(dtype="int64")
            frame[col] = pd.Series(dates.astype("datetime64[ns]")).where(days.notna())
        out[name] = frame
    return out
