"""The monthly regional lists and their summaries (`publish.export_period`), built from gold/scores."""
