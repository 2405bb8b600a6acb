"""Python implementations of the stdlib's ``extern fn`` declarations.

One module per stdlib module: ``medlang.lang.bridge.registry`` implements
``stdlib/med/registry.medlang``. Importing a bridge module registers its
functions in ``medlang.lang.externs``; the extern table imports it on demand.
"""
