"""Declaration primitives: an entity is declared once, and everything about it is derived.

- ``KeyTemplate``: a key shape such as ``"DOG#{dog_id}"``: the fields it needs, ``format``, its
  literal prefix, the wildcard form IAM conditions use (``DOG#*``), the ``begins_with`` and
  ``BETWEEN`` shapes a sort key is queried by.
- ``Attribute``: what a stored attribute holds (string, number, map, list, version), whether it
  may be absent, and its default.
- ``Entity``: a type stamp, its logical table, its attributes, its base-table and index keys,
  its schema version, example values for the documentation and a typical item size. It
  computes an item's key attributes from the item's own fields and declares its access patterns.
- ``Schema``: the entities a library stores, and its access patterns; a user of the library
  extends it with ``with_entities``.

Pure Python on purpose: every function imports the declarations (and the build checks read
the route table with a Python that has no PynamoDB); ``dogcare.storage.entities`` turns them
into PynamoDB models. The classes are plain ``__slots__`` records rather than dataclasses for
the same reason: a dataclass costs most of a millisecond to define, on every cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from string import Formatter
from typing import Any, Literal

from dogcare.storage.layout import ALL_INDEXES, IndexSpec, LogicalTable

HIGH = "\uffff"  # sorts after every character we store: closes an open BETWEEN range
WILDCARD = "*"

_FORMATTER = Formatter()


class _Record:
    """Value semantics (equality, hash, repr) from ``__slots__``; not to be changed once made."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__ if not name.startswith("_"))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__ if not n.startswith("_"))
        return f"{type(self).__name__}({shown})"


# --- key templates ------------------------------------------------------------------------------


class KeyTemplate(_Record):
    """One key shape: literal text with ``{field}`` (or ``{field:spec}``) placeholders."""

    __slots__ = ("_parsed", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Parsed once: keys are formatted on every item a repository builds.
        self._parsed = tuple((literal, name, spec or "") for literal, name, spec, _ in _FORMATTER.parse(text))

    def _parts(self) -> list[tuple[str, str | None, str]]:
        return list(self._parsed)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for _, name, _ in self._parts() if name is not None)

    @property
    def literals(self) -> tuple[str, ...]:
        """The literal text between the fields (``("DOG#",)`` for ``DOG#{dog_id}``)."""
        return tuple(literal for literal, _, _ in self._parts() if literal)

    @property
    def is_literal(self) -> bool:
        return not self.fields

    @property
    def prefix(self) -> str:
        """The literal text before the first field (all of it when there is none)."""
        return self._parts()[0][0] if self._parts() else ""

    def format(self, **values: object) -> str:
        missing = [name for name in self.fields if name not in values]
        if missing:
            raise KeyError(f"{self.text} needs {', '.join(missing)}")
        return self.text.format(**values)

    def wildcard(self, **fixed: object) -> str:
        """The key with every field not in ``fixed`` standing for any value: ``DOG#*``."""
        out = []
        for literal, name, spec in self._parts():
            out.append(literal)
            if name is not None:
                out.append(format(fixed[name], spec) if name in fixed else WILDCARD)
        return "".join(out)

    def rename(self, **names: str) -> KeyTemplate:
        """The same shape with fields renamed (the documentation's names for them)."""
        return KeyTemplate(self._render(self._parts(), names))

    def begins_with(self, through: str | None = None) -> KeyTemplate:
        """The prefix a ``begins_with`` reads: the literal text before the first field, or
        everything up to ``through`` and the literal that follows it (``{service_type}#``)."""
        parts = self._parts()
        if through is None:
            return KeyTemplate(parts[0][0] if parts else "")
        kept: list[tuple[str, str | None, str]] = []
        for index, part in enumerate(parts):
            kept.append(part)
            if part[1] == through:
                following = parts[index + 1][0] if index + 1 < len(parts) else ""
                return KeyTemplate(self._render(kept) + following)
        raise KeyError(f"{self.text} has no field {through}")

    def between(self, through: str, low: str, high: str) -> tuple[KeyTemplate, KeyTemplate]:
        """The bounds of a ``BETWEEN`` on the leading field ``through``: ``low`` and ``high``
        (template text, e.g. ``{start_from}``) in its place; the upper bound also covers every
        key that continues after it."""
        head = self.begins_with(through)
        before = self._render(self._parts()[: self.fields.index(through) + 1])
        prefix = before[: before.rindex("{")]
        separator = head.text[len(before) :]
        return KeyTemplate(prefix + low), KeyTemplate(prefix + high + separator + HIGH)

    @staticmethod
    def _render(parts: Iterable[tuple[str, str | None, str]], names: Mapping[str, str] | None = None) -> str:
        out = []
        for literal, name, spec in parts:
            out.append(literal)
            if name is not None:
                shown = (names or {}).get(name, name)
                out.append("{" + shown + (f":{spec}" if spec else "") + "}")
        return "".join(out)

    def __str__(self) -> str:
        return self.text


def template(text: str | KeyTemplate) -> KeyTemplate:
    return text if isinstance(text, KeyTemplate) else KeyTemplate(text)


# --- attributes ---------------------------------------------------------------------------------

AttributeKind = Literal["string", "number", "map", "list", "version"]


class Attribute(_Record):
    """A stored attribute. A map with ``fields`` has a fixed shape (its ``shape`` names it); a
    map without is free-form. A list holds ``of``. ``default`` is a value or a factory."""

    __slots__ = ("default", "fields", "kind", "null", "of", "shape")

    def __init__(
        self,
        kind: AttributeKind,
        null: bool = False,
        default: object = None,
        of: Attribute | None = None,
        fields: tuple[tuple[str, Attribute], ...] = (),
        shape: str | None = None,
    ) -> None:
        self.kind, self.null, self.default, self.of, self.fields, self.shape = kind, null, default, of, fields, shape


def string(*, null: bool = False) -> Attribute:
    return Attribute("string", null=null)


def number(*, null: bool = False, default: object = None) -> Attribute:
    return Attribute("number", null=null, default=default)


def version() -> Attribute:
    """The optimistic-locking counter: every save checks and increments it."""
    return Attribute("version")


def shaped_map(shape: str, *, null: bool = False, **fields: Attribute) -> Attribute:
    return Attribute("map", null=null, fields=tuple(fields.items()), shape=shape)


def free_map(*, null: bool = False, default: object = None) -> Attribute:
    return Attribute("map", null=null, default=default)


def list_of(of: Attribute, *, null: bool = False, default: object = None) -> Attribute:
    return Attribute("list", null=null, default=default, of=of)


def timestamps() -> dict[str, Attribute]:
    return {"created_at": string(), "updated_at": string()}


# --- access patterns ----------------------------------------------------------------------------

RangeOp = Literal["eq", "begins_with", "between"]
Operation = Literal["GetItem", "Query", "BatchGetItem"]


class RangeKey(_Record):
    __slots__ = ("op", "templates")

    def __init__(self, op: RangeOp, templates: tuple[str, ...]) -> None:
        self.op, self.templates = op, templates


class AccessPattern(_Record):
    """One way the application reads: the logical table, the index (None: the base table), the
    key condition as templates, the entity it returns. Repositories execute these."""

    __slots__ = (
        "entity",
        "example",
        "hash_template",
        "index",
        "name",
        "narrower",
        "operation",
        "range",
        "summary",
        "table",
        "used_by",
    )

    def __init__(
        self,
        name: str,
        summary: str,
        table: LogicalTable,
        index: IndexSpec | None,
        operation: Operation,
        hash_template: str,
        range: RangeKey | None,
        entity: str,
        used_by: tuple[str, ...],
        example: dict[str, str] | None = None,
        narrower: dict[str, RangeKey] | None = None,
    ) -> None:
        self.name, self.summary, self.table, self.index, self.operation = name, summary, table, index, operation
        self.hash_template, self.range, self.entity, self.used_by = hash_template, range, entity, used_by
        self.example: dict[str, str] = example or {}
        self.narrower: dict[str, RangeKey] = narrower or {}

    @property
    def hash_attr(self) -> str:
        return self.index.hash_attr if self.index else "pk"

    @property
    def range_attr(self) -> str:
        return self.index.range_attr if self.index else "sk"

    def hash_value(self, **params: Any) -> str:
        return self.hash_template.format(**params)

    def range_key(self, variant: str | None = None) -> RangeKey | None:
        return self.narrower[variant] if variant else self.range

    def range_values(self, variant: str | None = None, **params: Any) -> tuple[str, ...]:
        key = self.range_key(variant)
        return tuple(t.format(**params) for t in key.templates) if key else ()

    def key_condition(self, variant: str | None = None, *, placeholders: bool = False) -> str:
        """The key condition with its templates written in; with ``placeholders``, the
        ``KeyConditionExpression`` a request sends (``:pk``, ``:sk`` or ``:sk_from``/``:sk_to``)."""
        key = self.range_key(variant)
        if placeholders:
            hash_value = ":pk"
            values: tuple[str, ...] = (":sk_from", ":sk_to") if key and key.op == "between" else (":sk",)
        else:
            hash_value = f"'{self.hash_template}'"
            values = tuple(f"'{t}'" for t in key.templates) if key else ()
        text = f"{self.hash_attr} = {hash_value}"
        if key is None:
            return text
        if key.op == "eq":
            return f"{text} AND {self.range_attr} = {values[0]}"
        if key.op == "begins_with":
            return f"{text} AND begins_with({self.range_attr}, {values[0]})"
        return f"{text} AND {self.range_attr} BETWEEN {values[0]} AND {values[1]}"


def begins_with(key: KeyTemplate, through: str | None = None) -> RangeKey:
    return RangeKey("begins_with", (key.begins_with(through).text,))


def between(key: KeyTemplate, through: str, low: str, high: str) -> RangeKey:
    lower, upper = key.between(through, low, high)
    return RangeKey("between", (lower.text, upper.text))


# --- entities -----------------------------------------------------------------------------------

Values = Mapping[str, Any]
FieldSource = str | Callable[[Values], object]  # an attribute's name, or a function of the item


class IndexKey(_Record):
    """An entity's keys in one GSI. ``when``: a sparse index, keys only on items it accepts."""

    __slots__ = ("note", "pk", "sk", "when")

    def __init__(
        self, pk: KeyTemplate, sk: KeyTemplate, when: Callable[[Values], bool] | None = None, note: str = ""
    ) -> None:
        self.pk, self.sk, self.when, self.note = pk, sk, when, note


INDEXES: dict[str, IndexSpec] = {spec.name: spec for spec in ALL_INDEXES}


class Entity(_Record):
    """One stored entity. Key template fields are read from the item's attribute of the same
    name unless ``sources`` names another attribute or a function of the item's values (a key
    field may also be a value that only the key holds, such as a counter's day).

    ``model``: the PynamoDB class name; ``title``: its name in the documentation; ``example``:
    key field values for the documentation; ``item_bytes``: a typical item's size (the documented
    costs); ``export``: the analytics export's columns (name, type)."""

    __slots__ = (
        "attributes",
        "example",
        "export",
        "indexes",
        "item_bytes",
        "model",
        "name",
        "pk",
        "schema_version",
        "sk",
        "sources",
        "table",
        "title",
    )

    def __init__(
        self,
        name: str,
        *,
        model: str,
        title: str,
        table: LogicalTable,
        attributes: Mapping[str, Attribute],
        pk: KeyTemplate,
        sk: KeyTemplate,
        indexes: Mapping[str, IndexKey] | None = None,
        sources: Mapping[str, FieldSource] | None = None,
        schema_version: int = 1,
        example: Mapping[str, str] | None = None,
        item_bytes: int | None = None,
        export: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.name, self.model, self.title, self.table = name, model, title, table
        self.attributes, self.pk, self.sk = attributes, pk, sk
        self.indexes: Mapping[str, IndexKey] = indexes or {}
        self.sources: Mapping[str, FieldSource] = sources or {}
        self.schema_version, self.item_bytes, self.export = schema_version, item_bytes, export
        self.example: Mapping[str, str] = example or {}
        unknown = set(self.indexes) - set(INDEXES)
        if unknown:
            raise ValueError(f"{name}: no index {', '.join(sorted(unknown))}")

    def __hash__(self) -> int:  # declared once: identity is its value
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    # --- keys ---

    def _field(self, name: str, values: Values) -> object:
        source = self.sources.get(name, name)
        if callable(source):
            return source(values)
        try:
            return values[source]
        except KeyError:
            raise KeyError(f"{self.name} key field {name} needs {source}") from None

    def _format(self, key: KeyTemplate, values: Values) -> str:
        return key.format(**{name: self._field(name, values) for name in key.fields})

    def key(self, **values: Any) -> tuple[str, str]:
        """The base-table key (``pk``, ``sk``) of the item with these values."""
        return self._format(self.pk, values), self._format(self.sk, values)

    def index_key(self, index: str, **values: Any) -> dict[str, str]:
        """The attributes of one index's key; empty if the sparse index does not take the item."""
        spec, key = INDEXES[index], self.indexes[index]
        if key.when is not None and not key.when(values):
            return {}
        return {spec.hash_attr: self._format(key.pk, values), spec.range_attr: self._format(key.sk, values)}

    def key_attributes(self, **values: Any) -> dict[str, str]:
        """Every key attribute of the item: ``pk``, ``sk`` and each index's keys."""
        pk, sk = self.key(**values)
        out = {"pk": pk, "sk": sk}
        for index in self.indexes:
            out.update(self.index_key(index, **values))
        return out

    def shape(self, **names: str) -> str:
        """``pk / sk`` as templates, for the documentation (fields renamed as given)."""
        return f"{self.pk.rename(**names)} / {self.sk.rename(**names)}"

    # --- access patterns ---

    def _pattern(
        self,
        name: str,
        summary: str,
        operation: Operation,
        index: str | None,
        hash_key: KeyTemplate,
        range_key: RangeKey | None,
        used_by: tuple[str, ...],
        example: Mapping[str, str] | None,
        narrower: Mapping[str, RangeKey] | None,
    ) -> AccessPattern:
        narrower = dict(narrower or {})
        needed = set(hash_key.fields)
        for key in (range_key, *narrower.values()):
            for text in key.templates if key else ():
                needed |= set(KeyTemplate(text).fields)
        params = {k: v for k, v in self.example.items() if k in needed}
        return AccessPattern(
            name,
            summary,
            self.table,
            INDEXES[index] if index else None,
            operation,
            hash_key.text,
            range_key,
            self.name,
            used_by,
            {**params, **(example or {})},
            narrower,
        )

    def get(
        self, name: str, summary: str, used_by: tuple[str, ...], *, operation: Operation = "GetItem"
    ) -> AccessPattern:
        """Read one item (or, ``BatchGetItem``, many) by its base-table key."""
        return self._pattern(
            name, summary, operation, None, self.pk, RangeKey("eq", (self.sk.text,)), used_by, None, None
        )

    def query(
        self,
        name: str,
        summary: str,
        used_by: tuple[str, ...],
        *,
        index: str | None = None,
        range_key: RangeKey | None = None,
        example: Mapping[str, str] | None = None,
        narrower: Mapping[str, RangeKey] | None = None,
    ) -> AccessPattern:
        """One partition (of the base table, or of ``index``), optionally narrowed by sort key."""
        hash_key = self.indexes[index].pk if index else self.pk
        return self._pattern(name, summary, "Query", index, hash_key, range_key, used_by, example, narrower)

    def sort_key(self, index: str | None = None) -> KeyTemplate:
        return self.indexes[index].sk if index else self.sk


# --- the schema ---------------------------------------------------------------------------------


class Schema(_Record):
    """The entities a library stores and the access patterns it reads them by."""

    __slots__ = ("entities", "patterns")

    def __init__(self, entities: tuple[Entity, ...], patterns: tuple[AccessPattern, ...] = ()) -> None:
        self.entities, self.patterns = entities, patterns
        for kind, names in (
            ("entity", [e.name for e in entities]),
            ("model", [e.model for e in entities]),
            ("pattern", [p.name for p in patterns]),
        ):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{kind} declared twice: {', '.join(twice)}")

    def with_entities(self, *entities: Entity, patterns: Iterable[AccessPattern] = ()) -> Schema:
        """This schema plus more entities (and their access patterns)."""
        return Schema((*self.entities, *entities), (*self.patterns, *patterns))

    def entity(self, name: str) -> Entity:
        for entity in self.entities:
            if entity.name == name:
                return entity
        raise KeyError(name)

    def pattern(self, name: str) -> AccessPattern:
        for pattern in self.patterns:
            if pattern.name == name:
                return pattern
        raise KeyError(name)

    def item_bytes(self) -> dict[str, int]:
        return {e.name: e.item_bytes for e in self.entities if e.item_bytes is not None}

    def key_templates(self) -> list[KeyTemplate]:
        """Every key shape the entities declare (for the checks that no other copy exists)."""
        out = []
        for e in self.entities:
            out += [e.pk, e.sk]
            for key in e.indexes.values():
                out += [key.pk, key.sk]
        return out
