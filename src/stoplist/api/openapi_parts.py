"""Pieces every OpenAPI path description uses (see ``openapi`` and ``suppression_spec``)."""

from __future__ import annotations

from typing import Any

API_KEY = {"$ref": "#/components/parameters/apiKey"}
FORMAT = {"$ref": "#/components/parameters/format"}


def query_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }
