"""The windows: chrome (menus, shortcuts, settings, dialogs, status bar) around stages, and the app's start-up."""
