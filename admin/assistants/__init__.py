"""assistants"""
