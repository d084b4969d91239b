"""Fail-fast checks of a BasicSR run, before anything is created: every problem of the command line, option file,
data and weights, reported at once in the :mod:`bebygan_plugin.problems` format.

Reusable pieces (each check returns a list of :class:`~bebygan_plugin.problems.Problem`):

- :mod:`.command_line`: BasicSR's flags (``basicsr_argument_parser``), ``read_options``
  (:func:`bebygan_plugin.files.option_files.load_option_file` + ``apply_force_yml``), ``preflight_or_exit``;
- :mod:`.options`: static checks of the option dict (``check_options(opt, is_train)``): keys, types, values, scale;
- :mod:`.environment`: ``check_launch`` (GPUs, launcher, backend), ``check_loggers``, ``check_writable``;
- :mod:`.datasets`: ``check_datasets`` (paths, pairing, sizes, images decoded), ``decoded_size``;
- :mod:`.weight_files`: ``check_pretrained_networks``, ``check_loss_weights``, ``check_metric_weights``.

Composed for ``bebygan-train`` in :mod:`.training` and for ``bebygan-test`` in :mod:`.testing`, each with its
``argument_parser()`` and ``run_preflight(argv, root_path)``; an entry point calls
``preflight_or_exit(run_preflight, sys.argv[1:], os.getcwd())``.
"""
