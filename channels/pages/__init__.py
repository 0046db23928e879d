"""The channels pages of the web admin (owners and admins): /channels, each connection's health with
Test, Pause/Resume and Remove (listing.py), and /channels/new/{kind}, the guided connect forms
(connect.py, guides.py). Templates in channels/templates/."""

from __future__ import annotations

from fastapi import APIRouter

from channels.pages import connect, listing

router = APIRouter()
for _module in (listing, connect):
    router.include_router(_module.router)
