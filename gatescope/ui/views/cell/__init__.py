"""The cell diagram, in layers: Qt-free geometry per cell kind (``layouts``), the graphics items that draw it
(``items``), one direction's diagram and the canvas that shows it (``diagram``), the phase buttons (``phase_bar``),
and the view bound to the session (``view``). Importing this package imports no Qt."""
