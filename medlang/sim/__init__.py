"""The virtual oncology trial in numpy: parameters and sources (``params``), virtual
patients (``population``), the PK/PD ODE system and its RK4 solver (``ode``),
contracts (``contracts``), the trial and its endpoints (``trial``), the surrogate
(``mlp``, ``surrogate``, ``surrogate_fit``), backends and routing (``hybrid``) and
the dose-selection RL environment with Q-learning (``rl``)."""
