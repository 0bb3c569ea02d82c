"""Registration-rush benchmark: `make bench-rush` (or `.venv/bin/python -m bench.rush --help`).

The production shape on this machine (gunicorn, PostgreSQL, Redis, a Celery worker), seeded
candidates and an exam whose registration opens at the start of the run, with far fewer seats
than candidates in the hot areas; a separate asyncio load generator talks HTTP on 127.0.0.1 in
four phases: login (not counted), the flow (the whole journey), pages (the authenticated pages
of the flow, for the pages target) and takes (a burst of seat takes on the hot areas, for the
takes target). See bench/rush/run.py and docs/performance.md ("Registration rush").

- run.py: the launcher (database, processes, phases, CPU accounting, audit, report)
- seed.py: bulk seeding of the exam, its seats and the candidates; hot-quota sizing
- prepare.py: sessions and enrollments for the pages and takes phases' candidates, without HTTP
- load.py: the load generator (its own process: asyncio; aiohttp for login and flow)
- http1.py: the lean HTTP/1.1 client of the pages and takes phases
- audit.py: what is checked in the database after the run
- probe.py: per-request costs of the flow, in the launcher's process
"""
