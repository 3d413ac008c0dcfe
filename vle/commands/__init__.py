"""Subcommands of the vle command line, one module each."""
