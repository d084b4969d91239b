"""What the entry points wrap around BasicSR's training pipeline: their command line (:mod:`.command_line`), the
``--quiet`` console (:mod:`.console`) and the end of a distributed run (:mod:`.process_group`)."""
