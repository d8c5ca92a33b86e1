"""Use cases built from the store and the index (feeds, ...).  Each takes the
``Store`` (and the index or callables it needs), never a ``Library``; modules are
imported by name so each command loads only what it uses."""
