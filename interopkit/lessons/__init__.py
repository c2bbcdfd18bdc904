"""One module per notebook: its tables, diagrams, explorers and checked exercises; they import the
tools, never the reverse.
"""
