"""What the entry points wrap around BasicSR's training pipeline: the ``--quiet`` console (:mod:`.console`) and the
end of a distributed run (:mod:`.process_group`)."""
