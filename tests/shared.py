"""Files from the team's `shared/` folder that tests may read but the project may not ship.

`shared/` sits beside the repository (here and in CI's fresh clone); `YIZHAN_SHARED_DIR`
overrides where to look.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DIR = Path(
    os.environ.get("YIZHAN_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")
)
# Inner Mongolia's 116 administrative areas (GCJ-02, simplified), with adcodes.
BOUNDARIES = SHARED_DIR / "data" / "nmg_admin_boundaries.geojson"


def require_boundaries() -> Path:
    """The boundary file; a test needing it is skipped on a machine without `shared/`, but
    under `CI=true` (where `shared/` is always beside the clone) its absence is a failure."""
    import pytest

    if not BOUNDARIES.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"shared boundary file missing: {BOUNDARIES}")
        pytest.skip(f"shared boundary file not available: {BOUNDARIES}")
    return BOUNDARIES
