"""Reports: findings as JSON, SARIF and Markdown, and the architecture-review bundle (Markdown + HTML)."""
