"""The web: bounded HTTP fetching (``fetch``), feed documents (``feedparse``),
OPML lists (``opml``) and article pages (``pages``).  No database here.

Submodules are imported by name (``from articles.web.pages import fetch_page``):
httpx, feedparser and trafilatura are slow to import and only the commands that
touch the network need them."""
