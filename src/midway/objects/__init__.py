"""Low-level helpers on Kubernetes objects and their files, shared by every layer above.

The bottom of the layers: nothing here imports from midway but `midway.errors`, and no
module does I/O (see docs/design.md §1).
"""
