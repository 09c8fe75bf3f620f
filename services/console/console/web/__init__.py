"""The console's pages under /ops, one module per area of the office's work."""
