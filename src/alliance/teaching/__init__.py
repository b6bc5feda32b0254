"""Teaching material: the coding exercise, class mode and the agreement lessons.

:mod:`~alliance.teaching.sheets` reads coding sheets as people save them;
:mod:`~alliance.teaching.exercise` holds the exercise and scores one sheet;
:mod:`~alliance.teaching.classroom` scores a whole class (``python -m alliance score-class``);
:mod:`~alliance.teaching.consensus` runs the consensus-negotiation exercise;
:mod:`~alliance.teaching.paradoxes` builds chapter 12's hand-made agreement tables.

A top layer: may import every layer below it, and nothing imports it.
"""
