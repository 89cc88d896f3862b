"""The two levels: L1 in this process (`local`), L2 in Redis (`redis`)."""
