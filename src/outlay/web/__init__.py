"""The web app and the REST API: thin renderings of ``outlay.service.Outlay``."""
