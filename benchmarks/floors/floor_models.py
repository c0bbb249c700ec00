"""A Pydantic v2 response model of the size of the dogs function's own, and its path parameter."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Vaccination(BaseModel):
    name: str
    expires_on: str


class Dog(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    name: str = Field(min_length=1, max_length=50)
    breed: str
    age: int = Field(ge=0, le=30)
    size: str
    special_needs: list[str] = []
    vaccinations: list[Vaccination] = []
    version: int
    created_at: str
    updated_at: str


DogId = Annotated[str, Field(min_length=1, max_length=64)]
