"""vle package."""
