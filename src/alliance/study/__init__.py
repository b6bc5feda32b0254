"""The analyses of the study chapters.

Sampling, thematic analysis, reliability, themes per session, the dyad comparison and its
robustness. Imports only :mod:`alliance.stats` and :mod:`alliance.data`.
"""
