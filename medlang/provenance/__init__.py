"""Provenance: what a run was made from and what was made from it.

``lineage`` links runs through the content hashes of the files they share;
``export`` writes a run and its lineage as a Workflow Run RO-Crate or W3C PROV-JSON.
"""
