"""Study folders: paths, loading and validation, the codebook and the published figures.

A ground layer beside :mod:`alliance.stats`; it imports no other layer.
"""
