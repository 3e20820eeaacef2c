"""Policy evaluation: pure functions that decide what IAM policies allow. No I/O here."""
