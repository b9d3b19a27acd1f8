"""Where the benchmarks find their data and put their results, relative to the repository."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The README's layout: the shared benchmark data sits next to the repository, in ../shared/bench.
SHARED_BENCH = REPO.parent / "shared" / "bench"
DATA_2A = SHARED_BENCH / "checkthat2022-2a-en"
DATA_2B = SHARED_BENCH / "checkthat2022-2b-en"
RESULTS = REPO / "benchmarks" / "results"
