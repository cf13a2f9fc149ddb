"""Light and dark themes: the Fusion style with a palette; views read their colours from the palette."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("light", "dark")


def palette(theme: str) -> QPalette:
    """The application palette for a theme."""
    colours = QPalette()
    if theme == "dark":
        window, base, text = QColor(37, 39, 43), QColor(28, 30, 33), QColor(226, 228, 232)
        colours.setColor(QPalette.ColorRole.Window, window)
        colours.setColor(QPalette.ColorRole.WindowText, text)
        colours.setColor(QPalette.ColorRole.Base, base)
        colours.setColor(QPalette.ColorRole.AlternateBase, window)
        colours.setColor(QPalette.ColorRole.Text, text)
        colours.setColor(QPalette.ColorRole.Button, window)
        colours.setColor(QPalette.ColorRole.ButtonText, text)
        colours.setColor(QPalette.ColorRole.ToolTipBase, base)
        colours.setColor(QPalette.ColorRole.ToolTipText, text)
        colours.setColor(QPalette.ColorRole.Highlight, QColor(255, 166, 0))
        colours.setColor(QPalette.ColorRole.HighlightedText, QColor(20, 20, 20))
        colours.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 144, 150))
        colours.setColor(QPalette.ColorRole.Link, QColor(110, 170, 255))
        for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
            colours.setColor(QPalette.ColorGroup.Disabled, role, QColor(110, 114, 120))
    else:
        colours = QApplication.style().standardPalette() if QApplication.instance() else QPalette()
        colours.setColor(QPalette.ColorRole.Highlight, QColor(214, 96, 0))
        colours.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    return colours


def apply_theme(theme: str) -> None:
    """Switch the whole application (views follow through their PaletteChange events)."""
    app = QApplication.instance()
    if app is None:
        return
    app.setStyle("Fusion")
    app.setPalette(palette(theme if theme in THEMES else "light"))
