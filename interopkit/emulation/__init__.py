"""Other CPUs' code: a DLL mapped and run on an emulated CPU, the same calls natively, and what
emulation costs.
"""
