"""Run and artifact kinds: closed enums serialized as their variant names."""

from __future__ import annotations

from enum import StrEnum

from medlang.registry.errors import UnknownKindError


class _NamedEnum(StrEnum):
    """An enum whose value is its variant name; parsing an unknown name lists the valid ones."""

    @classmethod
    def parse(cls, name: str) -> _NamedEnum:
        """The member named ``name``; ``UnknownKindError`` (a ``ValueError``) lists valid names."""
        if isinstance(name, cls):
            return name
        try:
            return cls(name)
        except ValueError:
            from medlang.suggest import did_you_mean

            hint = did_you_mean(str(name), cls.names())
            raise UnknownKindError(
                f"unknown {cls.__name__} {name!r}; valid kinds: {', '.join(cls.names())}{hint}"
            ) from None

    @classmethod
    def names(cls) -> list[str]:
        return [member.value for member in cls]

    def __str__(self) -> str:
        return self.value


class RunKind(_NamedEnum):
    EvidenceMechanistic = "EvidenceMechanistic"
    EvidenceSurrogate = "EvidenceSurrogate"
    EvidenceHybrid = "EvidenceHybrid"
    SurrogateTrain = "SurrogateTrain"
    SurrogateEval = "SurrogateEval"
    RLTrain = "RLTrain"
    RLEval = "RLEval"


class ArtifactKind(_NamedEnum):
    EvidenceResult = "EvidenceResult"
    SurrogateModel = "SurrogateModel"
    SurrogateEvalReport = "SurrogateEvalReport"
    RLPolicy = "RLPolicy"
    RLTrainReport = "RLTrainReport"
    RLEvalReport = "RLEvalReport"
