"""Channel adapters, and the connections that tie them to workspaces.

Each adapter package has the same shape: inbound (verify, parse), outbound (send), routes, and a
fake of its remote API for tests (tests/fakes/). Its `__init__` declares the connection kinds it
serves (`KINDS`, gathered in channels/kinds.py) and imports no SDK; its `commands.py` holds its
own `frontdesk channel add|webhook KIND` commands.

Here too: the connections service every face calls (connections.py), its API (api.py, schemas.py),
and the `frontdesk channel` group (commands.py, with what the commands share in cli.py).
"""
