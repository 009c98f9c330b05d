"""`python -m agentkit demo`: a tour of agentkit in the terminal.

With no relay configured (`AGENTKIT_BASE_URL` / `AGENTKIT_API_KEY` unset) the demo starts the
built-in emulator, so it runs anywhere, offline. With a relay configured it talks to it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Literal

__all__ = ["main"]


def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit, "c" or "f".
    """
    temperature = 18 + len(city) % 7
    if unit == "f":
        temperature = round(temperature * 9 / 5 + 32)
    return {"city": city, "temperature": temperature, "unit": unit, "sky": "clear"}


def get_time(city: str) -> str:
    """The local time in a city.

    Args:
        city: City name, e.g. "Tokyo".
    """
    return f"It is 09:{len(city) * 7 % 60:02d} in {city}."


@contextlib.contextmanager
def _relay() -> Iterator[tuple[object, str]]:
    import agentkit as ak

    if os.environ.get("AGENTKIT_BASE_URL") or os.environ.get("AGENTKIT_API_KEY"):
        yield ak.Relay.from_env(), "your relay"
        return
    with ak.emulator.serve() as relay:
        yield relay, f"the built-in emulator at {relay.root}"


def demo(models: Sequence[str]) -> int:
    import json

    import agentkit as ak
    from agentkit.events import ReasoningDelta, TextDelta, ToolCallFinished, ToolCallStarted

    with _relay() as (relay, where):
        print(f"agentkit demo through {where}\n")
        for model in models:
            agent = ak.Agent(model, tools=[get_weather, get_time], relay=relay, display=False)  # type: ignore[arg-type]
            dialect = agent.dialect
            print(f"== {model} ({dialect} dialect)")
            prompt = "What is the weather in Paris and the time in Tokyo?"
            print(f"> {prompt}")
            stream = agent.stream(prompt)
            thinking = False
            for event in stream:
                if isinstance(event, ReasoningDelta):
                    if not thinking:
                        print("  (thinking) ", end="")
                        thinking = True
                    print(event.text, end="", flush=True)
                    continue
                if thinking:
                    print()
                    thinking = False
                if isinstance(event, ToolCallStarted):
                    arguments = event.call.arguments
                    shown = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
                    print(f"  -> {event.call.name}({shown})")
                elif isinstance(event, ToolCallFinished):
                    print(f"  <- {event.result.text[:100]}  ({event.duration * 1000:.1f} ms)")
                elif isinstance(event, TextDelta):
                    print(event.text, end="", flush=True)
            reply = stream.reply
            assert reply is not None
            cost = "" if reply.cost is None else f", {reply.cost}"
            print(f"\n  [{reply.turns} turns, {reply.usage.input_tokens} in / {reply.usage.output_tokens} out tokens{cost}]\n")

        # Switching vendors mid-conversation keeps the whole history, tool calls included.
        agent = ak.Agent(models[0], tools=[get_weather], relay=relay, display=False)  # type: ignore[arg-type]
        agent("What is the weather in Rome?")
        agent.model = models[-1]
        reply = agent("Thanks! Summarise what you found for me.")
        print(f"== switched {models[0]} -> {models[-1]} mid-conversation; history has {len(agent.history)} messages")
        print(f"{reply.text}\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agentkit", description=__doc__.splitlines()[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("demo", help="run the tour (offline on the built-in emulator when no relay is set)")
    run.add_argument(
        "--models",
        nargs="+",
        default=["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro", "deepseek-r1"],
        help="models to try, one run each",
    )
    sub.add_parser("emulator", help="run the relay emulator (same as python -m agentkit.emulator)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from agentkit.errors import AgentkitError

        try:
            return demo(args.models)
        except AgentkitError as exc:  # a configuration or relay problem: its message says what to do
            print(f"agentkit demo: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2 if isinstance(exc, ValueError) else 1
    from agentkit.emulator.__main__ import main as emulator_main

    return emulator_main(rest)


if __name__ == "__main__":
    sys.exit(main())
