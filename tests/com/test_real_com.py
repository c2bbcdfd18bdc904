"""interopkit.com.real, real COM across bitness under Wine: the kit's server in dllhost,
activated by a client of the other bitness, the recipe's failures beside the model, and nothing
left behind (no registration, no dllhost, no wineserver). Wine is not Windows: where it differs
from the documentation, the test pins Wine's answer and says so."""

import json

import pytest

from interopkit.cli import main
from interopkit.com import real
from interopkit.errors import HostError, UsageError
from interopkit.kit import wine


@pytest.fixture
def clean_wine(wine32: None, no_wine_left: None) -> None:
    """Both bitnesses of Wine; fails the test if it leaves a Wine process (dllhost included)."""


def _registered() -> bool:
    """The Sample class's key exists in either view of the prefix's registry."""
    found = False
    with wine.session():
        for view in ("/reg:64", "/reg:32"):
            ran = wine.run("reg", ["query", f"HKLM\\Software\\Classes\\CLSID\\{real.SAMPLE_CLSID}",
                                   view], bits=64, timeout=60)
            found |= ran.returncode == 0
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("client", "server", "image"), [
    (64, 32, "C:\\windows\\syswow64\\dllhost.exe"),
    (32, 64, "C:\\windows\\system32\\dllhost.exe")])
def test_a_client_activates_the_other_bitness_in_dllhost(
        clean_wine: None, client: int, server: int, image: str) -> None:
    ran = real.demo(client, server, calls=5, echo=[0x180000000])
    assert ran.created and ran.hr == 0 and ran.add == 5
    assert ran.ptr_size == server // 8  # measured inside the server
    assert ran.surrogate == real.Surrogate(image, server)  # seen from the client, outside
    assert len(ran.call_us) == 5 and all(t > 0 for t in ran.call_us)
    assert ran.platform.startswith("Wine ") and f"{client}-bit process" in ran.platform
    assert ran.model is not None and ran.model.succeeded and ran.model.server_bits == server
    sent = ran.echo[0]
    assert sent["ULONG64"] == "0x180000000"  # 64 bits on the wire: nothing lost
    assert sent["HANDLE_PTR"] == "0x80000000"  # 4 bytes on the wire from widl's stubs
    assert not _registered()


# Each case's real answer under Wine 8.0, and the model's (which follows the documentation).
# ACTIVATE_64_BIT_SERVER with no 64-bit server, and both ACTIVATE flags, succeed under Wine:
# the CLSCTX page says the first fails and the second is E_INVALIDARG. Wine differs there.
EXPECTED = {
    "CLSCTX_INPROC_SERVER from the other bitness": ("REGDB_E_CLASSNOTREG", False),
    "no AppID on the CLSID": ("REGDB_E_KEYMISSING", False),
    "no DllSurrogate under the AppID": ("REGDB_E_KEYMISSING", False),
    "the 64-bit proxy/stub not registered": ("REGDB_E_CLASSNOTREG", False),
    "CLSCTX_ACTIVATE_32_BIT_SERVER, 32-bit server registered": ("S_OK", True),
    "CLSCTX_ACTIVATE_64_BIT_SERVER, only a 32-bit server registered": ("S_OK", False),
    "both ACTIVATE flags at once": ("S_OK", False),
    "64-bit client, 64-bit server, empty DllSurrogate (a Wine bug)": ("E_NOINTERFACE", True),
}


@pytest.mark.slow
def test_the_recipes_failures_for_real_beside_the_model(clean_wine: None) -> None:
    results = dict(real.failures())
    assert set(results) == set(EXPECTED)
    for title, (wine_answer, model_succeeds) in EXPECTED.items():
        ran = results[title]
        assert real.hresult_name(ran.create_hr).split(" ")[0] == wine_answer, title
        assert ran.model is not None and ran.model.succeeded == model_succeeds, title
    both = results["both ACTIVATE flags at once"].model
    assert both is not None and real.hresult_name(both.hresult or 0).startswith("E_INVALIDARG")
    assert not _registered()


def test_a_failed_activation_is_the_kits_error_with_the_hresult_and_a_remedy() -> None:
    ran = real.ComRun("Wine 8.0, 64-bit process", 64, 4, real.Setup(32, proxy_bits=(32,)),
                      0x80040154, 1000.0)
    error = ran.error()
    assert error is not None and error.code is not None and error.code.value == 0x80040154
    assert str(error).startswith("REGDB_E_CLASSNOTREG (0x80040154): CoCreateInstance of the "
                                 "32-bit Sample server from a 64-bit client")
    assert "proxy/stub in both views" in str(error)
    assert real.ComRun("Windows", 64, 4, real.Setup(32), 0, 1.0).error() is None
    odd = real.ComRun("Windows", 32, 4, real.Setup(64), 0, 1.0, hr=0x8BAD0001).error()
    assert odd is not None and "a call on the object" in str(odd) and "doctor" in str(odd)


def test_the_registration_is_removed_when_the_client_fails(
        clean_wine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def broken_client(bits: int, args: list[str], timeout: float) -> str:
        seen.append(_registered())
        raise HostError("comclient_x64.exe", "did not finish within 1 s", "Try again")

    monkeypatch.setattr(real, "_client", broken_client)
    with pytest.raises(HostError, match="did not finish"):
        real.demo(64, 32)
    assert seen == [True] and not _registered()


def test_a_client_that_prints_no_report_is_the_kits_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(real, "register", lambda setup: None)
    monkeypatch.setattr(real, "unregister", lambda setup: None)
    monkeypatch.setattr(real, "_session", lambda: __import__("contextlib").nullcontext())
    monkeypatch.setattr(real, "_client", lambda bits, args, timeout: "wine: crashed\n")
    with pytest.raises(HostError, match="64-bit COM client.*printed no report"):
        real.demo(64, 32)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: real.demo(16, 32), "--client 16"),
    (lambda: real.demo(64, 128), "--server 128"),
    (lambda: real.run(64, real.Setup(32), calls=-1), "--calls -1"),
    (lambda: real.run(64, real.Setup(32), echo=[1 << 64]), "does not fit in 64 bits"),
    (lambda: real.Setup(32, proxy_bits=(16,)), "are not 32 or 64"),
])
def test_wrong_arguments_are_usage_errors(call: object, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        call()  # type: ignore[operator]


def test_the_recipe_follows_the_documentation_except_for_wines_bug() -> None:
    assert real.recipe(32, 64) == real.Setup(32, dll_surrogate="")
    assert real.recipe(64, 32) == real.Setup(64, dll_surrogate="")
    assert real.recipe(64, 64).dll_surrogate == real.WINE_DLLHOST64  # Linux: Wine's workaround
    assert real.hresult_name(0) == "S_OK"
    assert real.hresult_name(0x80004002) == "E_NOINTERFACE (0x80004002)"
    assert real.hresult_name(0x8BAD0001) == "0x8BAD0001"


@pytest.mark.slow
def test_com_demo_json_has_the_issue_fields(clean_wine: None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["com", "demo", "--client", "64", "--server", "32", "--calls", "3",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ptr_size"] == 4 and data["add"] == 5
    assert data["surrogate"] == {"image": "C:\\windows\\syswow64\\dllhost.exe", "bits": 32}
    assert data["hresults"] == {"CoCreateInstance": "S_OK", "calls": "S_OK"}
    assert data["create_ms"] > 0 and data["median_call_us"] > 0 and data["calls"] == 3


def test_com_register_and_unregister(clean_wine: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["com", "register", "--server", "32"]) == 0
    try:
        assert _registered()
    finally:
        assert main(["com", "unregister", "--server", "32"]) == 0
    assert not _registered()
    assert "interopkit com unregister" in capsys.readouterr().out


def test_com_demo_refuses_a_wrong_call_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["com", "demo", "--client", "64", "--server", "32", "--calls", "-5"]) == 2
    assert "--calls -5" in capsys.readouterr().err
