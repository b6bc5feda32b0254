"""The article and its reconstruction: the synthetic generator and the reproduction scorecard.

Imports the layers below it (:mod:`alliance.study`, :mod:`alliance.stats`, :mod:`alliance.data`).
"""
