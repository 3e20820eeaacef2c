"""Typed dataclasses (the Snapshot, the LoadReport) to JSON-ready values and back, driven by the type hints.

The encoding is positional and compact: a dataclass is the list of its field values in field order, a
dict is a JSON object when its keys are strings and a list of [key, value] pairs otherwise, tuples and
sets are lists. Instances of frozen dataclasses (policy statements, conditions, documents) are stored
once per distinct value in a table per class and referenced by index, so identical trust statements
across thousands of roles cost one entry; decoding shares those (immutable) objects.

Nothing here is hand-written per class: a field added to `trustgraph.model` is picked up by `fingerprint`
(which changes, so older encodings are refused rather than misread) and encoded like any other field.

A root field marked `field(metadata={OPTIONAL_PART: True})` (default None) is an optional part: it is left out of
`encode` when None and out of `fingerprint`, and has a fingerprint of its own (`part_fingerprints`), so that data
without it encodes exactly as before the field existed and older encodings stay readable.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import operator
import types
import typing
from collections.abc import Callable, Collection
from typing import Any, TypeGuard

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

_SCALARS = (str, int, float, bool, type(None), typing.Any)


def _sorted_if_possible(values: Any) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:  # elements of no common order (mixed types): as they come
        return list(values)


LAYOUT = 2  # the encoding itself; part of the fingerprint, so that older encodings are refused
OPTIONAL_PART = "optional_part"  # dataclass field metadata key (see the module docstring)


class _Memo:
    """Key of the per-session encoder memo inside the tables dict."""


class CodecError(ValueError):
    """The encoded data does not fit the classes (another model version, or damaged data)."""


def _is_dataclass_type(tp: Any) -> TypeGuard[type[Any]]:
    # Everything walked here is a type hint, so a dataclass is always the class, never an instance.
    return dataclasses.is_dataclass(tp)


def _describe(tp: Any) -> str:
    """A stable text for a type, used by the fingerprint."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None:
        if _is_dataclass_type(tp):
            return tp.__qualname__
        return getattr(tp, "__qualname__", repr(tp))
    name = getattr(origin, "__qualname__", repr(origin))
    return f"{name}[{', '.join(_describe(a) for a in args)}]"


def _is_frozen(tp: Any) -> bool:
    return _is_dataclass_type(tp) and tp.__dataclass_params__.frozen


class Codec:
    """Encoder and decoder for one root dataclass and every type reachable from its fields."""

    def __init__(self, root: type) -> None:
        self.root = root
        self._hints: dict[type, dict[str, Any]] = {}
        self._classes: list[type] = []  # every dataclass reachable, in discovery order
        self.optional = [f.name for f in dataclasses.fields(root) if f.metadata.get(OPTIONAL_PART)]
        self._collect(root, skip=self.optional)
        required = list(self._classes)
        for name in self.optional:
            self._collect(self._hints[root][name])
        # Frozen classes are interned; their tables are decoded children first.
        self._interned = [c for c in self._dependency_order() if _is_frozen(c)]
        self.fingerprint = self._fingerprint(required, skip=self.optional)
        self.part_fingerprints = {name: self._fingerprint(self._reachable(self._hints[root][name]), tag=name)
                                  for name in self.optional}

    def _fingerprint(self, classes: list[type], skip: Collection[str] = (), tag: str = "") -> str:
        described = "\n".join(
            f"{c.__qualname__}: " + ", ".join(f"{n}: {_describe(t)}" for n, t in self._hints[c].items()
                                              if not (c is self.root and n in skip))
            for c in classes)
        head = f"layout {LAYOUT}" + (f" part {tag}" if tag else "")
        return hashlib.blake2b(f"{head}\n{described}".encode(), digest_size=8).hexdigest()

    def _reachable(self, tp: Any) -> list[type]:
        """The dataclasses reachable from `tp`, in discovery order."""
        found: list[type] = []

        def walk(t: Any) -> None:
            for cls in self._dataclasses_in(t):
                if cls not in found:
                    found.append(cls)
                    for field_type in self._hints[cls].values():
                        walk(field_type)

        walk(tp)
        return found

    # -- type walk --------------------------------------------------------------------------------
    def _collect(self, tp: Any, skip: Collection[str] = ()) -> None:
        origin = typing.get_origin(tp)
        if origin is not None:
            for arg in typing.get_args(tp):
                if arg is not Ellipsis:
                    self._collect(arg)
            return
        if _is_dataclass_type(tp) and tp not in self._hints:
            hints = typing.get_type_hints(tp)
            self._hints[tp] = {f.name: hints[f.name] for f in dataclasses.fields(tp)}
            self._classes.append(tp)
            for name, field_type in self._hints[tp].items():
                if name not in skip:
                    self._collect(field_type)

    def _dataclasses_in(self, tp: Any) -> set[type]:
        origin = typing.get_origin(tp)
        if origin is not None:
            return set().union(*(self._dataclasses_in(a) for a in typing.get_args(tp) if a is not Ellipsis))
        return {tp} if _is_dataclass_type(tp) else set()

    def _dependency_order(self) -> list[type]:
        done: list[type] = []

        def visit(cls: type, stack: tuple[type, ...]) -> None:
            if cls in done or cls in stack:
                return
            for field_type in self._hints[cls].values():
                for dep in self._dataclasses_in(field_type):
                    visit(dep, (*stack, cls))
            done.append(cls)

        for cls in self._classes:
            visit(cls, ())
        return done

    # -- compiled converters ------------------------------------------------------------------------
    def _encoder(self, tp: Any, tables: dict[type, Any]) -> Encoder | None:
        """A function encoding values of `tp`, or None when the value is already JSON-ready as it is."""
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if tp in _SCALARS:
            return None
        if _is_dataclass_type(tp):
            return self._class_encoder(tp, tables)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            if len(options) != 1:
                raise TypeError(f"cannot encode the union {tp}")
            option = self._encoder(options[0], tables)
            if option is None:
                return None
            return lambda v: None if v is None else option(v)
        if origin in (tuple, list, set, frozenset):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                encoders = [self._encoder(a, tables) for a in args]
                if all(e is None for e in encoders):
                    return list
                return lambda v: [v if e is None else e(v) for e, v in zip(encoders, v, strict=True)]
            inner = self._encoder(args[0], tables)
            if origin in (set, frozenset):
                # a set's iteration order changes with hash randomization: sorted, a saved graph is the same
                # file whichever process wrote it
                order: Callable[[Any], list[Any]] = _sorted_if_possible
                if inner is None:
                    return order
                return lambda v: [inner(x) for x in order(v)]
            if inner is None:
                return list if origin is not list else None
            return lambda v: [inner(x) for x in v]
        if origin in (dict, collections.Counter):
            key_type, value_type = args if origin is dict else (args[0], int)
            value_enc = self._encoder(value_type, tables)
            if key_type is str:
                if value_enc is None:
                    return None
                return lambda v: {k: value_enc(x) for k, x in v.items()}
            key_enc = self._encoder(key_type, tables)
            return lambda v: [[k if key_enc is None else key_enc(k), x if value_enc is None else value_enc(x)]
                              for k, x in v.items()]
        raise TypeError(f"cannot encode the type {tp!r}")

    def _class_encoder(self, cls: type, tables: dict[type, Any]) -> Encoder:
        # One encoder per class and session: an interned class keeps one table however many fields use it.
        memo = tables.setdefault(_Memo, {})
        if cls not in memo:
            memo[cls] = self._compile_class_encoder(cls, tables)
        return memo[cls]

    def _compile_class_encoder(self, cls: type, tables: dict[type, Any]) -> Encoder:
        names = list(self._hints[cls])
        encoders = [self._encoder(t, tables) for t in self._hints[cls].values()]
        getter = operator.attrgetter(*names) if len(names) > 1 else (lambda v: (getattr(v, names[0]),))
        converted = [(i, e) for i, e in enumerate(encoders) if e is not None]

        def plain(v: Any) -> list[Any]:
            row = list(getter(v))
            for i, encode in converted:
                row[i] = encode(row[i])
            return row

        if not _is_frozen(cls):
            return plain
        index: dict[Any, int] = {}
        rows: list[Any] = []
        tables[cls] = rows

        def interned(v: Any) -> int:
            found = index.get(v)
            if found is None:
                found = index[v] = len(rows)
                rows.append(plain(v))
            return found

        return interned

    def _decoder(self, tp: Any, tables: dict[type, list[Any]]) -> Decoder | None:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if tp in _SCALARS:
            return None
        if _is_dataclass_type(tp):
            if _is_frozen(tp):
                table = tables[tp]
                return table.__getitem__
            return self._class_decoder(tp, tables)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            option = self._decoder(options[0], tables)
            if option is None:
                return None
            return lambda v: None if v is None else option(v)
        if origin in (tuple, list, set, frozenset):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                decoders = [self._decoder(a, tables) for a in args]
                if all(d is None for d in decoders):
                    return tuple
                return lambda v: tuple(x if d is None else d(x) for d, x in zip(decoders, v, strict=True))
            inner = self._decoder(args[0], tables)
            if inner is None:
                return None if origin is list else origin
            if origin is list:
                return lambda v: [inner(x) for x in v]
            return lambda v: origin(map(inner, v))
        if origin in (dict, collections.Counter):
            key_type, value_type = args if origin is dict else (args[0], int)
            value_dec = self._decoder(value_type, tables)
            if key_type is str:
                if origin is collections.Counter:
                    return collections.Counter
                if value_dec is None:
                    return None
                return lambda v: {k: value_dec(x) for k, x in v.items()}
            key_dec = self._decoder(key_type, tables)
            return lambda v: {(k if key_dec is None else key_dec(k)): (x if value_dec is None else value_dec(x))
                              for k, x in v}
        raise TypeError(f"cannot decode the type {tp!r}")

    def _class_decoder(self, cls: type, tables: dict[type, list[Any]]) -> Decoder:
        decoders = [self._decoder(t, tables) for t in self._hints[cls].values()]
        width = len(decoders)
        if all(d is None for d in decoders):
            def plain(v: list[Any]) -> Any:
                if len(v) != width:
                    raise CodecError(f"{cls.__name__}: {len(v)} fields, expected {width}")
                return cls(*v)
            return plain
        conversions = [(i, d) for i, d in enumerate(decoders) if d is not None]

        def converted(v: list[Any]) -> Any:
            if len(v) != width:
                raise CodecError(f"{cls.__name__}: {len(v)} fields, expected {width}")
            for i, decode in conversions:  # the list is freshly parsed JSON: ours to change
                v[i] = decode(v[i])
            return cls(*v)

        return converted

    # -- public -------------------------------------------------------------------------------------
    @property
    def field_names(self) -> list[str]:
        return list(self._hints[self.root])

    def encode_field(self, name: str, value: Any) -> dict[str, Any]:
        """One root field on its own, with the tables of the interned objects it references, so that the
        fields can be stored and read separately (reading the organization needs none of the roles)."""
        tables: dict[type, Any] = {}
        encoder = self._encoder(self._hints[self.root][name], tables)
        encoded = value if encoder is None else encoder(value)
        return {"value": encoded, "tables": {c.__name__: tables[c] for c in self._interned if tables.get(c)}}

    def decode_field(self, name: str, data: dict[str, Any]) -> Any:
        try:
            tables = data.get("tables", {})
            decoded: dict[type, list[Any]] = {}
            for cls in self._interned:
                decoder = self._class_decoder(cls, decoded)
                decoded[cls] = [decoder(row) for row in tables.get(cls.__name__, [])]
            dec = self._decoder(self._hints[self.root][name], decoded)
            return data["value"] if dec is None else dec(data["value"])
        except CodecError:
            raise
        except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
            raise CodecError(f"{name}: {type(exc).__name__}: {exc}") from None

    def stored_fields(self, value: Any) -> list[str]:
        """The root fields `encode` writes for `value`: every field but the optional parts holding None."""
        return [name for name in self._hints[self.root]
                if name not in self.optional or getattr(value, name) is not None]

    def encode(self, value: Any) -> dict[str, Any]:
        return {name: self.encode_field(name, getattr(value, name)) for name in self.stored_fields(value)}

    def decode(self, data: dict[str, Any]) -> Any:
        if not isinstance(data, dict) or not set(self._hints[self.root]) - set(self.optional) <= set(data) \
                or not set(data) <= set(self._hints[self.root]):
            raise CodecError(f"{self.root.__name__}: fields {sorted(data) if isinstance(data, dict) else data!r}")
        return self.root(**{name: self.decode_field(name, part) for name, part in data.items()})
