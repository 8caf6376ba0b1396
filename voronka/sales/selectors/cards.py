"""One lead or deal with everything its card shows."""
