"""The fast path: everything that makes a read cheaper without changing its meaning, behind one seam.

Domain types never see what is here: a domain's repository (app/process/pages.py) asks these modules for
what was kept and hands them what it built; the GraphQL view asks for kept answers (app/main.py). Each layer
has its own off switch (docs/architecture.md, "The fast path and its seams"). Cross-cutting like app/bus.py:
it imports no domain.
"""
