"""Test doubles that ship with outlay, kept out of the product path.

Nothing under ``providers``, ``ingest``, ``store``, ``report``, ``service`` or ``web`` imports this
package; only the ``outlay demo`` and ``outlay fake-cursor`` commands, the tests and the benchmarks
do (``tests/test_import_direction.py`` checks it).
"""
