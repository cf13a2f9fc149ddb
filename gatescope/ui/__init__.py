"""Everything Qt: the desktop app. Views index into the session's Trace; they never compute model maths."""
