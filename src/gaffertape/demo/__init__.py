"""The demo university. It never imports product code; only the CLI starts it."""
