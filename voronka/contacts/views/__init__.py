"""Pages of contacts and companies: lists and cards."""
