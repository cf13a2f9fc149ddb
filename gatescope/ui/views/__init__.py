"""One module per view; each takes the SessionModel, listens to its signals and repaints its items in place."""
