"""The kit's own machinery: its sample binaries, this machine, Wine, quick mode and timing.
"""
