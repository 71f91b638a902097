"""Sub-commands of the `kgen` CLI; each module is one command."""
