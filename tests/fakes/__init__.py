"""Fakes of the outside world, served as real HTTP servers on loopback."""
