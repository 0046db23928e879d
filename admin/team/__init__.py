"""A workspace's team: its members and their roles, and invitations to join it (admin/team/service.py)."""
