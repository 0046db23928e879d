"""Understanding each conversation: intent, sentiment, context fields (typed by the workspace's context
schema, with a status workflow, priority rules and a history of every change), and a summary.

The pipeline's understand stage (understanding.stage) fills `Turn.understanding`; the rules read it
as `understanding.intent` / `understanding.sentiment` and the context as `context.<field>`.

understanding.context owns each conversation's context: `read_context` reads it, and every writer
(the AI, the rules' set_context, staff) goes through `change()`. understanding.service answers the rest
(intents, a workspace's conversation, its reading); understanding.api is the HTTP API and
understanding.commands the `frontdesk context` commands. Nothing here imports the rules.
"""
