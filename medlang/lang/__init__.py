"""The MedLang language: grammar -> parse (typed AST) -> check -> interpret, plus stdlib bridges."""
