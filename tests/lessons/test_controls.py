"""interopkit.lessons.controls: its tables, diagrams, explorers and exercises."""

from interopkit.lessons.controls import explorer_choices, image_explorer


def test_explorer_follows_the_dropdown_and_the_text_box() -> None:
    box = image_explorer()
    picker, own, output = box.children[0].children[0], box.children[1], box.children[2]
    assert "I386 = 0x014C" in output.value
    picker.value = "sample_arm64.dll"
    assert "ARM64 = 0xAA64" in output.value
    own.value = "/no/such/file.dll"
    assert "does not exist" in output.value


def test_choices_include_samples_and_probes() -> None:
    choices = explorer_choices()
    assert "libsample_aarch64.so" in choices and "probe_x86.exe" in choices
