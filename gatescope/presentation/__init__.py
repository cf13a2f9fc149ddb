"""How gatescope shows things, without Qt: colour scales and levels, and (text) how it writes tokens, numbers, unit
names, titles and captions. The session, the views, the command line and exports all use it, so each thing is said
one way."""
