"""HL7 v2 reader for radiology results: tolerant, fast, pure Python, no HL7 library on this path.

Why our own split-based parser rather than an HL7 library (measured on a 3.3-KB ORU^R01, see
``bench/parse.py`` and the notes in :mod:`radimpress.reading.hl7lib`):

* hl7apy takes about 25 ms and ~800 KiB per message, rejects MSH-12 ``2.4.1``/``2.6.1``/``2.9`` and an
  empty MSH-12, with its default ``find_groups=True`` silently drops Z-, DG1 and MSA segments and, on CRLF
  input, everything after MSH; it has no unescape. That is two orders of magnitude too slow and, worse,
  lossy without telling us.
* python-hl7 (``hl7.parse``) is tolerant and takes about 1.4 ms, still ~14x over our whole budget of
  100 µs per report (>= 10,000 reports/s on one core *including* section splitting), and its containers
  build an object per field we never read.
* ``str.split`` of the same message takes about 9 µs. Radiology results need a handful of fields from five
  segment types, so we split each segment once, index the fields we need and unescape only the values we
  keep. Every HL7 library import lives in :mod:`radimpress.reading.hl7lib` (ACKs, optional strict validation).

Tolerance is the point: interface engines send LF or CRLF terminators, BOMs, MLLP framing bytes in files,
batches, raw newlines inside OBX-5, unescaped delimiters, wrong MSH-18 charsets, unknown versions and
Z-segments. Each is normalised or ignored; what cannot be read raises a typed
:class:`~radimpress.errors.ReportError` that says where, never any other exception and never the body.

Modules, each importing only those listed above it:

* :mod:`~radimpress.reading.hl7.decoding`: bytes to text (UTF-8, MSH-18, cp1252/latin-1).
* :mod:`~radimpress.reading.hl7.escapes`: the delimiters and ``unescape``/``escape`` of one leaf value.
* :mod:`~radimpress.reading.hl7.fields`: values out of fields (leaf, component, staff name, coded text).
* :mod:`~radimpress.reading.hl7.segments`: payloads to messages (MLLP, batches, per patient) and to segments.
* :mod:`~radimpress.reading.hl7.header`: ``looks_like_hl7``, the delimiters MSH defines, ``read_header``.
* :mod:`~radimpress.reading.hl7.hints`: section hints from OBX-3 codes.
* :mod:`~radimpress.reading.hl7.message`: ``parse_message``, one result message to a report.
"""
