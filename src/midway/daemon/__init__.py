"""The reconciler daemon, split by concern: config watch, cluster watch, queue, reconciler,
leases, HTTP probes and metrics, logging, and the wiring in run.py."""
