"""/inbox: turns that failed for good, and retrying them."""
