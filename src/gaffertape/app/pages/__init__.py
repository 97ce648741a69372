"""The app pages of the sites, marking and sheets capabilities (registered in
:data:`gaffertape.app.registry.APP_PAGE_MODULES`), and what they share (:mod:`.jobpanel`)."""
