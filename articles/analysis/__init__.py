"""Pure analysis: plain records in, plain records out (no SQL, no Library)."""
