"""The composition root: settings, the app factory, the worker process and the `frontdesk` CLI."""
