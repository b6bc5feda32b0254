"""Teaching material: the coding exercise and the agreement lessons.

A top layer: may import every layer below it, and nothing imports it.
"""
