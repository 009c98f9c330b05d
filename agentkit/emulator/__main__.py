"""`python -m agentkit.emulator`: run the relay emulator in the foreground until Ctrl+C.

The key can come from `--api-key` or the `AGENTKIT_EMULATOR_API_KEY` environment variable; it is
never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .server import Emulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agentkit.emulator",
        description="Run agentkit's loopback API relay emulator (OpenAI, Anthropic and Gemini doors).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8787, help="port to bind; 0 picks a free one (default: 8787)"
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("AGENTKIT_EMULATOR_API_KEY"),
        help="require this key (default: $AGENTKIT_EMULATOR_API_KEY; unset accepts any key)",
    )
    parser.add_argument("--strict-models", action="store_true", help="answer unknown models with a 404")
    parser.add_argument("--stream-delay", type=float, default=0.0, help="seconds between streamed events")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default: warning)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, print the door URLs, and serve until interrupted."""
    args = _parser().parse_args(argv)
    emulator = Emulator(
        api_key=args.api_key or None,
        host=args.host,
        port=args.port,
        strict_models=args.strict_models,
        stream_delay=args.stream_delay,
        log_level=args.log_level,
    )

    def announce(url: str) -> None:
        auth = "a key is required" if emulator.api_key else "any key is accepted"
        print(f"agentkit emulator listening on {url} ({auth})", flush=True)
        print(f"  OpenAI:    base_url={url}/v1", flush=True)
        print(f"  Anthropic: base_url={url}/anthropic", flush=True)
        print(f"  Gemini:    base_url={url}, api_version=v1beta", flush=True)

    try:
        emulator.serve_forever(on_ready=announce)
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
