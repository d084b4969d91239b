"""What BasicSR models mix in (issue 20 moves training/ here)."""
