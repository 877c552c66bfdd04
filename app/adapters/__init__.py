"""Adapters: the only modules that touch a library's private attributes (docs/conventions.md, habit 13).

Each module here wraps the private attributes of one library that no public API replaces, one small named
function per access, with a docstring that says why. tests/test_adapters.py checks on the installed versions
that every attribute an adapter relies on is still there (naming the adapter and the attribute when one is
gone), and fails when a module outside this package touches a library's private attribute. The package is a
leaf: it imports no module of app/, and every package may import it.
"""
