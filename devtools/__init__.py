"""Development tools (not installed with the package): generators of the files made from the option declaration."""
