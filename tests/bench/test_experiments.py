"""Every experiment makes the same call and gets the same answer."""

import pytest

from interopkit.bench.experiments import EXPERIMENTS, available
from interopkit.emulation.native import NativeLibrary

DATA = bytes(range(256)) * 4


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_each_experiment_adds_and_checksums(name: str) -> None:
    why = available(name)
    if why:
        pytest.skip(why)
    expected = NativeLibrary().call("checksum", __import__("interopkit.emulation.emulator",
                                                         fromlist=["Buffer"]).Buffer(DATA),
                                    len(DATA)).result & 0xFFFF_FFFF
    experiment = EXPERIMENTS[name]
    if experiment.inside is not None:  # timed in another process, which checks the answers
        timed = experiment.inside((0, len(DATA)), 3, 0.05)
        assert [len(timed.samples[size]) for size in (0, len(DATA))] == [3, 3]
        assert all(0 < second < 1 for second in timed.samples[len(DATA)])
        return
    assert experiment.open is not None
    with experiment.open() as call:
        scalar, summed = call(b""), call(DATA)
    if name == "pipe_baseline":  # an echo: no answer, only the trip
        assert scalar is None and summed is None
    elif name == "marshal_inproc":  # encodes and decodes; runs nothing
        assert scalar == 5 and summed == 5
    else:
        assert scalar == 5
        assert summed & 0xFFFF_FFFF == expected


def test_missing_peer_says_how_to_get_it(monkeypatch) -> None:
    import importlib.util

    from interopkit.bench import experiments

    experiments._msl_reason.cache_clear()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("msl") else real(name, *a))
    assert "pip install msl-loadlib" in available("msl_loadlib")
    experiments._msl_reason.cache_clear()


def test_a_peer_server_that_cannot_start_is_skipped_at_once(monkeypatch) -> None:
    import subprocess
    import time

    from interopkit.bench import experiments

    if experiments.importlib.util.find_spec("msl") is None:
        pytest.skip("msl-loadlib is not installed")

    def refuse(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    experiments._msl_reason.cache_clear()
    monkeypatch.setattr(subprocess, "run", refuse)
    start = time.perf_counter()
    assert "cannot run here (FileNotFoundError" in available("msl_loadlib")
    assert time.perf_counter() - start < 1
    experiments._msl_reason.cache_clear()
