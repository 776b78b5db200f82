"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 2


@pytest.mark.slow  # cross-validates the defaults on digits and diabetes (~30 s)
@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_example_runs(index, capsys):
    exec(compile(_python_blocks()[index], f"README.md block {index}", "exec"), {})
    printed = capsys.readouterr().out.split()
    assert printed and all(0.3 < float(value) <= 1.0 for value in printed)
