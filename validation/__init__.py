"""Validation studies: the engine against queueing theory and independent calculations.

Run ``make validate`` (or ``python -m validation``) to run every study and write
``docs/validation.md``. One module per study (``study_*.py``); ``theory`` and ``periodic``
hold the independent calculations, ``records`` the measurements from event logs,
``checks`` the pass rule, ``runner`` the (optionally parallel) replications and ``report``
the Markdown. The engine is not changed or mocked here: studies build scenarios as plain
dicts and call ``sim.engine.run_replication``.
"""
