"""The web admin's shell: sign-in, the session and its CSRF check, the base layout, error pages.

A domain's pages live beside the domain (`<package>/pages.py`, templates in `<package>/templates/`,
extending "admin/base.html"); they build their router with `admin.web.pages.page_router()`, take the
signed-in person with `admin.web.session.CurrentPerson` (or `CurrentAdmin`), answer with
`admin.web.pages.render`, and raise `admin.web.errors.PageError` for an error page. The app factory
includes the router and names the package in its list of packages with pages.
"""
