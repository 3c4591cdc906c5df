"""Pure relief-logistics computation: plain frozen dataclasses, integer matrices, solvers.

Nothing here reads files, draws maps or speaks HTTP; ``geodata`` turns files into these
objects and ``service`` exposes them.
"""
