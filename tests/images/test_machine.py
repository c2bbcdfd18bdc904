import pytest

from interopkit.images.machine import ELF_TO_PE, ElfMachine, Machine

# Values from PE-FMT and WINE-WINNT's IMAGE_FILE_MACHINE_* lists, typed in independently.
DOCUMENTED = {"UNKNOWN": 0x0, "I386": 0x14C, "ARM": 0x1C0, "THUMB": 0x1C2, "ARMNT": 0x1C4,
              "IA64": 0x200, "CHPE_X86": 0x3A64, "AMD64": 0x8664, "ARM64EC": 0xA641,
              "ARM64X": 0xA64E, "ARM64": 0xAA64}


@pytest.mark.parametrize("name,value", sorted(DOCUMENTED.items()))
def test_machine_values_match_the_sources(name: str, value: int) -> None:
    assert Machine[name] == value
    assert Machine.from_value(value) is Machine[name]


@pytest.mark.parametrize("machine,bits", [(Machine.I386, 32), (Machine.AMD64, 64),
                                          (Machine.ARM64, 64), (Machine.ARMNT, 32),
                                          (Machine.CHPE_X86, 32), (Machine.ARM64EC, 64)])
def test_bits_and_pointer_size(machine: Machine, bits: int) -> None:
    assert machine.bits == bits
    assert machine.pointer_size == bits // 8


def test_the_three_coff_only_values_are_taught_alike() -> None:
    # CHPE_X86, ARM64EC and ARM64X: real COFF values from the WDK's ntimage.h, none of them the
    # Machine of a finished image (ARM64EC, SYSINF-376); no Microsoft-versus-Wine disagreement.
    for machine in (Machine.CHPE_X86, Machine.ARM64EC, Machine.ARM64X):
        assert "COFF value" in machine.display_name
        assert "ntimage.h" in machine.note and "finished" in machine.note
        assert "DISAGREE" not in machine.note
    assert "0x8664" in Machine.ARM64EC.note and "0xAA64" in Machine.ARM64X.note


def test_unknown_value_is_none_not_an_error() -> None:
    assert Machine.from_value(0x1234) is None


def test_elf_counterparts() -> None:
    assert ELF_TO_PE[ElfMachine.EM_386] is Machine.I386
    assert ELF_TO_PE[ElfMachine.EM_X86_64] is Machine.AMD64
    assert ELF_TO_PE[ElfMachine.EM_AARCH64] is Machine.ARM64
    assert ElfMachine.EM_AARCH64 == 183 and ElfMachine.EM_X86_64 == 62 and ElfMachine.EM_386 == 3
