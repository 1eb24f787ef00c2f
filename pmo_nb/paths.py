"""Where pmo-nb's own files are: package data found with ``importlib.resources``, so an installed wheel works.

The report notebooks, the nbconvert template, the component stylesheet and the sample portfolio ship inside the
package. (The run's default output folder is ``reports/`` of the current folder, not a path of the package.)
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("pmo_nb")))
NOTEBOOKS_DIR = PACKAGE_DIR / "notebooks"
TEMPLATES_DIR = PACKAGE_DIR / "publish" / "templates"
STATIC_DIR = PACKAGE_DIR / "reporting" / "static"
COMPONENT_CSS = STATIC_DIR / "pmo.css"
SAMPLE_DIR = PACKAGE_DIR / "sample_data"
PROJ_ROOT = PACKAGE_DIR.parent
"""The checkout's root in a development install (tests and benchmarks use it); meaningless in a wheel."""
