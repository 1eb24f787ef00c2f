"""The monthly run: ``monthly.run`` executes a month's reports in a worker pool and publishes them atomically.

Modules: ``monthly`` (the orchestrator), ``jobs`` (Job, ReportResult), ``worker`` (one report in a worker),
``pool`` (the process pool), ``engine`` (papermill engines), ``kernels`` (kernel reuse and the kernel check),
``lifeline`` (processes die with their parent), ``rendering`` (output formats, through the format registry),
``staging`` (staging folder and atomic publish), ``published`` (what a published month holds; when a run may
replace it), ``packing`` (the month's report list and the executive pack step), ``linking`` (the month's
index.html; an overview that links only to reports that exist), ``masking`` (passwords never written),
``manifest``, ``summary`` (what the CLI prints).
"""

import sys

# jsonschema, which nbformat imports in the parent and in every worker, imports the optional package rfc3987-syntax
# when it is installed (JupyterLab's jupyter-events brings it) to check the "iri" string format, which no schema
# of a run uses; building that package's grammar takes about a second in each process. A run's processes do
# without it: a None entry makes the import fail with the ImportError jsonschema expects of a missing package.
# (Only when nothing has imported it yet; never in the kernels, which import nothing of the run.)
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
