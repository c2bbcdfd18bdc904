"""Binary structures declared once, used to read, to write and to annotate bytes.

A ``Layout`` is an ordered list of named little-endian fields. The same declaration parses a
header (``unpack``), builds one (``pack``, used by the kit's PE writer) and tells the lessons
where each field sits (``fields``), so the byte maps in notebook 01 cannot drift from the
parser. Reading past the end of the data says how many bytes were there and how many were
needed, never a bare ``struct.error``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

__all__ = ["Field", "Layout", "ShortRead"]


class ShortRead(Exception):
    """Fewer bytes than a layout needs; converted to the kit's ImageError by its callers."""

    def __init__(self, layout: str, offset: int, got: int, need: int) -> None:
        self.layout, self.offset, self.got, self.need = layout, offset, got, need
        super().__init__(f"read {got} bytes of the {layout} at offset {offset:#x}, expected {need}")


@dataclass(frozen=True)
class Field:
    """One field of a layout."""

    name: str
    """Field name as the specification spells it."""
    code: str
    """``struct`` format code (``H``, ``I``, ``Q``, ``8s`` ...)."""
    offset: int
    """Offset from the start of the structure."""
    size: int
    """Size in bytes."""
    doc: str
    """What the field means, for the lessons."""


class Layout:
    """A named structure of little-endian fields."""

    def __init__(self, name: str, fields: list[tuple[str, str, str]]) -> None:
        self.name = name
        self.struct = struct.Struct("<" + "".join(code for _, code, _ in fields))
        """The fields in order as one ``struct.Struct``, for hot paths that pack and unpack
        tuples (the surrogate's frame headers)."""
        self._struct = self.struct
        self.size = self._struct.size
        placed: list[Field] = []
        offset = 0
        for field_name, code, doc in fields:
            size = struct.calcsize("<" + code)
            placed.append(Field(field_name, code, offset, size, doc))
            offset += size
        self.fields: tuple[Field, ...] = tuple(placed)
        self._names = tuple(f.name for f in placed)
        self._single = {f.name: (f.offset, struct.Struct("<" + f.code)) for f in placed}

    def unpack(self, data: bytes, offset: int = 0) -> dict[str, Any]:
        """Read the structure at ``offset``; raise ShortRead when the data ends early."""
        got = max(0, min(len(data) - offset, self.size))
        if got < self.size:
            raise ShortRead(self.name, offset, got, self.size)
        return dict(zip(self._names, self._struct.unpack_from(data, offset)))

    def read(self, data: bytes, name: str, offset: int = 0) -> Any:
        """One field of the structure at ``offset`` (the whole structure must be there)."""
        if len(data) - offset < self.size:
            raise ShortRead(self.name, offset, max(0, len(data) - offset), self.size)
        at, single = self._single[name]
        return single.unpack_from(data, offset + at)[0]

    def pack(self, **values: Any) -> bytes:
        """Build the structure; fields not given are zero."""
        unknown = set(values) - set(self._names)
        if unknown:
            raise KeyError(f"{self.name} has no field(s) {sorted(unknown)}")
        return self._struct.pack(*(values.get(f.name, self._zero(f)) for f in self.fields))

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        return self.fields[self._names.index(name)]

    @staticmethod
    def _zero(field: Field) -> Any:
        return b"" if field.code.endswith("s") else 0

    def __repr__(self) -> str:
        return f"Layout({self.name!r}, {self.size} bytes, {len(self.fields)} fields)"
