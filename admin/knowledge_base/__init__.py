"""knowledge base"""
