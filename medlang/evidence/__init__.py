"""Run-producing commands: evidence programs written in MedLang, their validation,
the configs of every command, and the producers that run and log them.

Pipeline: ``discovery`` (find the program, run it, ``program.EvidenceProgram``
validates the value) -> ``configs`` (config files, recorded inputs) -> producers
(``trials``, ``surrogates``, ``policies``; ``run_entry`` for ``mlc run --log``)
-> ``medlang.sim`` (the science) -> ``medlang.registry`` (logging).
"""

# The producer commands, by name: the one list (``mlc config-schema``, replay, the CLI's
# consistency tests). Kept here, import-free, so completion and `mlc runs` stay fast.
PRODUCERS = (
    "run-evidence",
    "run-evidence-hybrid",
    "train-surrogate",
    "surrogate-eval",
    "train-policy-rl",
    "eval-policy-rl",
)
