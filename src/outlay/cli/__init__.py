"""The command line: thin Typer commands over ``outlay.service.Outlay``."""
