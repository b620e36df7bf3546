"""The targets import file's row report: which rows are read, with their line numbers and reasons."""

from __future__ import annotations

import orjson

from gateway.imports import read_file
from gateway.target_import import TargetRow, target_row


def _lines(*records: object) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records)


def test_json_lines_rows_become_targets_and_each_refusal_names_its_row() -> None:
    body = _lines(
        {"manager_id": "m001", "period": "2025-06", "volume": 400, "key_brands": {"黄山": 120},
         "value_per_carton_fen": "21000", "plan_execution_pct": 92.5},
        {"manager_id": "m001", "period": "2025-W23", "volume": 100},
        {"manager_id": "m002", "period": "2025-6", "volume": 1},
        {"manager_id": "m002", "period": "2025-06"},
        {"manager_id": "m002", "period": "2025-06", "volume": 1.5},
        {"manager_id": "m002", "period": "2025-06", "key_brands": {"黄山": -1}},
        {"manager_id": "m002", "period": "2025-06", "plan_execution_pct": 1001},
        {"period": "2025-06", "volume": 3},
    )  # fmt: skip
    rows = read_file(body, "application/x-ndjson", target_row)
    assert rows.lines == [1, 2]
    assert rows.values[0] == TargetRow("m001", "2025-06", 400, [["黄山", 120]], 21000, 92.5)
    assert rows.values[1].as_dict() == {
        "manager_id": "m001", "team_id": "", "period": "2025-W23", "volume": 100, "key_brands": [],
        "value_per_carton_fen": None, "plan_execution_pct": None,
    }  # fmt: skip
    assert [(r["row"], r["field"]) for r in rows.rejected] == [
        (3, "period"), (4, "volume"), (5, "volume"), (6, "key_brands"), (7, "plan_execution_pct"), (8, "manager_id"),
    ]  # fmt: skip
    assert rows.rejected[1]["reason"] == "at least one target figure is required"


def test_csv_rows_take_key_brands_as_pairs_in_one_cell() -> None:
    body = (
        "manager_id,period,volume,key_brands,value_per_carton_fen,plan_execution_pct\n"
        "m001,2025-06,400,黄山:120;中华:30,21000,90\n"
        "m002,2025-W01,,中华,,\n"
        "m003,2025-W01,,,,85\n"
    ).encode()
    rows = read_file(body, "text/csv", target_row)
    assert [(r.manager_id, r.volume, r.key_brands, r.plan_execution_pct) for r in rows.values] == [
        ("m001", 400, [["黄山", 120], ["中华", 30]], 90.0), ("m003", None, [], 85.0),
    ]  # fmt: skip
    assert rows.lines == [2, 4]
    assert rows.rejected == [{"row": 3, "field": "key_brands", "reason": "brand:cartons pairs separated by ';'"}]
