import pytest

from interopkit.machine import ELF_TO_PE, ElfMachine, Machine

# Values from FACTS.md section 2's IMAGE_FILE_MACHINE_* table, typed in independently.
DOCUMENTED = {"UNKNOWN": 0x0, "I386": 0x14C, "ARM": 0x1C0, "THUMB": 0x1C2, "ARMNT": 0x1C4,
              "IA64": 0x200, "CHPE_X86": 0x3A64, "AMD64": 0x8664, "ARM64EC": 0xA641,
              "ARM64X": 0xA64E, "ARM64": 0xAA64}


@pytest.mark.parametrize("name,value", sorted(DOCUMENTED.items()))
def test_machine_values_match_the_fact_sheet(name: str, value: int) -> None:
    assert Machine[name] == value
    assert Machine.from_value(value) is Machine[name]


@pytest.mark.parametrize("machine,bits", [(Machine.I386, 32), (Machine.AMD64, 64),
                                          (Machine.ARM64, 64), (Machine.ARMNT, 32),
                                          (Machine.CHPE_X86, 32), (Machine.ARM64EC, 64)])
def test_bits_and_pointer_size(machine: Machine, bits: int) -> None:
    assert machine.bits == bits
    assert machine.pointer_size == bits // 8


def test_contested_values_carry_their_caveat() -> None:
    assert "DISAGREE" in Machine.ARM64EC.note
    assert "0xAA64" in Machine.ARM64X.note
    assert "WDK" in Machine.CHPE_X86.note


def test_unknown_value_is_none_not_an_error() -> None:
    assert Machine.from_value(0x1234) is None


def test_elf_counterparts() -> None:
    assert ELF_TO_PE[ElfMachine.EM_386] is Machine.I386
    assert ELF_TO_PE[ElfMachine.EM_X86_64] is Machine.AMD64
    assert ELF_TO_PE[ElfMachine.EM_AARCH64] is Machine.ARM64
    assert ElfMachine.EM_AARCH64 == 183 and ElfMachine.EM_X86_64 == 62 and ElfMachine.EM_386 == 3
