"""Drift: desired (state repo) vs live (cluster), classified, attributed, masked.

Pure core (no I/O):
- model: result dataclasses (DriftReport, ObjectDrift, FieldDrift, DriftEvent, …)
- normalize: server-populated fields and value equality (quantities)
- compare: field-level compare of two objects (server and offline mode)
- attribution: managedFields (fieldsV1) -> the manager owning a path; fields others added
- (paths and masking — merge-key paths, the one masking rule — live in midway.objects)
- ignoring + presets/: ignore rules and the built-in well-known false alarms
- evaluate: one object -> ObjectDrift
- report: text, JSON (drift-report.schema.json), markdown

Edges:
- desired: the destination's objects from the state repo
- destination: --env/--cluster -> environment, cluster and kubeconfig context
- stale: config HEAD vs state commit (layer 1 vs 2)
- scan: one destination -> DriftReport (through midway.cluster)
- watching: DriftWatcher, re-evaluating on every live change
"""
