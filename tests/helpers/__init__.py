"""Plain helper modules shared by the tests and the benchmarks (no test functions here)."""
