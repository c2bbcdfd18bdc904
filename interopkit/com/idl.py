"""Interface declarations as the lint reads them: a subset of MIDL text, or the kit's own.

``parse(text)`` reads the part of MIDL that carries types across a process boundary:
``interface`` blocks and their methods (inside a ``library`` too), ``typedef`` aliases, and
``struct`` fields. Everything else a real .idl file holds (``import``, ``cpp_quote``,
``coclass``, ``dispinterface``, ``enum``, ``const``, preprocessor lines) is skipped. Each
parameter, field and return value becomes a ``Declaration`` with its type as written and the
base type behind any typedefs, so ``typedef DWORD HVIEWER;`` makes ``[in] HVIEWER hView`` a
DWORD. ``from_interface`` gives the same shape for an interface declared in Python for the
kit's proxies (``interopkit.com.activation.Interface``). Text the subset cannot read is a
UsageError naming the line, and so are an unclosed comment or string, text over ``MAX_SIZE``
characters, and ``library`` blocks or typedef chains deeper than ``MAX_DEPTH``: reading takes
time linear in the text's length and memory in proportion to it, whatever the text. A UTF-8
byte-order mark is skipped. Taught in notebook 06, with ``interopkit.com.lint``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from interopkit.errors import UsageError

if TYPE_CHECKING:
    from interopkit.com.activation import Interface

__all__ = ["Declaration", "Scope", "from_interface", "parse"]


@dataclass(frozen=True)
class Declaration:
    """One parameter, struct field or return value."""

    name: str
    """Its name; empty for a return value."""
    type: str
    """Its type as written (``HVIEWER``, ``DWORD_PTR``, ``unsigned long``)."""
    base: str
    """The type behind the typedefs, in the NDR model's spelling (``DWORD``, ``ULONG``)."""
    pointers: int
    """Levels of indirection (``ULONG *pcb`` is 1): only the pointee crosses as a value."""
    attributes: tuple[str, ...]
    """MIDL attributes as written (``in``, ``out``, ``size_is(cb)``), with the typedef's."""
    line: int
    """Line in the source text (0 for a Python declaration)."""


@dataclass(frozen=True)
class Scope:
    """An interface or a struct: what the declarations belong to."""

    kind: str
    """``interface`` or ``struct``."""
    name: str
    """Its name."""
    attributes: tuple[str, ...]
    """Its attributes' names (``object``, ``oleautomation``, ``dual``, ``uuid``...)."""
    members: tuple[tuple[str, Declaration], ...]
    """(method name, declaration) pairs for an interface; ("", field) for a struct."""
    line: int
    """Where it starts."""


MAX_SIZE = 1 << 20
"""The longest text ``parse`` reads, in characters (1 MiB): far above any one interface, and a
bound on the parser's time and memory."""

MAX_DEPTH = 16
"""How deep ``library`` blocks may nest, and how long a chain of typedefs may be."""

# One match per token. Comments, strings and preprocessor lines are found with str.find in
# _tokens instead: a lazy regex looking for */ from every /* rescans the rest of the text each
# time, which made an unclosed comment quadratic.
_TOKEN = re.compile(r"""
    (?P<skip>\s+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<number>[0-9][0-9A-Za-z]*)
  | (?P<punct>[\[\]{}();,:*=<>.+\-|&~!?/])
""", re.VERBOSE)
_STRING_RUN = re.compile(r'[^"\\\n]*')
_SUBSET = "The lint reads a subset of MIDL; remove or simplify this line"

_CALLING = {"__stdcall", "__cdecl", "STDMETHODCALLTYPE", "WINAPI", "CALLBACK", "RPC_ENTRY"}
_QUALIFIERS = {"const", "struct", "enum", "union", "volatile"}
_SPELLING = {"unsigned long": "ULONG", "unsigned int": "UINT", "unsigned": "UINT",
             "unsigned long int": "ULONG", "long int": "long", "signed long": "long",
             "signed int": "int", "signed __int3264": "__int3264",
             "unsigned __int3264 int": "unsigned __int3264", "__int3264 int": "__int3264",
             "signed hyper": "hyper", "signed __int64": "__int64"}
_SKIPPED = {"coclass", "dispinterface", "module", "enum"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    line: int


def _tokens(text: str, source: str) -> list[_Token]:
    """The tokens of ``text``, in one pass: each character is looked at a bounded number of
    times, so the time is linear in the length, whatever the text."""
    tokens: list[_Token] = []
    words: dict[str, str] = {}  # one string per distinct word: repeats cost no memory
    line, at, end, line_start = 1, 0, len(text), True
    while at < end:
        char = text[at]
        if text.startswith("//", at) or (char == "#" and line_start):
            stop = text.find("\n", at)
            at = end if stop < 0 else stop
            continue
        if text.startswith("/*", at):
            stop = text.find("*/", at + 2)
            if stop < 0:
                raise UsageError(f"{source}:{line}", "a comment opened here is never closed",
                                 "Close it with */ (MIDL comments do not nest)")
            line += text.count("\n", at, stop)
            at = stop + 2
            continue
        if char == '"':
            stop = _string_end(text, at)
            if stop < 0:
                raise UsageError(f"{source}:{line}", "a string opened here is not closed on "
                                 "its line", 'Close it with " before the end of the line')
            tokens.append(_Token("string", text[at:stop], line))
            at, line_start = stop, False
            continue
        match = _TOKEN.match(text, at)
        if match is None:
            raise UsageError(f"{source}:{line}", f"cannot read {char!r}", _SUBSET)
        kind, found = match.lastgroup or "skip", match.group()
        if kind == "skip":
            newlines = found.count("\n")
            line, line_start = line + newlines, line_start or newlines > 0
        else:
            tokens.append(_Token(kind, words.setdefault(found, found), line))
            line_start = False
        at = match.end()
    return tokens


def _string_end(text: str, at: int) -> int:
    """Where the string opened at ``at`` ends (after its quote), or -1 at an end of line."""
    at += 1
    while True:
        at = _STRING_RUN.match(text, at).end()  # type: ignore[union-attr]
        if at >= len(text) or text[at] == "\n":
            return -1
        if text[at] == '"':
            return at + 1
        at += 2  # a backslash and the character it escapes


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.tokens, self.source, self.at = _tokens(text, source), source, 0
        self.aliases: dict[str, tuple[str, int, tuple[str, ...]]] = {}
        self.scopes: list[Scope] = []

    # -- tokens ------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        index = self.at + ahead
        return self.tokens[index] if index < len(self.tokens) else _Token("end", "", self.line)

    @property
    def line(self) -> int:
        return self.tokens[min(self.at, len(self.tokens) - 1)].line if self.tokens else 1

    def take(self, expected: str | None = None) -> _Token:
        token = self.peek()
        if token.kind == "end" or (expected is not None and token.text != expected):
            wanted = f"'{expected}'" if expected else "more text"
            raise UsageError(f"{self.source}:{token.line}", f"expected {wanted}, found "
                             f"{repr(token.text) if token.text else 'the end'}",
                             "The lint reads a subset of MIDL: interface, library, typedef, "
                             "struct, import; check the brackets and semicolons")
        self.at += 1
        return token

    def accept(self, text: str) -> bool:
        if self.peek().text == text:
            self.at += 1
            return True
        return False

    def skip_balanced(self, opening: str, closing: str) -> list[_Token]:
        self.take(opening)
        depth, inside = 1, []
        while depth:
            token = self.take()
            depth += (token.text == opening) - (token.text == closing)
            if depth:
                inside.append(token)
        return inside

    def attributes(self) -> tuple[str, ...]:
        """``[in, size_is(cb)]`` as ("in", "size_is(cb)"); () when there is none."""
        if self.peek().text != "[":
            return ()
        found: list[str] = []
        current: list[str] = []
        depth = 0
        for token in self.skip_balanced("[", "]"):
            depth += (token.text in ("(", "[")) - (token.text in (")", "]"))
            if token.text == "," and depth == 0:
                found.append("".join(current))
                current = []
            else:
                current.append(token.text)
        return tuple(a for a in (*found, "".join(current)) if a)

    # -- declarations --------------------------------------------------------------------------
    def typed_name(self, ends: set[str]) -> tuple[str, int, str, int]:
        """Type words, stars and a name up to one of ``ends``: (type, stars, name, line)."""
        words, stars, line = [], 0, self.peek().line
        while self.peek().text not in ends:
            token = self.take()
            if token.text == "*":
                stars += 1
            elif token.text == "[":  # an array dimension after the name
                self.at -= 1
                self.skip_balanced("[", "]")
                stars += 1
            elif token.kind == "word" and token.text not in _QUALIFIERS | _CALLING:
                words.append(token.text)
            elif token.kind != "word":
                raise UsageError(f"{self.source}:{token.line}", f"unexpected {token.text!r} in "
                                 "a declaration", "Write [attributes] type name")
        if not words:
            raise UsageError(f"{self.source}:{line}", "a declaration without a type",
                             "Write [attributes] type name")
        name = words.pop() if len(words) > 1 else ""
        return " ".join(words), stars, name, line

    def declaration(self, attributes: tuple[str, ...], ends: set[str]) -> Declaration:
        written, stars, name, line = self.typed_name(ends)
        base, depth, inherited = self.resolve(written)
        return Declaration(name, written, base, depth + stars, attributes + inherited, line)

    def resolve(self, written: str) -> tuple[str, int, tuple[str, ...]]:
        base, depth, attributes, seen = _SPELLING.get(written, written), 0, (), set()
        while base in self.aliases and base not in seen:
            if len(seen) == MAX_DEPTH:  # only typedefs of types defined later chain up
                raise UsageError(f"{self.source}:{self.line}", f"{written} is a typedef of a "
                                 f"typedef more than {MAX_DEPTH} deep",
                                 "Define each type before the typedefs that use it")
            seen.add(base)
            base, more, extra = self.aliases[base]
            depth, attributes = depth + more, _inherited(attributes + extra)
        return base, depth, attributes

    # -- top level -----------------------------------------------------------------------------
    def items(self, closing: str | None, depth: int = 0) -> None:
        while self.peek().kind != "end" and self.peek().text != closing:
            line = self.peek().line
            attributes = self.attributes()
            keyword = self.take().text
            if keyword in ("import", "importlib", "const", "midl_pragma", "cpp_quote"):
                self.skip_statement()
            elif keyword == "interface":
                self.interface(attributes, line)
            elif keyword == "library":
                if depth == MAX_DEPTH:
                    raise UsageError(f"{self.source}:{line}", f"library blocks nested more "
                                     f"than {MAX_DEPTH} deep", "The lint reads library blocks "
                                     f"nested up to {MAX_DEPTH} deep: lint the inner interfaces "
                                     "on their own")
                self.take()
                self.take("{")
                self.items("}", depth + 1)
                self.take("}")
                self.accept(";")
            elif keyword == "typedef":
                self.typedef()
            elif keyword == "struct":
                self.struct(self.take().text, line)
                self.take(";")
            elif keyword in _SKIPPED:
                self.skip_construct()
            elif keyword == ";":
                continue
            else:
                raise UsageError(f"{self.source}:{line}", f"expected interface, library, typedef "
                                 f"or import, found {keyword!r}",
                                 "The lint reads a subset of MIDL; see interopkit.com.idl")

    def skip_statement(self) -> None:
        depth = 0
        while True:
            token = self.take()
            depth += (token.text in "({") - (token.text in ")}")
            if token.text == ";" and depth <= 0:
                return
            if token.text == ")" and depth == 0 and self.peek().text != ";":
                return  # cpp_quote("...") without a semicolon

    def skip_construct(self) -> None:
        while self.peek().text not in ("{", ";"):
            self.take()
        if self.peek().text == "{":
            self.skip_balanced("{", "}")
        self.accept(";")

    def interface(self, attributes: tuple[str, ...], line: int) -> None:
        name = self.take().text
        if self.accept(";"):
            return  # a forward declaration
        if self.accept(":"):
            self.take()
        self.take("{")
        members: list[tuple[str, Declaration]] = []
        while not self.accept("}"):
            method_attributes = self.attributes()
            if self.peek().text in ("typedef", "const", "cpp_quote", "import"):
                keyword = self.take().text
                self.typedef() if keyword == "typedef" else self.skip_statement()
                continue
            local = ("local",) if "local" in _names(method_attributes) else ()
            returned = self.declaration(local, {"("})
            method = returned.name
            members.append((method, replace(returned, name="")))
            self.take("(")
            if self.peek().text == "void" and self.peek(1).text == ")":
                self.take()
            while not self.accept(")"):
                members.append((method, self.declaration(self.attributes() + local, {",", ")"})))
                self.accept(",")
            self.take(";")
        self.accept(";")
        self.scopes.append(Scope("interface", name, _names(attributes), tuple(members), line))

    def struct(self, tag: str, line: int) -> None:
        self.take("{")
        fields: list[tuple[str, Declaration]] = []
        while not self.accept("}"):
            attributes = self.attributes()
            fields.append(("", self.declaration(attributes, {";"})))
            self.take(";")
        self.scopes.append(Scope("struct", tag, (), tuple(fields), line))

    def typedef(self) -> None:
        attributes = self.attributes()
        line = self.peek().line
        if self.peek().text == "enum":
            self.skip_statement()
            return
        if self.peek().text in ("struct", "union"):
            self.take()
            tag = self.take().text if self.peek().kind == "word" else ""
            self.struct(tag, line)
            names = self.declarators()
            self.take(";")
            plain = next((alias for alias, stars in names if stars == 0), tag)
            self.scopes[-1] = replace(self.scopes[-1], name=plain)
            base, depth, inherited = plain, 0, _inherited(attributes)
            names = [(alias, stars) for alias, stars in [*names, (tag, 0)]
                     if alias and alias != plain]
        else:
            written, stars, name, _ = self.typed_name({";", ","})
            base, depth, inherited = self.resolve(written)
            inherited = _inherited(attributes + inherited)
            names = [(name, stars), *(self.declarators() if self.accept(",") else [])]
            self.take(";")
        for alias, stars in names:
            self.aliases[alias] = (base, depth + stars, inherited)

    def declarators(self) -> list[tuple[str, int]]:
        found = []
        while True:
            stars = 0
            while self.accept("*"):
                stars += 1
            found.append((self.take().text, stars))
            if not self.accept(","):
                return found


def _names(attributes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(re.split(r"[(\s]", a, maxsplit=1)[0] for a in attributes)


# The attributes of a typedef that change how values of the type cross (MIDL's typedef page):
# a declaration carries these from its typedefs, once each, so that a long attribute list on
# one typedef is not copied into every parameter that uses the type.
_CROSSING = ("context_handle", "handle", "string", "ref", "unique", "ptr", "range",
             "switch_type", "transmit_as", "wire_marshal", "user_marshal", "v1_enum")


def _inherited(attributes: tuple[str, ...]) -> tuple[str, ...]:
    kept: dict[str, str] = {}
    for attribute, name in zip(attributes, _names(attributes)):
        if name in _CROSSING:
            kept.setdefault(name, attribute)
    return tuple(kept.values())


def parse(text: str, source: str = "<idl>", *, max_size: int | None = MAX_SIZE) -> list[Scope]:
    """Every interface and struct in ``text``, in order (UsageError naming the line when the
    text is outside the subset, or when it is longer than ``max_size`` characters; None reads
    any length, in time linear in it). A leading byte-order mark is skipped."""
    if max_size is not None and len(text) > max_size:
        raise UsageError(source, f"is {len(text):,} characters long, over the lint's limit of "
                         f"{max_size:,} ({max_size >> 20} MiB)", "Lint the interfaces that "
                         "cross the process boundary, in a file of their own")
    parser = _Parser(text.removeprefix("\ufeff"), source)
    parser.items(None)
    return parser.scopes


def from_interface(interface: Interface, attributes: tuple[str, ...] = ("object",)) -> Scope:
    """An interface declared for the kit's proxies, as the lint reads it."""
    members = []
    for method in interface.methods:
        if method.returns != "void":
            members.append((method.name, Declaration("", method.returns, method.returns, 0, (), 0)))
        for param in method.params:
            stars = param.type.count("*")
            base = param.type.rstrip("*")
            members.append((method.name, Declaration(param.name, param.type, base, stars,
                                                     (param.direction,), 0)))
    return Scope("interface", interface.name, attributes, tuple(members), 0)
