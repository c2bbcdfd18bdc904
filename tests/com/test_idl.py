"""The MIDL subset: what it reads, what it skips, and a clear error for the rest."""

import re
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interopkit.com.activation import SAMPLE_INTERFACE
from interopkit.com.idl import MAX_SIZE, from_interface, parse
from interopkit.errors import UsageError

IDL = """\
// a comment with interface and { braces }
/* a block
   comment */
#include "ignored.h"
import "oaidl.idl";
cpp_quote("#define X 1")
midl_pragma warning(disable: 2111)
const DWORD LIMIT = 16;
typedef DWORD HTHING, *PHTHING;
typedef HTHING ALIAS;
typedef [context_handle] void *PCTX;
typedef enum { RED, GREEN } COLOUR;
typedef struct tagPOINTISH { long x; long y; DWORD_PTR pNext; } POINTISH, *PPOINTISH;
interface IForward;

[object, uuid(4B1E2C3D-5A6F-4E70-8192-A3B4C5D6E7F8), pointer_default(unique)]
interface IThing : IUnknown
{
    HRESULT STDMETHODCALLTYPE Open([in, string] LPCWSTR name, [out] PHTHING phThing);
    HRESULT Read([in] ALIAS h, [in] unsigned long cb,
                 [out, size_is(cb), length_is(*pcbRead)] byte buffer[], [out] ULONG *pcbRead);
    HRESULT Nothing(void);
    [local] HRESULT Local([in] signed __int3264 value);
}

[uuid(4B1E2C3D-5A6F-4E70-8192-A3B4C5D6E7F9), version(1.0)]
library ThingLib
{
    importlib("stdole2.tlb");
    [uuid(4B1E2C3D-5A6F-4E70-8192-A3B4C5D6E7FA)] coclass Thing { [default] interface IThing; };
    [object, oleautomation, uuid(4B1E2C3D-5A6F-4E70-8192-A3B4C5D6E7FB)]
    interface IAuto : IDispatch { HRESULT Get([out, retval] long *value); };
};
"""


def test_interfaces_structs_typedefs_and_lines() -> None:
    scopes = {scope.name: scope for scope in parse(IDL)}
    assert list(scopes) == ["POINTISH", "IThing", "IAuto"]
    assert [d.name for _, d in scopes["POINTISH"].members] == ["x", "y", "pNext"]
    thing = scopes["IThing"]
    assert thing.attributes == ("object", "uuid", "pointer_default") and thing.line == 16
    rows = [(method, d.name, d.type, d.base, d.pointers, d.attributes, d.line)
            for method, d in thing.members]
    assert rows == [
        ("Open", "", "HRESULT", "HRESULT", 0, (), 19),
        ("Open", "name", "LPCWSTR", "LPCWSTR", 0, ("in", "string"), 19),
        ("Open", "phThing", "PHTHING", "DWORD", 1, ("out",), 19),
        ("Read", "", "HRESULT", "HRESULT", 0, (), 20),
        ("Read", "h", "ALIAS", "DWORD", 0, ("in",), 20),
        ("Read", "cb", "unsigned long", "ULONG", 0, ("in",), 20),
        ("Read", "buffer", "byte", "byte", 1, ("out", "size_is(cb)", "length_is(*pcbRead)"), 21),
        ("Read", "pcbRead", "ULONG", "ULONG", 1, ("out",), 21),
        ("Nothing", "", "HRESULT", "HRESULT", 0, (), 22),
        ("Local", "", "HRESULT", "HRESULT", 0, ("local",), 23),
        ("Local", "value", "signed __int3264", "__int3264", 0, ("in", "local"), 23),
    ]
    assert scopes["IAuto"].attributes == ("object", "oleautomation", "uuid")


def test_a_context_handle_typedef_carries_its_attribute() -> None:
    scope, = parse("typedef [context_handle] void *PCTX;\n"
                   "interface I { void Close([in, out] PCTX *ph); }")
    (_, ret), (_, param) = scope.members
    assert (ret.base, param.base, param.pointers) == ("void", "void", 2)
    assert "context_handle" in param.attributes


def test_python_declared_interfaces_read_the_same_way() -> None:
    scope = from_interface(SAMPLE_INTERFACE)
    assert scope.name == "ISample" and scope.kind == "interface"
    fill = [(d.name, d.base, d.pointers, d.attributes) for m, d in scope.members if m == "fill"]
    assert fill == [("", "ULONG", 0, ()), ("buffer", "BYTE", 1, ("out",)),
                    ("size", "ULONG", 0, ("in",)), ("seed", "ULONG", 0, ("in",))]
    assert ("echo_ptr", "", "INT_PTR") in [(m, d.name, d.type) for m, d in scope.members]


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("interface I { HRESULT F([in] DWORD a; }", 1, "expected"),
    ("interface I {\n HRESULT F(void);\n", 2, "the end"),
    ("\n\nstruct S { long x; }", 3, "expected ';'"),
    ("interface I { HRESULT F([in] DWORD @a); }", 1, "cannot read '@'"),
    ("float x;", 1, "expected interface, library, typedef"),
    ("interface I { HRESULT F([in] (a)); }", 1, "unexpected '('"),
    ("interface I { HRESULT F([in] *); }", 1, "without a type"),
])
def test_text_outside_the_subset_names_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(UsageError, match=rf"^<idl>:{line}: .*{re.escape(problem)}"):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("interface{}[]();,*: DWORD_PTR hX\n/\"#")),
               max_size=80))
def test_any_text_parses_or_raises_the_kits_error(text: str) -> None:
    try:
        parse(text)
    except UsageError:
        pass


def test_an_unclosed_comment_is_refused_in_linear_time() -> None:
    # 100 KB of "/* a" lines took 13 s when each /* searched the rest of the text for */.
    text = "interface I { HRESULT F(void); }\n\n/* a\n" + "/* a\n" * (2 << 20)  # 10 MiB
    start = time.perf_counter()
    with pytest.raises(UsageError, match=r"^<idl>:3: a comment opened here is never closed"):
        parse(text, max_size=None)
    assert time.perf_counter() - start < 2.0
    assert parse("/* a */ /* b */ interface I { HRESULT F(void); } /**/ // /*")[0].name == "I"


def test_an_unclosed_string_is_refused_without_memory() -> None:
    text = 'import "a.idl";\nimport "' + "a" * (10 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(UsageError, match=r"^<idl>:2: a string opened here is not closed"):
            parse(text, max_size=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # 10 MiB of unterminated string once took 1.7 GB
    assert parse('cpp_quote("a \\" b") interface I { HRESULT F(void); }')[0].name == "I"


def test_text_over_the_size_cap_is_refused() -> None:
    with pytest.raises(UsageError, match=r"over the lint's limit of 1,048,576 \(1 MiB\)\. Lint "
                                         "the interfaces that cross the process boundary"):
        parse(" " * (MAX_SIZE + 1))
    assert parse(" " * MAX_SIZE) == []


def test_nesting_too_deep_is_the_kits_error() -> None:
    nested = "library L {" * 1000 + "}" * 1000
    with pytest.raises(UsageError, match=r"^<idl>:1: library blocks nested more than 16 deep"):
        parse(nested)
    assert parse("library L {" * 16 + "interface I { HRESULT F(void); }" + "}" * 16)[0].name == "I"
    chain = "".join(f"typedef T{i + 1} T{i};\n" for i in range(40)) + "typedef long T40;\n"
    with pytest.raises(UsageError, match=r"T0 is a typedef of a typedef more than 16 deep"):
        parse(chain + "interface I { HRESULT F([in] T0 value); }")


def test_a_byte_order_mark_is_accepted() -> None:
    scope, = parse("\ufeffinterface I { HRESULT F([in] DWORD pData); }")
    assert scope.name == "I" and scope.members[1][1].line == 1


def test_a_typedef_passes_on_only_the_attributes_that_change_the_wire() -> None:
    many = ", ".join(f'helpstring("{i}")' for i in range(1000))
    scope, = parse(f"typedef [string, {many}, context_handle] void *T;\n"
                   "interface I { HRESULT F([in] T value); }")
    assert scope.members[1][1].attributes == ("in", "string", "context_handle")
