"""moto_server, handling one request at a time; started by scripts/moto.

This is moto_server's own `main` (moto.server, pinned in scripts/moto-requirements.txt) with
one change: every request runs under one lock. moto's DynamoDB does not isolate a
TransactWriteItems from requests running beside it (its conditions are checked, then its writes
applied, with other threads free to interleave), so 64 concurrent "take a seat if used <
purchased" transactions took 51 seats of 50. DynamoDB isolates transactions (it serialises them
or cancels one with TransactionConflict), so serialising moto's requests restores the semantics
the engine relies on without changing the engine. Connections are still served by threads.

A second change: moto's models no longer record themselves. Every moto model instance is kept
in a list for moto's dashboard (BaseModel.__new__ appends it to `instances_tracked`), and moto
backs up a table with copy.deepcopy before each action of a TransactWriteItems, so every
transaction leaked a copy of its whole table: over the suite's run moto grew past 24 GB and the
kernel killed it. Nothing here reads the dashboard.

    python scripts/moto-server.py HOST PORT
"""

import os
import signal
import sys
import threading

from moto.core.common_models import BaseModel
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: moto-server.py HOST PORT")
    host, port = sys.argv[1], int(sys.argv[2])
    # As moto_server does: some moto responses name the port.
    os.environ.setdefault("MOTO_PORT", str(port))
    BaseModel.__new__ = lambda cls, *args, **kwargs: object.__new__(cls)
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
