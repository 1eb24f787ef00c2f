"""The monthly run: ``monthly.run`` executes a month's reports in a worker pool and publishes them atomically.

Modules: ``monthly`` (the orchestrator), ``jobs`` (Job, ReportResult), ``worker`` (one report in a worker),
``pool`` (the process pool), ``engine`` (papermill engines), ``kernels`` (kernel reuse and the kernel check),
``lifeline`` (processes die with their parent), ``rendering`` (output formats, through the format registry),
``staging`` (staging folder and atomic publish), ``published`` (what a published month holds; when a run may
replace it), ``packing`` (the month's report list and the executive pack step), ``linking`` (the month's
index.html; an overview that links only to reports that exist), ``masking`` (passwords never written),
``manifest``, ``summary`` (what the CLI prints).
"""
