"""One contact or company with everything its card shows."""
