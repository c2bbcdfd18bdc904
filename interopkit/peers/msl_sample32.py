"""The kit's sample library behind msl-loadlib's 32-bit server (its Server32 class).

msl-loadlib's frozen 32-bit Python imports this module by name and serves its methods over
HTTP; ``interopkit.bench.experiments`` calls them through msl-loadlib's Client64, to compare the
best-known Python peer with the kit's surrogate on the same library and the same calls. This
file is not part of the ``interopkit`` package: only that 32-bit server imports it.
"""

from msl.loadlib import Server32


class SampleServer32(Server32):
    """``add`` and ``checksum`` of ``libsample_i386.so`` (or ``sample_x86.dll``)."""

    def __init__(self, host, port, **kwargs):
        super().__init__(kwargs["path"], "cdll", host, port)

    def add(self, a, b):
        return self.lib.add(a, b)

    def checksum(self, data):
        return self.lib.checksum(data, len(data))
