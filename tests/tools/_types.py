"""Types used as parameter annotations by the tool tests (module level, as users define them)."""

from __future__ import annotations

import dataclasses
import enum
import typing
from typing import Annotated, NotRequired

from pydantic import BaseModel, Field
from typing_extensions import TypedDict


class Color(enum.Enum):
    """A primary color."""

    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


@dataclasses.dataclass
class Point:
    """A point on the plane."""

    x: int
    y: int = 0


@dataclasses.dataclass
class Segment:
    start: Point
    end: Point
    label: str | None = None


class Item(BaseModel):
    """A line of an order."""

    name: str = Field(description="What was bought.", min_length=2)
    quantity: int = Field(1, ge=1, description="How many.")
    price: float = Field(gt=0)


class Node(BaseModel):
    """A tree node."""

    value: int
    children: list[Node] = []


class Address(TypedDict):
    street: str
    zip_code: NotRequired[str]


class LegacyAddress(typing.TypedDict):
    """`typing.TypedDict`, which pydantic refuses on Python < 3.12 unless agentkit rebuilds it."""

    street: str
    city: str


Positive = Annotated[int, Field(gt=0, description="A positive number.")]


class Category(typing.TypedDict):
    """A `typing.TypedDict` that refers to itself (rebuilt for pydantic on Python < 3.12, recursion and all)."""

    name: str
    subcategories: list[Category]


class Person(typing.TypedDict):
    name: str
    employer: NotRequired[Company | None]


class Company(typing.TypedDict):
    """Refers to `Person`, which refers back: mutual recursion between two `typing.TypedDict`s."""

    name: str
    staff: list[Person]


class LegacyContact(typing.TypedDict):
    """`NotRequired` in a `typing.TypedDict` under `from __future__ import annotations`, which Python 3.11's
    `typing` does not see (it lists `email` among the required keys)."""

    name: str
    email: NotRequired[str]
