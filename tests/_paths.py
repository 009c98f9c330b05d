"""Where the test data lives.

The real recorded traffic is copied into `tests/realtraffic/` (from the shared folder) so a clean
clone tests against it; `AGENTKIT_REALTRAFFIC` points the replay suites at another folder (e.g.
held-out recordings laid out the same way: `<vendor>/<case>__<name>.json`).
"""

from __future__ import annotations

import os
from pathlib import Path

REALTRAFFIC = Path(os.environ.get("AGENTKIT_REALTRAFFIC") or Path(__file__).resolve().parent / "realtraffic")
