"""A run and its lineage as a Workflow Run RO-Crate (Process Run Crate profile).

Each run of the ancestry is a ``CreateAction``: its ``instrument`` the ``mlc``
command that made it (a ``SoftwareApplication`` with the MedLang version),
``object`` the files it read, ``result`` the files it wrote, ``startTime`` /
``endTime`` / ``actionStatus`` from the run record. A file is one entity per
content (sha256), so the surrogate a training run wrote and a hybrid run read
is the same entity: the crate carries the lineage itself. Evaluation runs that
qualified an input are included as actions too. The bytes come from the
registry's object store (see ``export_files``); a file whose bytes are not
available is still described, with its sha256 and the reason.

Built with ro-crate-py; written into a temporary directory beside ``--out`` and
renamed into place, so a crate is complete or absent.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medlang.provenance import export_files, lineage
from medlang.provenance.lineage import LineageGraph, RunNode

if TYPE_CHECKING:
    from medlang.registry.store import Registry

PROCESS_RUN_CRATE = "https://w3id.org/ro/wfrun/process/0.5"
_RELATION_TEXT = {
    "root": "the exported run",
    "ancestor": "produced an input of the exported run's ancestry",
    "evaluation": "evaluated (qualified) a file of the exported run's ancestry",
}
_STATUS = {"finished": "CompletedActionStatus", "failed": "FailedActionStatus"}


@dataclass
class CrateSummary:
    """What an export wrote, for the command to report."""

    out: Path
    runs: list[str]
    files_written: int
    missing: list[export_files.ExportedFile] = field(default_factory=list)


# RO-Crate requires a license; the registry does not know one, so say so unless given.
NO_LICENSE = (
    "No license was given when this crate was exported (mlc runs export --license); "
    "ask the owner of these runs before reusing their files."
)


def write_crate(
    registry: Registry,
    run_id: str,
    out: Path,
    agent: str | None = None,
    license: str | None = None,
) -> CrateSummary:
    """Export run ``run_id`` (with its ancestry) as an RO-Crate directory at ``out``.

    ``agent``: who ran the runs (an ORCID URL or a name; the registry does not record
    it). ``license``: a license URL or text for the crate."""
    export_files.check_output_directory(out)
    graph = lineage.ancestors(registry, run_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = export_files.copy_files(registry, graph, staging)
        crate = _build(graph, files, agent, license)
        for node in graph.runs.values():  # each run's record, as the registry stores it
            record_path = staging / _record_name(node)
            record_path.parent.mkdir(parents=True, exist_ok=True)
            record_path.write_text(_record_text(node), encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "No source for ...": we wrote the bytes ourselves
            crate.write(staging)
        os.chmod(staging, 0o777 & ~_umask())
        if out.is_dir():
            out.rmdir()  # empty, checked above
        os.replace(staging, out)
    except BaseException:
        export_files.remove_tree(staging)
        raise
    missing = [f for f in files.values() if f.name is None]
    return CrateSummary(out, list(graph.runs), len(files) - len(missing), missing)


def _build(
    graph: LineageGraph,
    files: dict[str, export_files.ExportedFile],
    agent: str | None,
    license: str | None,
):
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    crate = ROCrate(version="1.1")  # the RO-Crate version Process Run Crate 0.5 profiles
    root_run = graph.runs[graph.root]
    crate.root_dataset["name"] = f"MedLang {root_run.kind} run {root_run.id}"
    crate.root_dataset["description"] = (
        f"The {root_run.kind} run {root_run.id} of the MedLang run registry, with the runs "
        "that produced its inputs and the evaluations that qualified them. Runs are linked "
        "by the sha256 of the files one wrote and another read."
    )
    crate.root_dataset["datePublished"] = _iso(root_run.finished_at or root_run.started_at)
    profile = crate.add(
        ContextEntity(
            crate,
            PROCESS_RUN_CRATE,
            properties={"@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
        )
    )
    crate.root_dataset["conformsTo"] = profile
    crate.root_dataset["license"] = _license(crate, license)

    entities = {sha256: _file_entity(crate, exported) for sha256, exported in files.items()}
    person = _agent_entity(crate, agent) if agent else None
    if person is not None:
        crate.root_dataset["author"] = person
    actions = []
    for node in graph.runs.values():
        action = crate.add_action(
            _instrument(crate, node),
            identifier=f"#run-{node.id}",
            object=_one_or_many([entities[e.sha256] for e in graph.used(node.id)]),
            result=_one_or_many([entities[e.sha256] for e in graph.generated(node.id)]),
            properties={
                "@type": "CreateAction",
                "name": f"{node.kind} run {node.id}",
                "description": _RELATION_TEXT.get(node.relation, node.relation),
                "identifier": node.id,
                "startTime": _iso(node.started_at),
                "endTime": _iso(node.finished_at),
                "actionStatus": f"http://schema.org/{_status(node)}",
            },
        )
        if node.status not in _STATUS or node.status == "failed":
            error = (node.record.get("metrics") or {}).get("error") or node.record.get("error")
            if error:
                action["error"] = str(error)
        if person is not None:
            action["agent"] = person
        record = crate.add_file(
            source=None,
            dest_path=_record_name(node),
            properties={
                "name": f"Registry record of run {node.id}",
                "encodingFormat": "application/json",
                "contentSize": str(len(_record_text(node).encode())),
                "about": action,
            },
        )
        action["subjectOf"] = record
        actions.append(action)
    crate.root_dataset["mentions"] = actions
    return crate


def _file_entity(crate, exported: export_files.ExportedFile):
    from rocrate.model.contextentity import ContextEntity

    node = exported.node
    properties: dict[str, Any] = {
        "name": Path(node.paths[0]).name if node.paths else node.sha256,
        "sha256": node.sha256,
    }
    if node.size_bytes is not None:
        properties["contentSize"] = str(node.size_bytes)
    if node.kind:
        properties["additionalType"] = node.kind
    if node.paths:
        properties["alternateName"] = _one_or_many(node.paths)  # where the runs saw it
    if exported.name is not None:
        properties["encodingFormat"] = _format(exported.name)
        properties["contentSize"] = str(exported.size)
        description = f"Copied from the registry's {exported.source}; sha256 verified."
        properties["description"] = description
        return crate.add_file(source=None, dest_path=exported.name, properties=properties)
    # Bytes not available: still described (content hash, names), and why.
    properties["@type"] = "CreativeWork"
    properties["description"] = f"Not included: {exported.note}."
    return crate.add(ContextEntity(crate, f"#sha256-{node.sha256}", properties=properties))


def _instrument(crate, node: RunNode):
    from rocrate.model.softwareapplication import SoftwareApplication

    config = node.record.get("config") or {}
    env = node.record.get("env") or {}
    command = config.get("command") if isinstance(config.get("command"), str) else node.kind
    version = env.get("medlang") if isinstance(env.get("medlang"), str) else "unknown"
    identifier = f"#mlc-{command}-{version}"
    existing = crate.get(identifier)
    if existing is not None:
        return existing
    return crate.add(
        SoftwareApplication(
            crate,
            identifier,
            properties={
                "name": f"mlc {command}",
                "description": "MedLang toolchain (Python)",
                "softwareVersion": version,
            },
        )
    )


def _agent_entity(crate, agent: str):
    from rocrate.model.person import Person

    if agent.startswith("https://orcid.org/"):
        return crate.add(Person(crate, agent, properties={"name": agent}))
    return crate.add(Person(crate, f"#agent-{_slug(agent)}", properties={"name": agent}))


def _license(crate, license: str | None):
    from rocrate.model.contextentity import ContextEntity

    if license and license.startswith(("http://", "https://")):
        return crate.add(
            ContextEntity(crate, license, properties={"@type": "CreativeWork", "name": license})
        )
    return license or NO_LICENSE


def _one_or_many(items: list) -> Any:
    """RO-Crate prefers a single value to a one-element list."""
    return items[0] if len(items) == 1 else items


def _format(name: str) -> str:
    if name.endswith(".json"):
        return "application/json"
    if name.endswith((".medlang", ".txt", ".csv")):
        return "text/plain"
    return "application/octet-stream"


def _record_text(node: RunNode) -> str:
    return json.dumps(node.record, indent=2, ensure_ascii=False) + "\n"


def _iso(stamp: str) -> str:
    """ISO 8601 as the Process Run Crate profile checks it: milliseconds and an offset."""
    from medlang.registry.timestamps import parse_timestamp

    try:
        return parse_timestamp(stamp).isoformat(timespec="milliseconds")
    except ValueError:
        return stamp


def _status(node: RunNode) -> str:
    return _STATUS.get(node.status, "FailedActionStatus")


def _record_name(node: RunNode) -> str:
    return f"runs/{node.id}.json"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "agent"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
