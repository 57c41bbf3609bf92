"""``python -m pipelines``: see pipelines.cli."""

import logging
import os
import sys

from pipelines.cli import main

code = main()
if code:
    # A failed run skips interpreter teardown: there DuckDB's bindings would print a hundred
    # lines of "nanobind: leaked …" for connections dlt still held, burying the one `error:`
    # line in cron mail. Everything the run wrote is closed or committed by now.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
raise SystemExit(code)
