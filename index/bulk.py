"""The bulk writer: Whoosh's multi-process writer whose helpers keep their
postings grouped by term instead of in Whoosh's sorting pool.

Whoosh's PostingPool appends one (field, term, docnum, weight, value) tuple per
posting (with a size estimate for spilling to disk) and sorts them all when the
segment is written: a million tuples for a helper's 5,000 articles, a fifth of
its work, and then the segment writer walks them one by one. A helper's
documents arrive in docnum order, so a stable sort of each field's postings by
term alone (a third of the time) leaves each posting list in order, and the
codec's field writer takes each list whole (``_FieldWriter.add_postings``).
The files written are byte for byte those Whoosh's pool gives (a test checks).

Every posting stays in memory, where PostingPool would spill past ``limitmb``:
a helper only ever holds one import chunk's share (BULK_CHUNK / procs
articles), which stayed under the bulk writer's limit anyway.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter, lt

from whoosh.multiproc import MpWriter, SubWriterTask


class TermPool:
    """PostingPool's interface (``add``, ``iter_postings``, ``fieldnames``,
    ``cleanup``); postings kept per field in arrival order and sorted by term
    alone when the segment is written."""

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        self.tempstore = tempstore
        self.segment = segment
        self.fieldnames: set[str] = set()
        self._fields: dict[str, list[tuple]] = {}

    def add(self, item) -> None:
        postings = self._fields.get(item[0])
        if postings is None:
            postings = self._fields[item[0]] = []
            self.fieldnames.add(item[0])
        postings.append(item)

    def terms(self):
        """(fieldname, term bytes, postings, their docnums) in PostingPool's order."""
        for fieldname in sorted(self._fields):
            items = self._fields[fieldname]
            # Stable: each term's postings keep their arrival order, which is
            # docnum order when documents came one after another.
            items.sort(key=_TERM)
            for btext, group in groupby(items, _TERM):
                postings = list(group)
                docnums = [p[2] for p in postings]
                if len(docnums) > 1 and not all(map(lt, docnums[:-1], docnums[1:])):
                    postings.sort()  # added out of docnum order: PostingPool's full order
                    docnums = [p[2] for p in postings]
                yield fieldname, btext, postings, docnums

    def iter_postings(self) -> GroupedPostings:
        return GroupedPostings(self)

    def cleanup(self) -> None:
        self._fields = {}


_TERM = itemgetter(1)


class GroupedPostings:
    """What ``TermPool.iter_postings`` gives: iterates like PostingPool's
    sorted postings; ``terms()`` gives them a posting list at a time."""

    def __init__(self, pool: TermPool):
        self.terms = pool.terms

    def __iter__(self):
        for _fieldname, _btext, postings, _docnums in self.terms():
            yield from postings


class _TermPoolTask(SubWriterTask):
    def run(self):
        # This process is a forked helper that only ever runs this one
        # writer: SegmentWriter builds its pool from whoosh.writing's name.
        import whoosh.writing

        whoosh.writing.PostingPool = TermPool
        super().run()


class BulkWriter(MpWriter):
    """MpWriter whose helpers use TermPool."""

    def _new_task(self):
        task = _TermPoolTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                             self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task
