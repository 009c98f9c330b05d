"""How much `import agentkit` adds over bare Python, in fresh processes, and what it imports.

Run: python benchmarks/import_time.py [--rounds 30]
Interleaves bare and agentkit runs so machine drift hits both equally; prints medians and the
vendor SDK modules imported (there must be none).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    bare, ak = [], []
    _time("import agentkit")  # warm the .pyc cache
    for _ in range(args.rounds):
        bare.append(_time("pass"))
        ak.append(_time("import agentkit"))
    check = subprocess.run(
        [sys.executable, "-c", "import sys, agentkit; print(sorted(m for m in sys.modules if m.split('.')[0] in "
         "('openai', 'anthropic', 'google', 'pydantic', 'httpx2')))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    added = [a - b for a, b in zip(ak, bare, strict=True)]
    print(f"{'what':<28}{'median ms':>10}{'min ms':>9}")
    print(f"{'python -c pass':<28}{statistics.median(bare) * 1000:>10.1f}{min(bare) * 1000:>9.1f}")
    print(f"{'python -c import agentkit':<28}{statistics.median(ak) * 1000:>10.1f}{min(ak) * 1000:>9.1f}")
    print(f"{'added by agentkit':<28}{statistics.median(added) * 1000:>10.1f}{min(added) * 1000:>9.1f}")
    print(f"vendor SDK / pydantic modules imported by `import agentkit`: {check}")


if __name__ == "__main__":
    main()
