"""What the entry points wrap around BasicSR's training pipeline: their command line (:mod:`.command_line`), the
``--quiet`` console (:mod:`.console`), the end of a distributed run (:mod:`.process_group`), the stop on SIGTERM /
SIGINT with a checkpoint (:mod:`.stop_signals`) and the report of an out-of-memory step (:mod:`.out_of_memory`)."""
