"""Where the tests' data files live."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
