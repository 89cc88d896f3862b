"""Settings variants the HTTP benchmark serves, one module each."""
