"""Exchange with other software and readers: REFI-QDA files and the study report.

A top layer: may import every layer below it, and nothing imports it.
"""
