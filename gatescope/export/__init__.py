"""Getting things out of gatescope: trace data (CSV, NPZ, JSON), frame writers (PNG, GIF, MP4, SVG) and the
offscreen animation stage the app and `gatescope export` share."""
