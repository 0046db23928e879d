"""Understanding each conversation: intent, sentiment, context fields (typed by the workspace's context
schema, with a status workflow, priority rules and a history of every change), and a summary.

The pipeline's understand stage (understanding.stage) fills `Turn.understanding`; the rules read it
as `understanding.intent` / `understanding.sentiment` and the context as `context.<field>`.
"""
