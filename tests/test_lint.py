"""The interface lint: every rule on a corpus of bad declarations, and silence on good ones."""

import pytest

from interopkit.comobject import SAMPLE_INTERFACE, Interface, Method, Param
from interopkit.errors import UsageError
from interopkit.idl import parse
from interopkit.lint import IDL_DIR, RULES, lint, lint_file, meaning
from interopkit.sources import SOURCES

GOOD = {
    "connection point": """
        [object, uuid(4B1E2C3D-5A6F-4E70-8192-000000000001)]
        interface ISinkSource : IUnknown {
            HRESULT Advise([in] IUnknown *pUnkSink, [out] DWORD *pdwCookie);
            HRESULT Unadvise([in] DWORD dwCookie);
        }""",
    "rpc context handle": """
        typedef [context_handle] void *PCONTEXT_HANDLE_TYPE;
        [uuid(4B1E2C3D-5A6F-4E70-8192-000000000002), version(1.0)]
        interface Files {
            long Open([in] handle_t hBinding, [in, string] wchar_t *name,
                      [out] PCONTEXT_HANDLE_TYPE *phContext);
            long Read([in] PCONTEXT_HANDLE_TYPE hContext, [in] long cbMax,
                      [out, size_is(cbMax), length_is(*pcbRead)] byte *buffer,
                      [out] long *pcbRead);
            void Close([in, out] PCONTEXT_HANDLE_TYPE *phContext);
        }""",
    "counts that mention handles and pointers": """
        interface ICounts {
            HRESULT Sizes([in] ULONG handleCount, [in] ULONG cbPointer, [in] DWORD nHandles,
                          [out] ULONG *pcHandles, [out] HRESULT *phr, [in] long height);
        }""",
    "automation": """
        [object, dual, oleautomation, uuid(4B1E2C3D-5A6F-4E70-8192-000000000003)]
        interface IScript : IDispatch {
            HRESULT Run([in] BSTR code, [in] VARIANT_BOOL wait, [out, retval] long *pResult);
            HRESULT Scale([in] double factor, [out, retval] double *pValue);
        }""",
    "wide values and window handles": """
        typedef struct REGION { ULONG64 address; ULONG64 cbSize; HWND hwndOwner; } REGION;
        interface IRegions {
            HRESULT Map([in] ULONG64 baseAddress, [in] unsigned __int64 pData,
                        [in] HWND hWnd, [in] HBRUSH hBrush, [out] REGION *region);
        }""",
    "local method with call_as": """
        [object, uuid(4B1E2C3D-5A6F-4E70-8192-000000000004)]
        interface IContextual : IUnknown {
            [local] HRESULT SetContext([in] DWORD_PTR pContext);
            [call_as(SetContext)] HRESULT RemoteSetContext([in] ULONG cookie);
        }""",
    "fixed scanner": (IDL_DIR / "scanner_fixed.idl").read_text(),
}


@pytest.mark.parametrize("name", GOOD)
def test_no_false_positives_on_good_interfaces(name: str) -> None:
    assert lint(GOOD[name]) == []


BAD = [  # (declaration inside an interface, rule, parameter)
    ("HRESULT F([in] DWORD lpData);", "pointer-in-32-bits", "lpData"),
    ("HRESULT F([in] long pvContext);", "pointer-in-32-bits", "pvContext"),
    ("HRESULT F([in] unsigned long bufferAddress);", "pointer-in-32-bits", "bufferAddress"),
    ("HRESULT F([out] DWORD *ppvObject);", "pointer-in-32-bits", "ppvObject"),
    ("HRESULT F([in] ULONG hWnd);", "handle-in-32-bits", "hWnd"),
    ("HRESULT F([out] DWORD *phFile);", "handle-in-32-bits", "phFile"),
    ("HRESULT F([in] INT fileHandle);", "handle-in-32-bits", "fileHandle"),
    ("HRESULT F([in] DWORD_PTR pData);", "pointer-in-int3264", "pData"),
    ("HRESULT F([in] unsigned __int3264 ptr);", "pointer-in-int3264", "ptr"),
    ("HRESULT F([in] LONG_PTR pfnCallback);", "pointer-in-int3264", "pfnCallback"),
    ("HRESULT F([in] SIZE_T hFile);", "handle-zero-extended", "hFile"),
    ("HRESULT F([in] ULONG_PTR handle);", "handle-zero-extended", "handle"),
    ("HRESULT F([in] LONG_PTR hFile);", "int3264-truncates", "hFile"),
    ("HRESULT F([out] SIZE_T *pcbTotal);", "int3264-truncates", "pcbTotal"),
    ("UINT_PTR F(void);", "int3264-truncates", "return"),
    ("HRESULT F([in] HANDLE_PTR hOwner);", "handle-ptr-crossing", "hOwner"),
    ("HRESULT F([in] SHANDLE_PTR value);", "handle-ptr-crossing", "value"),
]


@pytest.mark.parametrize(("declaration", "rule", "parameter"), BAD)
def test_each_rule_on_a_bad_declaration(declaration: str, rule: str, parameter: str) -> None:
    found, = lint(f"interface IBad {{ {declaration} }}")
    assert (found.rule.name, found.parameter, found.where) == (rule, parameter, "IBad.F")
    assert found.as_dict()["parameter"] == parameter and found.line == 1


def test_int3264_in_automation_interfaces() -> None:
    for attribute in ("oleautomation", "dual"):
        found, = lint(f"[object, {attribute}] interface IAuto : IDispatch "
                      "{ HRESULT Get([out, retval] INT_PTR *pValue); }")
        assert found.rule.name == "int3264-in-automation"


def test_typedefs_are_seen_through_and_named() -> None:
    found, = lint("typedef ULONG_PTR MYPTR; typedef MYPTR MYPTR2;\n"
                  "typedef struct NODE { ULONG cb; MYPTR2 pNext; } NODE;")
    assert (found.where, found.parameter, found.type, found.rule.name) == (
        "struct NODE", "pNext", "MYPTR2 = ULONG_PTR", "pointer-in-int3264")
    assert found.message.startswith("struct NODE.pNext: MYPTR2 = ULONG_PTR: __int3264")


def test_handle_ptr_is_right_between_64_bit_processes() -> None:
    text = "interface IWin64 { HRESULT SetOwner([in] HANDLE_PTR hOwner); }"
    assert [f.rule.name for f in lint(text)] == ["handle-ptr-crossing"]
    assert lint(text, same_bitness=True) == []


def test_the_seeded_scanner_interface() -> None:
    found = [(f.where, f.parameter, f.rule.name, f.line)
             for f in lint_file(IDL_DIR / "scanner_ported.idl")]
    assert found == [
        ("struct SCAN_JOB", "pfnProgress", "pointer-in-int3264", 17),
        ("IScanSession.Open", "phScan", "handle-in-32-bits", 27),
        ("IScanSession.Start", "hScan", "handle-in-32-bits", 28),
        ("IScanSession.AttachBuffer", "pBuffer", "pointer-in-32-bits", 29),
        ("IScanSession.SetUserData", "lpUserData", "pointer-in-int3264", 30),
        ("IScanSession.GetImageSize", "hScan", "handle-in-32-bits", 31),
        ("IScanSession.GetImageSize", "pcbImage", "int3264-truncates", 31),
        ("IScanSession.SetDoneEvent", "hEvent", "handle-zero-extended", 32),
        ("IScanSession.SetOwner", "hOwner", "handle-ptr-crossing", 33),
        ("IScanSession.Close", "hScan", "handle-in-32-bits", 36),
        ("IScanAutomation.GetJobId", "pId", "int3264-in-automation", 47),
    ]


def test_python_declared_interfaces() -> None:
    found = [(f.where, f.parameter, f.rule.name) for f in lint(SAMPLE_INTERFACE)]
    assert found == [("ISample.echo_ptr", "return", "int3264-truncates"),
                     ("ISample.echo_ptr", "value", "int3264-truncates")]
    ported = Interface("IPorted", (Method("attach", (Param("pBuffer", "DWORD"),), "void"),))
    assert [f.rule.name for f in lint([ported, SAMPLE_INTERFACE])] == [
        "pointer-in-32-bits", "int3264-truncates", "int3264-truncates"]
    assert lint(parse("interface I { HRESULT F([in] DWORD lpX); }")[0])[0].parameter == "lpX"


@pytest.mark.parametrize(("name", "pointers", "held"), [
    ("pBuffer", 0, "pointer"), ("lpfnProc", 0, "pointer"), ("pv", 0, "pointer"),
    ("baseAddr", 0, "pointer"), ("userPtr", 0, "pointer"), ("ppData", 1, "pointer"),
    ("hWnd", 0, "handle"), ("hwndOwner", 0, "handle"), ("phEvent", 1, "handle"),
    ("pHandle", 1, "handle"), ("hkeyRoot", 0, "handle"),
    ("pData", 1, None), ("height", 0, None), ("hr", 0, None), ("cbBuffer", 0, None),
    ("handleCount", 0, None), ("nPointers", 0, None), ("dwCookie", 0, None), ("page", 0, None),
])
def test_names_say_what_they_hold(name: str, pointers: int, held: str | None) -> None:
    assert meaning(name, pointers) == held


def test_every_rule_cites_known_sources_and_a_fix() -> None:
    for rule in RULES.values():
        assert rule.sources and set(rule.sources) <= set(SOURCES)
        assert rule.fix and rule.risk and rule.severity in ("error", "warning", "note")
        assert rule.certainty in ("documented", "derived")


def test_bad_input_is_the_kits_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="cannot be read .FileNotFoundError"):
        lint_file(tmp_path / "missing.idl")
    (tmp_path / "random.idl").write_bytes(bytes(range(256)))
    with pytest.raises(UsageError, match="cannot be read .UnicodeDecodeError"):
        lint_file(tmp_path / "random.idl")
    (tmp_path / "cut.idl").write_text((IDL_DIR / "scanner_ported.idl").read_text()[:900])
    with pytest.raises(UsageError, match=r"^cut.idl:\d+: expected"):
        lint_file(tmp_path / "cut.idl")
    with pytest.raises(UsageError, match="is not an interface"):
        lint([42])  # type: ignore[list-item]
