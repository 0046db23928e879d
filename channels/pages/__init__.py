"""The channels pages of the web admin (owners and admins): /channels, each connection's health with
Test, Pause/Resume and Remove (listing.py), /channels/new/{kind}, the guided connect forms
(connect.py, guides.py), and /channels/{connection_id}, the form that changes one (change.py).
Templates in channels/templates/."""

from __future__ import annotations

from fastapi import APIRouter

from channels.pages import change, connect, listing

router = APIRouter()
for _module in (listing, connect, change):
    router.include_router(_module.router)
