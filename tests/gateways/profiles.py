"""What each gateway in tests/gateways serves, as measured: the case matrix of `test_matrix.py` is built
from these, so a gateway added here meets every case.

`faults` lists what a gateway itself gets wrong, per (model, case) (`"*"`: every case of the model):
each becomes a strict xfail with the reason found in the gateway's source, so the test says when a new
version of the gateway stops getting it wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    #: The session fixture that runs the gateway (tests/gateways/conftest.py).
    fixture: str
    #: Dialect -> a model the gateway serves through that dialect's door from the same vendor's API.
    models: dict[str, str]
    #: Models reached through another vendor's door: the gateway translates between formats.
    cross: list[str]
    #: Dialect -> (a typo of a served model, the name agentkit should suggest).
    typos: dict[str, tuple[str, str]]
    #: Words of the answer to an unknown model that reach the user verbatim (the gateway's or the vendor's).
    unknown_model_words: dict[str, str]
    #: (dialect, model) pairs, in turn, for a vendor switch in the middle of a conversation.
    switch: list[tuple[str, str]]
    faults: dict[tuple[str, str], str] = field(default_factory=dict)


LITELLM = Profile(
    fixture="litellm",
    models={"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5",
            "gemini": "gemini-2.5-flash"},
    # The emulator's OpenAI door serves deepseek-chat; its Anthropic door the Claude models.
    cross=["openai:claude-sonnet-4-5", "responses:deepseek-chat", "anthropic:deepseek-chat", "gemini:deepseek-chat"],
    typos={"openai": ("gpt-4oo", "gpt-4o"), "responses": ("responses:gpt-4oo", "gpt-4o"),
           "anthropic": ("claude-sonet-4-5", "claude-sonnet-4-5"), "gemini": ("gemini-2.5-flsh", "gemini-2.5-flash")},
    unknown_model_words=dict.fromkeys(("openai", "responses", "anthropic", "gemini"),
                                      "Invalid model name passed in model="),
    switch=[("openai", "gpt-4o"), ("responses", "responses:gpt-4o"), ("anthropic", "claude-sonnet-4-5"),
            ("gemini", "gemini-2.5-flash")],
    faults={
        ("gemini:deepseek-chat", "image"): (
            "LiteLLM 1.108.7's Gemini endpoint drops `inlineData` images when it translates to an OpenAI-format "
            "upstream: the upstream request holds only the text"),
    },
)

#: Portkey has no Gemini door (its routes are OpenAI's `/v1/...` and Anthropic's `/v1/messages`): Gemini
#: models are reached through its OpenAI door, which translates to Google's API (`openai:gemini-...`).
PORTKEY = Profile(
    fixture="portkey",
    models={"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5"},
    cross=["openai:gemini-2.5-flash", "openai:claude-sonnet-4-5"],
    typos={"openai": ("gpt-4oo", "gpt-4o"), "responses": ("responses:gpt-4oo", "gpt-4o"),
           "anthropic": ("claude-sonet-4-5", "claude-sonnet-4-5")},
    # Portkey keeps no model list: the vendor's own words come back, prefixed with the provider's name.
    unknown_model_words={"openai": "openai error: The model `gpt-4oo` does not exist",
                         "responses": "The model `gpt-4oo` does not exist",
                         "anthropic": "model: claude-sonet-4-5"},
    switch=[("openai", "gpt-4o"), ("responses", "responses:gpt-4o"), ("anthropic", "claude-sonnet-4-5"),
            ("openai", "openai:gemini-2.5-flash")],
    faults={
        ("openai:gemini-2.5-flash", "tools"): (
            "Portkey 1.15.2 names each tool result sent to Google after the OpenAI tool message's `name`, a "
            "field OpenAI's tool messages do not have (src/providers/google/chatComplete.ts: `name: message.name "
            "?? 'gateway-tool-filler-name'`): the model gets its results under the name "
            "'gateway-tool-filler-name', not the tool's"),
        ("openai:claude-sonnet-4-5", "*"): (
            "Portkey 1.15.2 translates Chat Completions to Anthropic's Messages API without a default for "
            "`max_tokens`, which OpenAI's API leaves optional and Anthropic's requires "
            "(src/providers/anthropic/chatComplete.ts: `max_tokens: {param: 'max_tokens', required: true}`): "
            "the upstream refuses with 400 'max_tokens: Field required' unless the user passes `max_tokens=`"),
    },
)

PROFILES = [LITELLM, PORTKEY]
