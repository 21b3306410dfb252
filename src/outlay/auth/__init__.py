"""Single sign-on: the OIDC relying party and group mapping (no web or store code here)."""
