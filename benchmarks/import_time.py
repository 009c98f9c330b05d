"""How much `import agentkit` adds over bare Python, in fresh processes, and what it imports.

Run: python benchmarks/import_time.py [--rounds 30]
Interleaves bare and agentkit runs so machine drift hits both equally; prints medians and the
vendor SDK modules imported (there must be none). Then shows where the SDK import cost went: each
vendor SDK's own import time, and that building a Relay and an Agent still imports none of them
(the SDK of a dialect is imported by the first request in that dialect).
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
    deferred = subprocess.run(
        [sys.executable, "-c", "import sys, agentkit as ak; r = ak.Relay('http://127.0.0.1:9', api_key='k'); "
         "a = ak.Agent('claude-sonnet-4-5', relay=r, display=False); "
         "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('openai', 'anthropic', 'google')}))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"vendor SDKs imported after building a Relay and an Agent: {deferred}")
    print(f"{'deferred to first use':<28}{'median ms':>10}{'min ms':>9}")
    for label, code in (("import openai", "import openai"), ("import anthropic", "import anthropic"),
                        ("from google import genai", "from google import genai")):
        _time(code)
        times = []
        for _ in range(max(3, args.rounds // 5)):
            times.append(_time(code) - _time("pass"))
        print(f"{label:<28}{statistics.median(times) * 1000:>10.1f}{min(times) * 1000:>9.1f}")


if __name__ == "__main__":
    main()
