"""The kit's own DLL surrogate: the wire format, the pipes, the client and the emulated surrogate.
"""
