"""The documentation builds without warnings and every example in it runs."""

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.slow  # about a minute: two full Sphinx builds, every example run
def test_docs_build_cleanly_and_examples_run(tmp_path):
    # One test runs both builders in turn: autosummary writes its stubs into docs/, so two
    # builds at once (in parallel test workers) would race on those files.
    # The HTML build runs the gallery's examples; the doctest build need not run them again.
    for builder, options in (("html", []), ("doctest", ["-D", "plot_gallery=0"])):
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
             *options, "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / builder)],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
