"""Benchmarks of the dogcare backend, run with ``python -m benchmarks`` (``make bench``).

Five sections, each printed as a table and written together into ``docs/performance.md``:

1. ``cold_start``  — a fresh process per function serving its first request, against the floor
   of a process that only imports boto3, makes a DynamoDB client and sends the same requests;
2. ``warm_latency`` — the full path (gateway event, authorizer, handler, service, library) against
   the raw boto3 calls the same operation needs, interleaved;
3. ``capacity``    — DynamoDB requests and read/write units of every API operation, against the
   minimum each one needs (and a check that nothing scans);
4. ``scale``       — reads of one owner with 100 and with 100,000 other owners' items in the table;
5. ``cost``        — a monthly cost model from the measured capacity and public prices.

Every figure is a ratio against a baseline measured in the same run, on the same machine.
DynamoDB is moto's server (local mode's embedded DynamoDB) on this machine, so absolute times
say little about AWS; the ratios and the request/unit counts are what carry over.
"""
