"""Section splitting: radiology report text (text blocks with optional OBX-3 hints) into indication,
comparison, technique, findings, impression, addendum and ``other``.

Modules, each importing only those listed above it:

* :mod:`~radimpress.reading.sections.vocabulary`: the label, trailer and banner phrases.
* :mod:`~radimpress.reading.sections.inline`: colon-less headers inside running text ("History ... Findings").
* :mod:`~radimpress.reading.sections.headers`: header detection, the phrases compiled into tables and a scan.
* :mod:`~radimpress.reading.sections.split`: ``split_sections``/``split_text``, where the text between goes.
"""
