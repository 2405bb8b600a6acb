"""The web view of a registry: ``mlc ui`` (a local, read-only app) and ``mlc report``.

Layout, in data-flow order: ``stats`` (small statistics the pictures need) ->
``plots`` (Vega-Lite specifications built from registry data; one place, used by
the app and the report alike) -> ``pages`` (what each page shows, from the
registry's own data layer) -> ``app`` (the ASGI routes, HTML and JSON) ->
``security`` (loopback by default, a token otherwise) -> ``serve`` (uvicorn).
Nothing here writes to the registry.
"""
