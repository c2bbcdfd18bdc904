"""WOW64 measured (real 32-bit and 64-bit processes) and modelled (the file-system and registry
redirectors).
"""
