"""The run query language: text -> typed AST -> checked against a registry's fields ->
SQL for the index (``sql.py``) or evaluated in memory (``evaluate.py``).

    parse.py     the grammar (grammar/query.lark) to the AST of ast.py, syntax diagnostics
    fields.py    which fields a table has and what type each holds
    check.py     resolve fields, type the literals (times, kinds), did-you-mean
    sql.py       one translator to SQL, with a small dialect switch
    evaluate.py  the same semantics over JSON objects in memory
    order.py     --order-by keys
    compare.py   side-by-side comparison of runs (CLI, MedLang and web UI)

Importing this package is cheap; lark is imported only when a query is parsed.
"""
