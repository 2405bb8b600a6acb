"""Run-producing commands: evidence programs written in MedLang, their validation,
the configs of every command, and the producers that run and log them.

Pipeline: ``discovery`` (find the program, run it, ``program.EvidenceProgram``
validates the value) -> ``configs`` (config files, recorded inputs) -> producers
(``trials``, ``surrogates``, ``policies``; ``run_entry`` for ``mlc run --log``)
-> ``medlang.sim`` (the science) -> ``medlang.registry`` (logging).
"""
