"""`python -m agentkit demo`, the README's first command, on the built-in emulator (no relay key set)."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def test_the_demo_runs_every_vendor_on_the_emulator_and_shows_tokens_and_cost() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_", "ANTHROPIC_", "GEMINI_"))}
    done = subprocess.run([sys.executable, "-m", "agentkit", "demo"], capture_output=True, text=True, env=env,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    footers = re.findall(r"\[(\d+) turns, (\d+) in / (\d+) out tokens(, \$[0-9.]+)?\]", done.stdout)
    assert len(footers) >= 4, done.stdout
    assert all(int(t) >= 1 and int(i) > 0 and int(o) > 0 for t, i, o, _ in footers)
    assert all(cost for *_, cost in footers)  # every demo model has a list price
    assert "get_weather" in done.stdout and "Traceback" not in done.stderr
