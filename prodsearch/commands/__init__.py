"""The verbs of the command line, one module per group: index, search and serve, eval and tune, train."""
