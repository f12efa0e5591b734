"""Monthly monitoring of the data and the model (the `monitor` step): one module per family of
checks, each a function of small aggregates returning findings (`findings.Finding`), and `run`,
which reads the lake, gathers them and writes the month of `gold/monitoring`."""
