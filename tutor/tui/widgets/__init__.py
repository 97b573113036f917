"""Small widgets, one job each; screens wire them together."""
