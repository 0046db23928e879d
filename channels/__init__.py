"""Channel adapters. Each package has the same shape: inbound (verify, parse), outbound (send),
routes, and a fake of its remote API for tests."""
