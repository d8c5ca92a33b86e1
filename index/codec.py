"""Whoosh's W3 codec, cheaper to write and with posting blocks that numpy
can read in place.

W3 pickles each block of 128 postings as one tuple (delta-coded ids, weights,
per-posting values) and zlib-compresses it, so reading a block's ids means
unpickling its positions too. Here a block's data is the ids as raw uint32,
the weights as raw float32, then the values: their byte lengths as raw uint32
and the values one after another. With ``RawPositions`` (positions as raw
uint32 too) the search engine (``fastsearch``) reads a whole posting list's
ids, weights and positions as arrays without a single unpickling. The term
dictionary, block headers (with the statistics Whoosh skips blocks by),
columns and stored fields are W3's, and Whoosh's own matchers read these
blocks through ``NdLeafMatcher``. Raw positions take less room than W3's
compressed pickles of deltas did (11 MB against 12 MB for the BBC corpus).

Writing is cheaper too:
- W3's FieldWriter.add_postings asks the per-document reader for the field
  length of every posting (a column read and a byte-to-length conversion per
  posting, about a third of a commit); here each field's lengths are read
  once into a list.
- the postings writer's per-posting type assertions are skipped (the values
  come from Whoosh's own pool), and blocks are not pickled or compressed.

Segments pickle their codec into the index's table of contents, so these
classes must stay importable under these names for existing indexes to open.
"""

from __future__ import annotations

import sys
from array import array
from pickle import dumps

from whoosh.codec import base
from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
    WHOOSH3_HEADER_MAGIC,
)
from whoosh.formats import Positions
from whoosh.util.numeric import length_to_byte

# Raw arrays are stored little-endian whatever the machine.
_SWAP = sys.byteorder != "little"


class RawPositions(Positions):
    """Positions stored as raw little-endian uint32 (Whoosh pickles a list
    of deltas), so a posting list's positions load as one numpy array."""

    def encode(self, poslist):
        a = array("I", poslist)
        if _SWAP:
            a.byteswap()
        return a.tobytes()

    def decode_positions(self, valuestring):
        a = array("I")
        a.frombytes(valuestring)
        if _SWAP:
            a.byteswap()
        return a.tolist()

    def decode_frequency(self, valuestring):
        return len(valuestring) // 4

    def decode_weight(self, valuestring):
        return self.decode_frequency(valuestring) * self.field_boost


def _pack_values(fmt, values) -> bytes:
    """A block's values: nothing for a format without values, the values
    joined for a fixed size, else their lengths (uint32) then the values."""
    fixedsize = fmt.fixed_value_size()
    if fixedsize == 0 or not values:
        return b""
    if fixedsize is not None and fixedsize > 0:
        return b"".join(values)
    lengths = array("I", map(len, values))
    if _SWAP:
        lengths.byteswap()
    return lengths.tobytes() + b"".join(values)


def _unpack_values(fmt, b: bytes, start: int, n: int):
    """The values as W3's reader keeps them (``_read_values`` cuts fixed-size ones)."""
    fixedsize = fmt.fixed_value_size()
    if fixedsize == 0 or len(b) <= start:
        return None
    if fixedsize is not None and fixedsize > 0:
        return b[start:]
    lengths = array("I")
    lengths.frombytes(b[start:start + 4 * n])
    if _SWAP:
        lengths.byteswap()
    out = []
    pos = start + 4 * n
    for ln in lengths:
        out.append(b[pos:pos + ln])
        pos += ln
    return tuple(out)


class _PostingsWriter(W3PostingsWriter):
    def add_posting(self, id_, weight, vbytes, length=None):
        # W3PostingsWriter.add_posting without its isinstance assertions.
        ids = self._ids
        if len(ids) >= self._blocklimit:
            self._write_block()
            ids = self._ids
        ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            minlength = self._minlength
            if minlength is None or length < minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def add_many(self, ids, weights, values, lengths) -> None:
        """add_posting for each posting in turn, a block's worth at a time."""
        limit = self._blocklimit
        pos, n = 0, len(ids)
        while pos < n:
            if len(self._ids) >= limit:
                self._write_block()
            end = min(n, pos + limit - len(self._ids))
            self._ids.extend(ids[pos:end])
            block_weights = weights[pos:end]
            self._weights.extend(block_weights)
            top = max(block_weights)
            if top > self._maxweight:
                self._maxweight = top
            self._values.extend(v for v in values[pos:end] if v)
            present = [ln for ln in lengths[pos:end] if ln]
            if present:
                low = min(present)
                if self._minlength is None or low < self._minlength:
                    self._minlength = low
                high = max(present)
                if high > self._maxlength:
                    self._maxlength = high
            pos = end


class NdPostingsWriter(_PostingsWriter):
    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)

        last_id = self._ids[-1]
        ids = array("I", self._ids)
        weights = array("f", self._weights)
        if _SWAP:
            ids.byteswap()
            weights.byteswap()
        databytes = ids.tobytes() + weights.tobytes() + _pack_values(self._format, self._values)
        # The same block header as W3 (count, last id, max weight, compression
        # level, min and max length bytes): Whoosh skips blocks by it.
        infobytes = dumps((len(ids), last_id, self._maxweight, 0,
                           length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class NdLeafMatcher(W3LeafMatcher):
    def _read_data(self):
        datalen = self._nextoffset - self._dataoffset
        b = self._postfile.get(self._dataoffset, datalen)
        n = self._blocklength
        ids = array("I")
        ids.frombytes(b[:4 * n])
        weights = array("f")
        weights.frombytes(b[4 * n:8 * n])
        if _SWAP:
            ids.byteswap()
            weights.byteswap()
        self._data = (ids, weights, _unpack_values(self.format, b, 8 * n, n))

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        self._ids = self._data[0]  # absolute, not delta-coded

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        self._weights = self._data[1]


class NdCodec(W3Codec):
    """W3 with raw-array posting blocks (term vectors, which Newsdesk does not
    store, keep W3's format)."""

    def __init__(self, blocklimit=128, inlinelimit=1):
        # Blocks are raw arrays, never compressed.
        super().__init__(blocklimit=blocklimit, compression=0, inlinelimit=inlinelimit)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        if byteids:
            return super().postings_writer(dbfile, byteids=True)
        return NdPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=False,
                                compression=0, inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return NdLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):
        """base.FieldWriter.add_postings with each field's lengths read once."""
        start_field = self.start_field
        finish_term = self.finish_term
        finish_field = self.finish_field
        emptybytes = b""
        doc_count = lengths.doc_count_all() if lengths else 0
        field_lengths: dict[str, list[int] | None] = {}

        def lengths_of(fieldname):
            if not lengths:
                return None
            dfl = lengths.doc_field_length
            return [dfl(d, fieldname) for d in range(doc_count)]

        def length_of(flens, docnum, fieldname):
            # Beyond the per-document data (W3 raises IndexError there; the
            # length would be read past the column), fall back to W3's lookup.
            if flens is not None and docnum < doc_count:
                return flens[docnum]
            return lengths.doc_field_length(docnum, fieldname) if lengths else 0

        from .bulk import GroupedPostings

        if isinstance(items, GroupedPostings):
            self._add_grouped(schema, items, lengths_of, length_of, doc_count)
            return

        lastfn = None
        lasttext = None
        flens = None
        add = None
        for fieldname, btext, docnum, weight, value in items:
            if fieldname != lastfn:
                if lastfn is not None and fieldname < lastfn:
                    raise base.OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                if lasttext is not None:
                    finish_term()
                if lastfn is not None:
                    finish_field()
                start_field(fieldname, schema[fieldname])
                lastfn = fieldname
                lasttext = None
                if fieldname not in field_lengths:
                    field_lengths[fieldname] = lengths_of(fieldname)
                flens = field_lengths[fieldname]
                add = self._postwriter.add_posting
            if docnum == -1:  # spelling words (W3 ignores them too)
                continue
            if btext != lasttext:
                if lasttext is not None:
                    if btext < lasttext:
                        raise base.OutOfOrderError(
                            f"Term {lastfn}:{lasttext!r} .. {fieldname}:{btext!r}")
                    finish_term()
                self.start_term(btext)
                lasttext = btext
            add(docnum, weight, value if value is not None else emptybytes,
                length_of(flens, docnum, fieldname))
        if lasttext is not None:
            finish_term()
        if lastfn is not None:
            finish_field()

    def _add_grouped(self, schema, items, lengths_of, length_of, doc_count) -> None:
        """add_postings for a TermPool's postings: a posting list at a time
        (each field comes once, so its lengths are read once)."""
        emptybytes = b""
        lastfn = None
        for fieldname, btext, postings, docnums in items.terms():
            if fieldname != lastfn:
                if lastfn is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                lastfn = fieldname
                flens = lengths_of(fieldname)
            if docnums[0] == -1:  # spelling words (W3 ignores them too)
                postings = [p for p in postings if p[2] != -1]
                if not postings:
                    continue
                docnums = [p[2] for p in postings]
            if flens is not None and docnums[-1] < doc_count:
                doc_lengths = [flens[d] for d in docnums]
            else:
                doc_lengths = [length_of(flens, d, fieldname) for d in docnums]
            self.start_term(btext)
            self._postwriter.add_many(
                docnums, [p[3] for p in postings],
                [emptybytes if p[4] is None else p[4] for p in postings], doc_lengths)
            self.finish_term()
        if lastfn is not None:
            self.finish_field()
