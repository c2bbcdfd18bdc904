"""create_instance: the activation model carried out with the kit's surrogates."""

import pytest

from interopkit.com.activation import (
    SAMPLE_CLSID,
    SAMPLE_INTERFACE,
    Interface,
    Method,
    Param,
    create_instance,
)
from interopkit.com.registry import CLSCTX, ComClass
from interopkit.errors import SurrogateError, UsageError
from interopkit.kit.samples import sample_path

X86 = str(sample_path("windows", "x86"))
X64 = str(sample_path("windows", "x64"))


def _registered(dll: str, bits: int, **values: object) -> list[ComClass]:
    return [ComClass(SAMPLE_CLSID, dll, bits, appid=SAMPLE_CLSID, **values)]  # type: ignore


def test_a_32_bit_class_from_a_64_bit_client_runs_in_a_32_bit_surrogate() -> None:
    with create_instance(SAMPLE_CLSID, CLSCTX.LOCAL_SERVER, registry=_registered(X86, 32),
                         kind="emulated") as obj:
        assert obj.how == "surrogate (dllhost.exe)"
        assert obj.add(2, 3) == 5
        assert obj.add(-7, 2) == -5  # LONG comes back signed
        assert obj.ptr_size() == 4
        assert obj.echo_ptr(0x1_2345_6789) == 0x2345_6789
        assert obj.fill(4, 4, 65) == (4, b"ABCD")  # the ULONG result, then the [out] buffer
        assert obj.checksum(b"hello", 5) == obj.checksum(b"hello", 5)
        assert obj.counter_reset(0) is None and obj.counter_next() == 1
        assert obj.echo_u64(0x1_2345_6789) == 0x1_2345_6789  # 64 bits survive as ULONG64
        assert obj.surrogate is not None and obj.surrogate.info is not None
        assert obj.surrogate.info.pointer_size == 4


def test_objects_of_one_appid_share_a_surrogate_until_the_last_release() -> None:
    registry = _registered(X86, 32)
    first = create_instance(SAMPLE_CLSID, CLSCTX.LOCAL_SERVER, registry=registry,
                            kind="emulated")
    second = create_instance(SAMPLE_CLSID, CLSCTX.LOCAL_SERVER, registry=registry,
                             kind="emulated")
    assert first.surrogate is second.surrogate
    first.counter_reset(0)
    assert (first.counter_next(), second.counter_next()) == (1, 2)  # one DLL, one counter
    surrogate = first.surrogate
    assert surrogate is not None
    first.release()
    assert surrogate.info is not None  # still serving the second object
    second.release()
    assert surrogate.info is None  # the last release ended it
    with pytest.raises(UsageError, match="after release"):
        second.add(1, 2)


def test_in_process_activation_runs_in_this_process() -> None:
    with create_instance(SAMPLE_CLSID, CLSCTX.INPROC_SERVER,
                         registry=_registered(X64, 64)) as obj:
        assert obj.how == "in-process" and obj.surrogate is None
        assert obj.add(40, 2) == 42 and obj.ptr_size() == 8


def test_failed_activation_gives_the_hresult() -> None:
    with pytest.raises(SurrogateError, match="0x80040154"):
        create_instance(SAMPLE_CLSID, CLSCTX.INPROC_SERVER, registry=_registered(X86, 32))
    with pytest.raises(SurrogateError, match="no DllSurrogate"):
        create_instance(SAMPLE_CLSID, CLSCTX.LOCAL_SERVER,
                        registry=_registered(X86, 32, dll_surrogate=None))
    with pytest.raises(SurrogateError, match="0x80070057"):
        create_instance(SAMPLE_CLSID, CLSCTX.LOCAL_SERVER | CLSCTX.ACTIVATE_32_BIT_SERVER |
                        CLSCTX.ACTIVATE_64_BIT_SERVER, registry=_registered(X86, 32))


def test_wrong_calls_name_the_parameter() -> None:
    with create_instance(SAMPLE_CLSID, CLSCTX.INPROC_SERVER,
                         registry=_registered(X64, 64)) as obj:
        with pytest.raises(UsageError, match=r"takes 2 arguments \(\[in\] LONG a"):
            obj.add(1)
        with pytest.raises(UsageError, match="data .*got str"):
            obj.checksum("hello", 5)
        with pytest.raises(UsageError, match="not a method of the interface"):
            obj.release_all()


def test_interface_declarations_are_checked() -> None:
    with pytest.raises(UsageError, match="not a type the kit marshals"):
        Param("p", "PVOID64")
    with pytest.raises(UsageError, match="Scalars are"):
        Param("n", "ULONG", "out")
    with pytest.raises(UsageError, match="not a return type"):
        Method("f", (), "float")
    assert Interface("I", ()).methods == ()
    assert {m.name for m in SAMPLE_INTERFACE.methods} >= {"add", "checksum", "fill"}


# sample.c's C types as MIDL spells them. A uint8_t argument travels in a 32-bit slot (the
# kit's wire has no byte type), so ISample declares it ULONG and the DLL keeps its low byte.
_C_TO_MIDL = {"int32_t": "LONG", "uint32_t": "ULONG", "intptr_t": "INT_PTR",
              "uint64_t": "ULONG64", "void": "void", "uint8_t": "ULONG", "uint8_t *": "BYTE*",
              "const uint8_t *": "BYTE*"}


def test_the_sample_interface_declares_what_sample_c_defines() -> None:
    import re
    from pathlib import Path

    import interopkit

    source = (Path(interopkit.__file__).parent / "csrc" / "sample.c").read_text()
    defined = {name: (ret.strip(), [p.strip() for p in params.split(",") if p.strip() != "void"])
               for ret, name, params in re.findall(r"^IK_API ([\w *]+?) ?(\w+)\(([^)]*)\)",
                                                   source, re.MULTILINE)}
    for method in SAMPLE_INTERFACE.methods:
        returns, params = defined[method.export or method.name]
        assert _C_TO_MIDL[returns] == method.returns, method.name
        c_types = [re.sub(r"\s*\w+$", "", p).replace("*", " *").replace("  ", " ")
                   for p in params]
        assert [_C_TO_MIDL[t] for t in c_types] == [p.type for p in method.params], method.name
