"""The resource graph (docs/resources.md): requests, provisioner matching, placeholders,
resolution order and secret references. Pure: no I/O, no Jsonnet."""
