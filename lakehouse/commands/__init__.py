"""One module per `lakehouse` sub-command; each has register(subparsers)."""
