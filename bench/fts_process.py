"""The yardstick for `newsdesk` as a process: a small script that opens an FTS5
copy of the library's articles and answers one query with snippet().

Run by path (``python bench/fts_process.py DB QUERY``), not as ``-m bench...``:
it imports nothing but the standard library, as a script someone writes in five
minutes would. Prints one JSON document like ``newsdesk search --json``."""

import json
import sqlite3
import sys


def main(db: str, query: str, limit: int = 20) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    total = conn.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (query,)).fetchone()[0]
    hits = conn.execute(
        "SELECT id, title, source, date, snippet(fts, 2, '[', ']', ' … ', 32) FROM fts "
        "WHERE fts MATCH ? ORDER BY rank LIMIT ?", (query, limit)).fetchall()
    conn.close()
    json.dump({"total": total, "hits": [{"id": i, "title": t, "source": s, "date": d, "snippet": sn}
                                        for i, t, s, d, sn in hits]},
              sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
