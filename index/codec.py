"""Whoosh's W3 codec with a cheaper way of writing postings.

The file format is W3's, byte for byte: segments written with this codec are
read by W3's readers (the codec object is pickled into each segment of the
table of contents, so this class must stay importable under this name).

What is cheaper:
- W3's FieldWriter.add_postings asks the per-document reader for the field
  length of every posting (a column read and a byte-to-length conversion per
  posting, about a third of a commit); here each field's lengths are read
  once into a list.
- the postings writer's per-posting type assertions are skipped (the values
  come from Whoosh's own pool).
Posting blocks stay zlib-compressed (W3's default): without it writing was
somewhat cheaper but the index twice the size.
"""

from __future__ import annotations

from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter


class NewsCodec(W3Codec):
    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)


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
            # Beyond the per-document data (W3 raises IndexError there; the
            # length would be read past the column), fall back to W3's lookup.
            length = flens[docnum] if flens is not None and docnum < doc_count else (
                lengths.doc_field_length(docnum, fieldname) if lengths else 0)
            add(docnum, weight, value if value is not None else emptybytes, length)
        if lasttext is not None:
            finish_term()
        if lastfn is not None:
            finish_field()
