"""`usr batch`: many captures → result folders, one process per worker, a report (JSON + HTML) at the end.

jobs.py   what one subject is and how it is run (the unit a local worker or a Ray task executes);
local.py  a local process pool with per-subject progress;
ray_runner.py  the same jobs as tasks on a Ray cluster (--ray);
report.py report.json and report.html.
"""
