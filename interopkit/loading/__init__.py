"""Who loads what: the Windows loader's bitness rules, this machine's real loader, and dependency
checking.
"""
