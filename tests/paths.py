"""Where the tests' data files live, and copies of the package for tests that edit or
install it."""

import shutil
from pathlib import Path

import skdeep

DATA_DIR = Path(__file__).resolve().parent / "data"


def copy_package(site):
    """Copy the imported skdeep package (sources only, no compiled files) into directory
    ``site``; returns the copy's package directory (``site / "skdeep"``)."""
    package = Path(site) / "skdeep"
    shutil.copytree(
        Path(skdeep.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nb[ic]"),
    )
    return package
