"""Table definitions derived from the models; creating and describing the tables.

``table_definitions`` is the one source the SAM template is checked against: keys, GSIs,
projections, billing mode and the TTL attribute of every table of a layout.
"""

from __future__ import annotations

import contextlib
from typing import Any

from dogcare.storage.layout import TTL_ATTRIBUTE
from dogcare.storage.store import Store


def table_definitions(store: Store) -> dict[str, dict[str, Any]]:
    """Physical table name -> a CreateTable request (plus ``TimeToLiveAttribute``)."""
    definitions: dict[str, dict[str, Any]] = {}
    for base in store.models.bases():
        schema = base._get_schema()
        gsis = [
            {
                "IndexName": g["index_name"],
                "KeySchema": sorted(g["key_schema"], key=lambda k: k["KeyType"]),
                "Projection": g["projection"],
            }
            for g in schema["global_secondary_indexes"]
        ]
        request: dict[str, Any] = {
            "TableName": base.Meta.table_name,
            "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
            "KeySchema": sorted(schema["key_schema"], key=lambda k: k["KeyType"]),
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveAttribute": TTL_ATTRIBUTE,
        }
        if gsis:
            request["GlobalSecondaryIndexes"] = sorted(gsis, key=lambda g: g["IndexName"])
        definitions[base.Meta.table_name] = request
    return definitions


def create_tables(store: Store) -> list[str]:
    """Create every table of the layout that does not exist yet; returns the ones created."""
    client = store.client
    existing = set(client.list_tables().get("TableNames", []))
    created = []
    for name, definition in table_definitions(store).items():
        if name in existing:
            continue
        request = {k: v for k, v in definition.items() if k != "TimeToLiveAttribute"}
        client.create_table(**request)
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )
        created.append(name)
    return created


def describe_tables(store: Store) -> list[dict[str, Any]]:
    client = store.client
    rows = []
    for name in table_definitions(store):
        try:
            table = client.describe_table(TableName=name)["Table"]
        except client.exceptions.ResourceNotFoundException:
            rows.append({"name": name, "status": "MISSING", "items": 0, "indexes": []})
            continue
        rows.append(
            {
                "name": name,
                "status": table["TableStatus"],
                "items": table.get("ItemCount", 0),
                "indexes": [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])],
            }
        )
    return rows


def delete_tables(store: Store) -> None:
    client = store.client
    for name in table_definitions(store):
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_table(TableName=name)
