"""Reading binaries: PE and ELF headers, bounded reads, inspection, scanning, and images built or
mapped for teaching.
"""
