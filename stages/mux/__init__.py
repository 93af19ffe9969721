"""Shot mux: a shot's motion clip with its voices placed where the shared timing says."""
