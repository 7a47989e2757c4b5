"""Pure support-desk logic: no I/O, no frameworks, time passed in as ``now``."""
