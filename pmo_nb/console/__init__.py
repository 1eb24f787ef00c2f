"""What the command line prints: findings, KPI tables and run summaries as text, kept out of the domain modules."""
