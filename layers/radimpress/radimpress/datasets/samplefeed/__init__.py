"""The sample feed: the bundled IU chest X-ray reports rendered the ways hospital interfaces send them.

Modules, each importing only those listed above it:

* :mod:`~radimpress.datasets.samplefeed.reports`: the bundled IU reports (``iu_reports_path``,
  ``load_reports``).
* :mod:`~radimpress.datasets.samplefeed.shape`: ``Shape``, the catalogue of shapes a result arrives in.
* :mod:`~radimpress.datasets.samplefeed.identities`: the synthetic envelope of a message (patient, MRN,
  accession, radiologist, times), derived from its index.
* :mod:`~radimpress.datasets.samplefeed.segments`: delimiters, escaping and the segments every HL7 shape
  shares.
* :mod:`~radimpress.datasets.samplefeed.text`: the report text as wrapped lines under headers, and the
  plain-text shape.
* :mod:`~radimpress.datasets.samplefeed.hl7_shapes`: the segments of each HL7 shape (line-per-OBX, FT blob,
  local codes, repetitions, NTE, multi-OBR, ORF^R04, MDM^T02).
* :mod:`~radimpress.datasets.samplefeed.render`: ``render`` and ``render_batch``, the bytes on the wire
  (terminators, encodings, MLLP framing, batch files).
* :mod:`~radimpress.datasets.samplefeed.expected`: ``Expected``, ``expected_for`` and the comparisons a
  reader's result is checked with.
* :mod:`~radimpress.datasets.samplefeed.malformed`: the payloads a real feed sends by mistake.
* :mod:`~radimpress.datasets.samplefeed.feed`: ``FeedItem``, the seeded ``iter_feed`` and ``iter_sample``.
* :mod:`~radimpress.datasets.samplefeed.__main__`: ``python -m radimpress.datasets.samplefeed``.
"""
