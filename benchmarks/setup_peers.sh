#!/usr/bin/env bash
# Create benchmarks/.venv-peers: agentkit plus the peer libraries the benchmarks compare it with.
# Kept apart from the project's own environment (and dependencies) on purpose: peers pull in their
# own pins, which must never leak into agentkit's. Re-running is cheap (pip skips what is there).
#
#   bash benchmarks/setup_peers.sh && benchmarks/.venv-peers/bin/python benchmarks/peers.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=benchmarks/.venv-peers
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# The same SDK versions as the project's own environment, so every library drives the same SDKs.
# (aisuite and mirascope have no release compatible with these SDK versions.)
"$VENV/bin/pip" install -q -e . \
    "openai==3.54.0" "anthropic==2.12.0" "google-genai==3.4.0" \
    "pydantic-ai-slim[openai,anthropic,google]==2.66.0" \
    "litellm==1.83.0" \
    "openai-agents==0.24.0" \
    "psutil"
"$VENV/bin/pip" list 2>/dev/null | grep -iE '^(agentkit|pydantic-ai-slim|litellm|openai-agents|openai|anthropic|google-genai) '
