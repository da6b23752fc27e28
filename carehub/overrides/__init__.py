"""CareHub's overrides of framework internals, in one place, with an upgrade checklist.

Each one replaces or extends something a framework does not promise to keep (a private
method, an undocumented attribute, a class it may rename). Each has a test in
tests/test_overrides.py that fails when the framework changes under it or when the
override stops doing its job. Before upgrading the framework named, go through its entry:
read the upstream code it names, run its test, and delete the override if upstream now
does the same (the entry says what to look for).

Upgrade checklist
-----------------
- ``carehub.overrides.sqlite`` (Django's SQLite backend, ``features.max_query_params``):
  Django 5.2 assumes SQLite's compile-time default of 999 bind parameters per statement,
  so ``bulk_create`` of a 15-column model writes 66 rows a statement and a directory
  import's statements grow with its rows. The backend reads the limit this SQLite library
  was built with (``SQLITE_LIMIT_VARIABLE_NUMBER``, 250,000 on Debian's and Python's
  builds since SQLite 3.32). Upgrade: Django 6.0 reads the same limit itself
  (``django/db/backends/sqlite3/features.py``: ``max_query_params`` a cached property
  calling ``getlimit``); when it does, set ``ENGINE`` back to
  ``django.db.backends.sqlite3`` in settings and remove the package.
  Test: ``test_sqlite_writes_a_bulk_insert_in_one_statement``.
"""
