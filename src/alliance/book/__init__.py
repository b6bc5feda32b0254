"""What the book itself needs: its figures and the refresh of committed chapter outputs.

A top layer: may import every layer below it, and nothing imports it.
"""
