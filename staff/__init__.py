"""Staff: what people do with conversations, whichever face they use (the API, the CLI, Slack, and
later the web admin).

`staff.service.StaffActions` holds one function per staff action, and each fires the same
consequences wherever it is called: the conversation's state, the outbox, the context history, the
owner's rule events, a live-update notice and an audit row. The faces (`staff.api`,
`staff.commands`, channels.slack's console) only turn requests into calls and errors into answers.
"""
