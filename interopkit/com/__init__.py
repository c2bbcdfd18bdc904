"""COM's rules: registration, activation through a surrogate, interface declarations (IDL) and the
lint for the hazards in them.
"""
