"""The `paycrypt` command line."""
