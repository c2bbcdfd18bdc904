"""Values on the wire: NDR's integer rules, basetsd.h's conversions, and the live crossing of
addresses and handles.
"""
