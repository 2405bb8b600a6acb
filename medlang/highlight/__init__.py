"""Syntax highlighting for MedLang: a Pygments lexer (``lexer.py``, registered as
the ``medlang`` lexer through the ``pygments.lexers`` entry point) and, for
editors, the TextMate grammar ``editors/medlang.tmLanguage.json``."""
