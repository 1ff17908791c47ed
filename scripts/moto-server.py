"""moto_server, handling one request at a time; started by scripts/moto.

This is moto_server's own `main` (moto.server, pinned in scripts/moto-requirements.txt) with
three changes. First, every request runs under one lock. moto's DynamoDB does not isolate a
TransactWriteItems from requests running beside it (its conditions are checked, then its writes
applied, with other threads free to interleave), so 64 concurrent "take a seat if used <
purchased" transactions took 51 seats of 50. DynamoDB isolates transactions (it serialises them
or cancels one with TransactionConflict), so serialising moto's requests restores the semantics
the engine relies on without changing the engine. Connections are still served by threads.

Second, moto's models no longer record themselves. Every moto model instance is kept
in a list for moto's dashboard (BaseModel.__new__ appends it to `instances_tracked`), and moto
backs up a table with copy.deepcopy before each action of a TransactWriteItems, so every
transaction leaked a copy of its whole table: over the suite's run moto grew past 24 GB and the
kernel killed it. Nothing here reads the dashboard.

Third, a TransactWriteItems backs each table up once, not once per action. moto deep-copies
the table before each of the transaction's actions (keeping the last copy, which is the same
as the first: nothing is written until all conditions pass), so a transaction of 100 actions
on a table of 10,000 items copied a million items; 20 transactions of 30 puts on a table of
3,000 items took 29 s, and take 1.1 s with one backup each. Failed transactions are still
rolled back from that backup, as moto does.

    python scripts/moto-server.py HOST PORT
"""

import copy
import os
import signal
import sys
import threading
import types

from moto.core.common_models import BaseModel
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def backing_up_each_table_once(transact_write_items):
    """moto's DynamoDB transact_write_items, whose copy.deepcopy of a table (its backup)
    happens once per table and transaction. Safe because requests run one at a time."""

    def wrapper(backend, transact_items):
        backups = {}

        def deepcopy(obj, memo=None):
            if not isinstance(obj, Table):
                return copy.deepcopy(obj, memo)
            if id(obj) not in backups:
                backups[id(obj)] = copy.deepcopy(obj, memo)
            return backups[id(obj)]

        dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy)
        try:
            return transact_write_items(backend, transact_items)
        finally:
            dynamodb_models.copy = copy

    return wrapper


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: moto-server.py HOST PORT")
    host, port = sys.argv[1], int(sys.argv[2])
    # As moto_server does: some moto responses name the port.
    os.environ.setdefault("MOTO_PORT", str(port))
    BaseModel.__new__ = lambda cls, *args, **kwargs: object.__new__(cls)
    backend = dynamodb_models.DynamoDBBackend
    backend.transact_write_items = backing_up_each_table_once(backend.transact_write_items)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            # The whole answer is produced under the lock: moto computes it eagerly anyway.
            return list(app(environ, start_response))

    run_simple(host, port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
