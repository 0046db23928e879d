"""The rule engine (triggers, conditions, actions as validated data): its own issue.

Until it lands, the pipeline's rules stage passes turns through with no rule fired.
"""
