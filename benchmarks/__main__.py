"""``python -m benchmarks``: run the benchmark harness (same as ``python -m benchmarks.run``)."""

from .run import main

raise SystemExit(main())
