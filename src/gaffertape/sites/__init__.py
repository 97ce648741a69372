"""Sites capability."""
