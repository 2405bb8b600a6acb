"""MedLang's Python toolchain: run registry, language interpreter and the ``mlc`` command."""

__version__ = "0.1.0"
