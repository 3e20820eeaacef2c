"""The dataclass codec behind the snapshot stored in saved graphs."""

from __future__ import annotations

import json
from dataclasses import field, make_dataclass
from pathlib import Path

import pytest

from trustgraph.load_report import LoadReport
from trustgraph.model import Snapshot
from trustgraph.saved.codec import Codec, CodecError
from trustgraph.sources.files import load_inputs

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"


def _classes(*leaf_fields: tuple) -> tuple[type, type]:
    # make_dataclass keeps real types in the annotations, so the local classes resolve
    leaf = make_dataclass("Leaf", [("name", str), ("values", tuple[str, ...]), *leaf_fields], frozen=True)
    root = make_dataclass("Root", [("leaves", list[leaf], field(default_factory=list)),
                                   ("keyed", dict[tuple[str, str], leaf], field(default_factory=dict)),
                                   ("seen", set[str], field(default_factory=set))])
    return leaf, root


def test_the_codec_fingerprint_follows_the_classes() -> None:
    assert Codec(_classes()[1]).fingerprint == Codec(_classes()[1]).fingerprint
    assert Codec(_classes(("extra", int, 0))[1]).fingerprint != Codec(_classes()[1]).fingerprint
    assert Codec(Snapshot).fingerprint == Codec(Snapshot).fingerprint


def test_the_codec_shares_equal_frozen_objects_and_refuses_misfits() -> None:
    leaf, root_type = _classes()
    codec = Codec(root_type)
    root = root_type([leaf("a", ("x",)), leaf("a", ("x",))], {("k", "l"): leaf("a", ("x",))}, {"s"})
    encoded = json.loads(json.dumps(codec.encode(root)))
    assert encoded["leaves"] == {"value": [0, 0], "tables": {"Leaf": [["a", ["x"]]]}}
    assert encoded["seen"] == {"value": ["s"], "tables": {}}
    decoded = codec.decode(encoded)
    assert decoded == root and decoded.leaves[0] is decoded.leaves[1]
    assert decoded.leaves[0].values == ("x",) and decoded.seen == {"s"}
    encoded["leaves"]["tables"]["Leaf"] = [["a"]]
    with pytest.raises(CodecError):
        codec.decode(encoded)
    with pytest.raises(CodecError):
        codec.decode({"leaves": encoded["keyed"]})


def test_snapshot_and_report_round_trip_through_json() -> None:
    snapshot, report = load_inputs([ACME])
    for codec, value in ((Codec(Snapshot), snapshot), (Codec(LoadReport), report)):
        assert codec.decode(json.loads(json.dumps(codec.encode(value)))) == value
