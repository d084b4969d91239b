"""What the entry points wrap around BasicSR's training pipeline (issue 20 moves the console and the process-group
start/finish here)."""
