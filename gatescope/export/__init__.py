"""Getting things out of gatescope: trace data now; animation frames, GIF, MP4 and SVG later."""
