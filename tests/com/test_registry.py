"""The COM registration and activation model against the rules of its sources (keys in brackets)."""

import pytest

from interopkit.com.registry import (
    CLSCTX,
    E_INVALIDARG,
    REGDB_E_CLASSNOTREG,
    ComClass,
    ProxyStub,
    activate,
    proxy_stub_values,
    reg_file,
    registry_values,
    unregister_file,
)
from interopkit.errors import UsageError

C = "{6B29FC40-CA47-1067-B31D-00DD010662DA}"
DLL32 = "C:\\Program Files (x86)\\Legacy\\legacy.dll"
DLL64 = "C:\\Program Files\\Modern\\modern.dll"
LOCAL, INPROC = CLSCTX.LOCAL_SERVER, CLSCTX.INPROC_SERVER
A32, A64 = CLSCTX.ACTIVATE_32_BIT_SERVER, CLSCTX.ACTIVATE_64_BIT_SERVER


def legacy(**changes) -> ComClass:
    return ComClass(C, DLL32, 32, appid=C, **changes)


def test_clsctx_values_from_wine() -> None:
    assert (LOCAL, A32, A64, CLSCTX.ACTIVATE_ARM32_SERVER, CLSCTX.PS_DLL) == (
        0x4, 0x40000, 0x80000, 0x2000000, 0x80000000)


def test_a_32_bit_registration_lands_in_the_32_bit_view_and_the_appid_is_shared() -> None:
    values = {(v.key, v.name): v.data for v in registry_values(legacy())}
    clsid = f"HKLM\\SOFTWARE\\Classes\\Wow6432Node\\CLSID\\{C}"
    assert values[(clsid + "\\InprocServer32", "")] == DLL32
    assert values[(clsid, "AppID")] == C
    assert values[(f"HKLM\\SOFTWARE\\Classes\\AppID\\{C}", "DllSurrogate")] == ""


def test_a_64_bit_registration_uses_the_native_view() -> None:
    keys = {v.key for v in registry_values(ComClass(C, DLL64, 64))}
    assert f"HKLM\\SOFTWARE\\Classes\\CLSID\\{C}\\InprocServer32" in keys


def test_reg_file_escapes_and_formats() -> None:
    text = reg_file([legacy(preferred_server_bitness=2, dll_surrogate_executable='a "b"')])
    assert text.startswith("Windows Registry Editor Version 5.00\r\n")
    assert '@="C:\\\\Program Files (x86)\\\\Legacy\\\\legacy.dll"' in text
    assert '"PreferredServerBitness"=dword:00000002' in text
    assert '"DllSurrogateExecutable"="a \\"b\\""' in text
    keys = [line.strip("[]") for line in text.split("\r\n") if line.startswith("[")]
    for index, key in enumerate(keys):  # every listed parent comes before its subkeys
        parent = key.rsplit("\\", 1)[0]
        assert parent not in keys or keys.index(parent) < index


# (registrations, clsctx, client bits) -> (succeeded, how, server bits, hresult)
RULES = [
    # A 64-bit process cannot load the 32-bit DLL in-process [W64-PROCINT] [W64-REGKEYS]
    ([legacy()], INPROC, 64, (False, "none", None, REGDB_E_CLASSNOTREG)),
    ([legacy()], INPROC, 32, (True, "in-process", 32, None)),
    # Surrogate activation: AppID + DllSurrogate + InprocServer32 + LOCAL_SERVER [COM-SURRREG]
    ([legacy()], LOCAL, 64, (True, "surrogate (dllhost.exe)", 32, None)),
    ([legacy()], LOCAL | A32, 64, (True, "surrogate (dllhost.exe)", 32, None)),
    ([legacy()], LOCAL | A64, 64, (False, "none", None, REGDB_E_CLASSNOTREG)),  # [CLSCTX]
    ([legacy()], LOCAL | A32 | A64, 64, (False, "none", None, E_INVALIDARG)),  # [CLSCTX]
    ([ComClass(C, DLL32, 32)], LOCAL, 64, (False, "none", None, REGDB_E_CLASSNOTREG)),
    ([legacy(dll_surrogate=None)], LOCAL, 64, (False, "none", None, REGDB_E_CLASSNOTREG)),
    ([legacy(local_server32="C:\\srv.exe")], LOCAL, 64, (True, "local server EXE", 32, None)),
    ([legacy(dll_surrogate="C:\\mine.exe")], LOCAL, 64, (True, "custom surrogate", 32, None)),
    # PreferredServerBitness: fails if the preferred version does not exist [COM-PSB]
    ([legacy(preferred_server_bitness=3)], LOCAL, 64, (False, "none", None,
                                                       REGDB_E_CLASSNOTREG)),
    ([legacy(preferred_server_bitness=3)], LOCAL | A32, 64,
     (True, "surrogate (dllhost.exe)", 32, None)),  # the flag overrides the preference
    # Both registered: the client's bitness first, unless the AppID prefers otherwise
    ([legacy(), ComClass(C, DLL64, 64, appid=C)], LOCAL, 64,
     (True, "surrogate (dllhost.exe)", 64, None)),
    ([legacy(preferred_server_bitness=2), ComClass(C, DLL64, 64, appid=C)], LOCAL, 64,
     (True, "surrogate (dllhost.exe)", 32, None)),
]


@pytest.mark.parametrize("classes,clsctx,client,expected", RULES)
def test_activation_rules(classes, clsctx, client, expected) -> None:
    result = activate(classes, C, clsctx, client)
    assert (result.succeeded, result.how, result.server_bits, result.hresult) == expected
    assert result.reason and result.sources


def test_fall_back_is_explained() -> None:
    result = activate([legacy()], C, LOCAL, 64)
    assert "no 64-bit registration, so it falls back" in result.reason


def test_missing_surrogate_pieces_are_named() -> None:
    assert "no AppID value" in activate([ComClass(C, DLL32, 32)], C, LOCAL, 64).reason
    assert "no DllSurrogate" in activate([legacy(dll_surrogate=None)], C, LOCAL, 64).reason


@pytest.mark.parametrize("bad", [{"clsid": "not-a-guid"}, {"bits": 16},
                                 {"threading_model": "Sometimes"},
                                 {"preferred_server_bitness": 4}])
def test_bad_registrations(bad) -> None:
    arguments = {"clsid": C, "dll": DLL32, "bits": 32} | bad
    with pytest.raises(UsageError):
        ComClass(**arguments)


def test_guids_are_normalised() -> None:
    assert ComClass(C.lower().strip("{}"), DLL32, 32).clsid == C


@pytest.mark.parametrize(("changes", "where"), [
    ({"dll": "C:\\x.dll\r\n@=hex(2):41,00"}, r"InprocServer32\\\(default\)"),
    ({"dll_surrogate": "C:\\s.exe\n"}, r"\\DllSurrogate"),
    ({"dll_surrogate_executable": "C:\\s\0.exe"}, r"\\DllSurrogateExecutable"),
    ({"local_server32": "C:\\srv.exe\r"}, r"LocalServer32\\\(default\)"),
])
def test_reg_file_refuses_line_breaks_and_nul(changes: dict, where: str) -> None:
    # A DLL path carrying "\r\n@=hex(2):..." became a second registry value once imported
    # (seen with Wine's regedit): a .reg file has no escape for CR, LF or NUL.
    registration = ComClass(**({"clsid": C, "dll": DLL32, "bits": 32, "appid": C} | changes))
    char = next(c for c in "\r\n\0" if c in next(iter(changes.values())))
    what = {"\r": "a carriage return", "\n": "a line feed", "\0": "a NUL"}[char]
    with pytest.raises(UsageError, match=rf"{where}: holds {what}.* which a \.reg file cannot "
                                         r"carry\. Remove it"):
        reg_file([registration])
    assert registry_values(registration)  # the registry itself can hold them; .reg cannot


I = "{51B1E380-036A-4485-8D58-3EC637B50E19}"


def test_a_proxy_stub_is_registered_in_its_own_view_under_the_iid() -> None:
    # Interface and CLSID are redirected keys, so each bitness finds its own proxy/stub
    # (W64-IPC, W64-REGKEYS); MIDL's proxy/stub class is the interface's IID by default.
    values = {(v.key, v.name): v.data for v in proxy_stub_values(
        ProxyStub(I.lower(), "ISample", "C:\\ps32.dll", 32))}
    node = "HKLM\\SOFTWARE\\Classes\\Wow6432Node\\"
    assert values[(node + f"Interface\\{I}\\ProxyStubClsid32", "")] == I
    assert values[(node + f"CLSID\\{I}\\InprocServer32", "")] == "C:\\ps32.dll"
    keys = {v.key for v in proxy_stub_values(ProxyStub(I, "ISample", "C:\\ps64.dll", 64))}
    assert f"HKLM\\SOFTWARE\\Classes\\Interface\\{I}\\ProxyStubClsid32" in keys
    with pytest.raises(UsageError, match="bits=48"):
        ProxyStub(I, "ISample", "x.dll", 48)


def test_the_unregister_file_deletes_each_key_the_registration_wrote_and_nothing_above() -> None:
    stubs = [ProxyStub(I, "ISample", "C:\\ps.dll", bits) for bits in (32, 64)]
    text = unregister_file([legacy()], stubs)
    deleted = [line[2:-1] for line in text.split("\r\n") if line.startswith("[-")]
    assert sorted(deleted) == sorted([
        f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\AppID\\{C}",
        f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Wow6432Node\\CLSID\\{C}",
        f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Wow6432Node\\CLSID\\{I}",
        f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Wow6432Node\\Interface\\{I}",
        f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\CLSID\\{I}",
        f"HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Interface\\{I}"])
    per_user = reg_file([legacy()], stubs, per_user=True)
    assert "[HKEY_CURRENT_USER\\Software\\Classes\\Wow6432Node\\CLSID\\" in per_user
    assert "HKEY_LOCAL_MACHINE" not in per_user


def test_a_missing_proxy_stub_in_either_process_view_fails_the_activation() -> None:
    both = activate([legacy()], C, LOCAL, 64, proxy_stub_bits=(32, 64))
    assert both.succeeded and both.server_bits == 32
    no64 = activate([legacy()], C, LOCAL, 64, proxy_stub_bits=(32,))
    assert not no64.succeeded and no64.derived and no64.hresult == REGDB_E_CLASSNOTREG
    assert "64-bit view" in no64.reason and "W64-IPC" in no64.sources
    assert not activate([legacy()], C, LOCAL, 64, proxy_stub_bits=(64,)).succeeded
    # In process nothing is marshaled, so no proxy/stub is needed.
    assert activate([legacy()], C, INPROC, 32, proxy_stub_bits=()).succeeded
