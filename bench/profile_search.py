import sys, time
from pyinstrument import Profiler
from articles.library import Library
from bench.queries import QUERIES
lib = Library(sys.argv[1])
lib.ensure_index()
qs = [q.newsdesk for q in QUERIES if q.kind != "fuzzy"] if sys.argv[2] == "all" else [sys.argv[2]]
for q in qs: lib.search(q)
p = Profiler(interval=0.0005)
p.start()
for _ in range(3):
    for q in qs: lib.search(q)
p.stop()
print(p.output_text(unicode=True, color=False, show_all=False))
